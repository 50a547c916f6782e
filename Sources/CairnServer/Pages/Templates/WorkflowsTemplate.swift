/// `GET /`: the project's workflows.
enum WorkflowsTemplate {
    static let text = #"""
{{> header}}
<h1>Workflows</h1>
<div data-live id="workflows">
{{^hasWorkflows}}<p>No workflow is published{{#project}} in project {{project}}{{/project}} yet.</p>{{/hasWorkflows}}
{{#hasWorkflows}}
<table class="list">
<thead><tr><th>Workflow</th><th>Triggers</th><th>Last run</th><th>Next fire time</th></tr></thead>
<tbody>
{{#workflows}}
<tr>
  <td><a href="/workflows/{{id}}">{{name}}</a><div class="id">{{id}} · v{{lockVersion}}{{#showProject}} · project {{projectId}}{{/showProject}}</div></td>
  <td>{{#triggers}}<div>{{> triggerLine}}</div>{{/triggers}}{{^triggers}}none{{/triggers}}</td>
  <td>{{#lastRun}}<a href="/runs/{{lastRunPath}}"><span class="state {{lastRunState}}">{{lastRunState}}</span></a> <span class="time">{{lastRunCreated}}</span>{{/lastRun}}{{^lastRun}}never{{/lastRun}}</td>
  <td>{{#nextFire}}<span class="time">{{nextFire}}</span>{{/nextFire}}{{^nextFire}}—{{/nextFire}}</td>
</tr>
{{/workflows}}
</tbody>
</table>
{{/hasWorkflows}}
</div>
{{> footer}}
"""#

    /// One trigger in a line.
    static let triggerLine = #"""
<span class="trigger {{lineType}}">{{lineType}}</span>{{#lineExpression}} <code>{{lineExpression}}</code> {{lineZone}}{{/lineExpression}}{{#lineDisabled}} <em>(disabled)</em>{{/lineDisabled}}
"""#
}
