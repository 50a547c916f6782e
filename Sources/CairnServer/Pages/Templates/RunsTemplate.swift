/// `GET /workflows/{id}/runs?before=RUN`: the pages after the workflow page's first.
enum RunsTemplate {
    static let text = #"""
{{> header}}
<h1>Runs of <a href="/workflows/{{workflowId}}">{{name}}</a></h1>
<div data-live id="runs-list">
{{> runsTable}}
</div>
{{> footer}}
"""#
}
