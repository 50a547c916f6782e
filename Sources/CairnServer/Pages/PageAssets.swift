/// The page's stylesheet and script, served at `/assets/page.css` and
/// `/assets/page.js`: plain CSS and JavaScript, no build step. The script
/// only adds what needs it: a select that saves when changed, and live
/// updates (every `[data-live]` element is refreshed from the same URL
/// every `data-poll` milliseconds). Without it every page and form works.
enum PageAssets {
    static let css = #"""
:root { --ink: #1d232b; --soft: #5b6673; --line: #d8dde3; --bg: #f6f7f9; --accent: #2a6fdb; --ok: #1b7f3b; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
.bar { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.5rem; background: #1d232b; color: #fff; }
.bar a, .bar .link { color: #fff; }
.brand { font-weight: 700; text-decoration: none; margin-right: auto; }
.who { opacity: .85; font-size: .9em; }
.inline { display: inline; margin: 0; }
button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button.link { background: none; border: none; text-decoration: underline; padding: 0; }
select, input[type=password] { font: inherit; padding: .3rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
h1 { margin: .6rem 0 .2rem; font-size: 1.6rem; }
h2 { margin-top: 1.8rem; font-size: 1.2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { margin: 0 0 .5rem; font-size: 1.05rem; }
h4 { margin: .8rem 0 .3rem; }
.id, .time { color: var(--soft); font-size: .85em; font-family: ui-monospace, monospace; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .9rem 1.1rem; margin: .8rem 0; }
.signin { max-width: 28rem; display: grid; gap: .5rem; }
.help { color: var(--soft); font-size: .88em; max-width: 50rem; }
.notice { background: #e7f4ea; border: 1px solid #b9dfc3; padding: .5rem .8rem; border-radius: 4px; }
.problem { color: var(--bad); }
p.problem#problem, p.problem#error { background: #fbeaea; border: 1px solid #f0c4c1; padding: .5rem .8rem; border-radius: 4px; }
.repair { color: #8a5a00; }
table.list { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
table.list th, table.list td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
table.list th { background: #eef1f4; font-weight: 600; font-size: .9em; }
.state { display: inline-block; padding: 0 .45rem; border-radius: 3px; background: #e6e9ee; font-size: .85em; }
.state.success { background: #dff1e4; color: var(--ok); }
.state.failed, .state.crashed, .state.fail, .state.crash, .state.lost, .state.killed, .state.exception { background: #fbeaea; color: var(--bad); }
.state.started, .state.claimed, .state.available { background: #e5eefc; color: var(--accent); }
.trigger { display: inline-block; padding: 0 .4rem; border-radius: 3px; background: #efe6fb; color: #5a2ea6; font-size: .85em; }
.mark { font-size: .8em; padding: 0 .35rem; border-radius: 3px; }
.mark.final { background: #dff1e4; color: var(--ok); }
.mark.wiped { background: #f3e3c4; color: #8a5a00; }
pre { background: #f1f3f6; padding: .6rem; border-radius: 4px; overflow: auto; max-height: 24rem; margin: .3rem 0; }
details summary { cursor: pointer; color: var(--accent); }
.cursor-form { margin: .8rem 0; }
.next-input { border-top: 1px dashed var(--line); margin-top: .6rem; }
ol.times { margin: .2rem 0 .6rem; }
svg.graph { max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
svg.graph .node rect { fill: #fff; stroke: #8795a6; stroke-width: 1.2; }
svg.graph .node.trigger rect { fill: #f4eefc; stroke: #7c4dcc; }
svg.graph .node text { font: 13px system-ui, sans-serif; fill: var(--ink); }
svg.graph .node text.sub { font-size: 11px; fill: var(--soft); }
svg.graph .edge { stroke: #66768a; stroke-width: 1.5; fill: none; }
svg.graph .edge.disabled { stroke-dasharray: 6 4; stroke: #a7b1bd; }
svg.graph .edge-label { font: 11px system-ui, sans-serif; fill: var(--soft); }
.foot { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem; color: var(--soft); font-size: .85em; }
"""#

    static let js = #"""
// Cairn's page: progressive enhancement only (docs/page.md).
(function () {
  "use strict";
  // A cron input source select saves as soon as it changes. Delegated: live
  // updates replace the select when another editor changes the choice.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("form[data-autosubmit] select")) return;
    if (select.form.requestSubmit) select.form.requestSubmit(); else select.form.submit();
  });
  // Live updates: refresh every [data-live] element from the page's own URL
  // (data-live-url: a form's refusal is answered at the form's action, which
  // has no GET; the address bar is set to the page's, so a reload re-posts nothing).
  var every = parseInt(document.body.getAttribute("data-poll") || "0", 10);
  if (!every) return;
  var url = document.body.getAttribute("data-live-url") || window.location.href;
  if (window.history.replaceState && url.charAt(0) === "/" && window.location.pathname !== url.split("?")[0]) {
    window.history.replaceState(null, "", url);
  }
  var busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (old) {
          var next = fresh.getElementById(old.id);
          if (!next || next.innerHTML === old.innerHTML) return;
          // Not under the reader's hands: a select they are choosing in stays as it is.
          if (old.contains(document.activeElement)) return;
          // Keep what the reader opened open.
          var open = {};
          old.querySelectorAll("details[open]").forEach(function (d) { open[d.getAttribute("data-key")] = true; });
          next.querySelectorAll("details").forEach(function (d) { if (open[d.getAttribute("data-key")]) d.setAttribute("open", ""); });
          old.innerHTML = next.innerHTML;
        });
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  setInterval(refresh, every);
})();
"""#
}
