/// `GET /workflows/{id}`: the graph, jobs, triggers (cron input source,
/// next input, Run now) and the newest runs (docs/page.md).
enum WorkflowTemplate {
    static let text = #"""
{{> header}}
<h1 id="workflow-name">{{name}}</h1>
<p class="id">workflow {{id}} · published version {{lockVersion}} · project {{projectId}}</p>

{{#hasDraftNotes}}
<section class="card draft" id="document-notes">
<h2>The document says</h2>
{{#repairs}}<p class="repair">Repaired: <code>{{path}}</code> {{message}}</p>{{/repairs}}
{{#errors}}<p class="problem">Not publishable: <code>{{path}}</code> {{message}}</p>{{/errors}}
{{#unpublished}}<p class="problem" id="unpublished-changes">The document differs from published version {{lockVersion}} in {{unpublished}}: it holds editors' unpublished changes, or it lags a version published through the API or cairn workflow publish, which do not write the document. The cron input source select publishes only its own choice, onto published version {{lockVersion}}. Publishing the document makes it the published version whole, reverting whatever it lacks: compare before publishing it.</p>{{/unpublished}}
</section>
{{/hasDraftNotes}}

<section id="graph">
<h2>Graph</h2>
{{{svg}}}
</section>

<section id="jobs">
<h2>Jobs</h2>
<table class="list">
<thead><tr><th>Job</th><th>Adaptor</th><th>Id</th></tr></thead>
<tbody>
{{#jobs}}<tr><td>{{jobName}}</td><td><code>{{adaptor}}</code></td><td class="id">{{jobId}}</td></tr>{{/jobs}}
</tbody>
</table>
</section>

<section id="triggers">
<h2>Triggers</h2>
{{#triggers}}
<article class="card trigger-card" id="trigger-{{triggerId}}">
<h3><span class="trigger {{type}}">{{type}}</span> <span class="id">{{triggerId}}</span>{{^enabled}} <em>(disabled)</em>{{/enabled}}</h3>
{{#cron}}
<p>Runs at <code id="expression-{{triggerId}}">{{expression}}</code> in <strong>{{zone}}</strong>.</p>
<p>Next five fire times:</p>
<ol class="times" id="fires-{{triggerId}}">{{#fires}}<li class="time">{{.}}</li>{{/fires}}</ol>
{{^fires}}<p>It will not fire{{^enabled}}: it is disabled{{/enabled}}.</p>{{/fires}}

<form method="post" action="/workflows/{{workflowId}}/triggers/{{triggerId}}/cursor" class="cursor-form" data-autosubmit>
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label for="cursor-{{triggerId}}"><strong>Cron input source</strong></label>
  <span data-live id="cursor-choice-{{triggerId}}"><select id="cursor-{{triggerId}}" name="job_id"{{^mayEdit}} disabled{{/mayEdit}}>
    <option value=""{{#finalSelected}} selected{{/finalSelected}}>Final run state</option>
    {{#options}}<option value="{{optionId}}"{{#selected}} selected{{/selected}}>{{optionName}}</option>{{/options}}
  </select></span>
  {{#mayEdit}}<button type="submit" class="save">Save and publish</button>{{/mayEdit}}
  <p class="help">Which dataclip the next cron run gets as its input.
  <strong>Final run state</strong>: the final state of this trigger's latest
  successful run. <strong>A job</strong>: the output of that job's latest
  successful step, from any run of this workflow. When there is none yet (it
  never ran, or the output was wiped), the run gets an empty <code>{}</code>.
  Saving edits the workflow's document (editors connected to it see the
  change) and publishes this choice onto the published workflow, which the
  scheduler reads; other changes in the document stay unpublished. A
  trigger or job the document lacks is published alone.</p>
  <div data-live id="cursor-note-{{triggerId}}">{{#draftDiffers}}<p class="problem" id="unpublished-{{triggerId}}">The document says <strong>{{draftChoice}}</strong>; the published workflow, which the scheduler uses, says <strong>{{publishedChoice}}</strong>.</p>{{/draftDiffers}}</div>
</form>

<div class="next-input" data-live id="next-input-{{triggerId}}">
<h4>Next input</h4>
{{#input}}
<p>Source: <strong class="source" id="source-{{triggerId}}">{{sourceLabel}}</strong>{{#dataclipId}} · dataclip <code class="dataclip" id="dataclip-{{triggerId}}">{{dataclipId}}</code>{{/dataclipId}}</p>
{{#isEmpty}}<p id="body-{{triggerId}}">empty: <code>{}</code> (a new dataclip, when the run is made)</p>{{/isEmpty}}
{{^isEmpty}}<details data-key="next-{{triggerId}}"><summary>Body</summary><pre id="body-{{triggerId}}">{{body}}</pre></details>{{/isEmpty}}
{{/input}}
{{#mayEdit}}
<form method="post" action="/workflows/{{workflowId}}/triggers/{{triggerId}}/run" class="inline">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="expected" value="{{expected}}">
  <button type="submit" id="run-now-{{triggerId}}">Run now</button>
</form>
<p class="help">Run now creates a run of this workflow, started by this trigger, whose input is exactly this dataclip.</p>
{{/mayEdit}}
</div>
{{/cron}}
{{#webhook}}<p>Fired by <code>POST /i/{{triggerId}}</code>.</p>{{/webhook}}
</article>
{{/triggers}}
{{^triggers}}<p>No triggers.</p>{{/triggers}}
</section>

<section id="runs">
<h2>Runs</h2>
<div data-live id="runs-list">
{{> runsTable}}
</div>
</section>
{{> footer}}
"""#

    /// A page of runs; `older` links to the next.
    static let runsTable = #"""
{{#hasRuns}}
<table class="list runs">
<thead><tr><th>Run</th><th>State</th><th>Created</th><th>Duration</th><th>Final dataclip</th></tr></thead>
<tbody>
{{#runs}}
<tr id="run-{{runId}}">
  <td><a href="/runs/{{runPath}}">{{runId}}</a>{{#runTrigger}}<div class="id">by trigger {{runTrigger}}</div>{{/runTrigger}}</td>
  <td><span class="state {{runState}}">{{runState}}</span></td>
  <td class="time">{{runCreated}}</td>
  <td>{{runDuration}}</td>
  <td>{{#runFinal}}<code>{{runFinal}}</code>{{#runFinalWiped}} <em>wiped</em>{{/runFinalWiped}}{{/runFinal}}{{^runFinal}}—{{/runFinal}}</td>
</tr>
{{/runs}}
</tbody>
</table>
{{#older}}<p><a href="{{older}}" id="older-runs">Older runs →</a></p>{{/older}}
{{/hasRuns}}
{{^hasRuns}}<p>No runs{{#paged}} before that one{{/paged}}.</p>{{/hasRuns}}
"""#
}
