/// Any refusal, as a page: the status and why.
enum ErrorTemplate {
    static let text = #"""
{{> header}}
<h1>{{status}}</h1>
<p class="problem" role="alert" id="error">{{message}}</p>
<p><a href="/">Workflows</a>{{^viewer}} · <a href="/login">Sign in</a>{{/viewer}}</p>
{{> footer}}
"""#
}
