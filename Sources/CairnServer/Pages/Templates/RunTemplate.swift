/// `GET /runs/{id}`: a run with its steps, inputs and outputs.
enum RunTemplate {
    static let text = #"""
{{> header}}
<h1>Run <span class="id">{{runId}}</span></h1>
<div data-live id="run-detail">
<p>Workflow <a href="/workflows/{{workflowId}}">{{workflowName}}</a> (version {{lockVersion}}){{#trigger}} · started by trigger <code>{{trigger}}</code>{{/trigger}}</p>
<p>State <span class="state {{state}}" id="run-state">{{state}}</span>{{#error}} · <span class="problem">{{error}}</span>{{/error}}</p>
<p class="time">created {{created}}{{#started}} · started {{started}}{{/started}}{{#finished}} · finished {{finished}}{{/finished}}{{#duration}} · took {{duration}}{{/duration}}</p>
<h2>Input</h2>
{{#input}}{{> dataclip}}{{/input}}
<h2>Steps</h2>
{{#hasSteps}}
<table class="list steps">
<thead><tr><th>Step</th><th>Job</th><th>Exit</th><th>Input</th><th>Output</th></tr></thead>
<tbody>
{{#steps}}
<tr id="step-{{stepId}}">
  <td class="id">{{stepId}}<div class="time">{{stepStarted}}{{#stepFinished}} → {{stepFinished}}{{/stepFinished}}</div></td>
  <td>{{jobName}}</td>
  <td>{{#exit}}<span class="state {{exit}}">{{exit}}</span>{{/exit}}{{^exit}}running{{/exit}}</td>
  <td>{{#stepInput}}{{> dataclip}}{{/stepInput}}</td>
  <td>{{#output}}{{> dataclip}}{{/output}}{{^output}}—{{/output}}</td>
</tr>
{{/steps}}
</tbody>
</table>
{{/hasSteps}}
{{^hasSteps}}<p>No steps yet.</p>{{/hasSteps}}
<h2>Final state</h2>
{{#final}}{{> dataclip}}{{/final}}
{{^final}}<p id="final-state">{{finalNote}}</p>{{/final}}
</div>
{{> footer}}
"""#

    /// A dataclip: its id, marks, and its body collapsed.
    static let dataclip = #"""
<div class="dataclip-box">
<code class="dataclip">{{clipId}}</code>{{#isFinal}} <span class="mark final">final state</span>{{/isFinal}}{{#isWiped}} <span class="mark wiped">wiped {{wipedAt}}</span>{{/isWiped}}
{{#hasBody}}<details data-key="clip-{{clipId}}"><summary>{{clipType}} body</summary><pre>{{clipBody}}</pre></details>{{/hasBody}}
</div>
"""#
}
