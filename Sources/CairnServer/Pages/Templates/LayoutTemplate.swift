/// The page's frame (docs/page.md): `header` and `footer`, partials every
/// page template starts and ends with. Templates are Swift string
/// constants, not SwiftPM resources: `cairn` stays one file that runs
/// wherever it is copied (a resource bundle sits beside the binary and
/// `Bundle.module` looks for it at the build folder's path).
enum LayoutTemplate {
    static let header = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Cairn</title>
<link rel="stylesheet" href="/assets/page.css">
<script src="/assets/page.js" defer></script>
</head>
<body{{#poll}} data-poll="{{poll}}"{{/poll}}{{#liveURL}} data-live-url="{{liveURL}}"{{/liveURL}}>
<header class="bar">
  <a class="brand" href="/">Cairn</a>
  {{#viewer}}
  <span class="who" id="who">{{who}}</span>
  {{^open}}
  <form method="post" action="/logout" class="inline">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <button type="submit" class="link">Sign out</button>
  </form>
  {{/open}}
  {{/viewer}}
</header>
<main>
{{#notice}}<p class="notice" role="status" id="notice">{{notice}}</p>{{/notice}}
{{#problem}}<p class="problem" role="alert" id="problem">{{problem}}</p>{{/problem}}
"""#

    static let footer = #"""
</main>
<footer class="foot">Cairn · <a href="/">workflows</a>{{#poll}} · <span id="live-state">live updates every {{pollSeconds}} s</span>{{/poll}}</footer>
</body>
</html>
"""#
}
