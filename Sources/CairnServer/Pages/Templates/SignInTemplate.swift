/// `GET /login`: the token form (docs/page.md, "Signing in").
enum SignInTemplate {
    static let text = #"""
{{> header}}
<h1>Sign in</h1>
{{#open}}
<p>This server has no token yet: its API is open to this machine only, and so
is this page, read-only. <a href="/">See the workflows</a>. To change
anything here, make an editor token (<code>cairn token create --project P --role editor</code>)
and sign in with it.</p>
{{/open}}
{{^open}}
<form method="post" action="/login" class="card signin">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label for="token">Token (an editor's or a viewer's)</label>
  <input id="token" name="token" type="password" autocomplete="off" required autofocus>
  <button type="submit">Sign in</button>
  <p class="help">Kept in a cookie this browser sends only to this server
  (HttpOnly, SameSite=Strict) until you sign out or close it. Worker tokens
  cannot sign in.</p>
</form>
{{/open}}
{{> footer}}
"""#
}
