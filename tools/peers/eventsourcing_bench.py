#!/usr/bin/env python3
"""The Python `eventsourcing` library (SQLite persistence) appending the same
realistic run events as bench-eventlog: ten events a run, ~200-byte step
outputs, 100 runs (1,000 events) saved per transaction. Prints events/s."""
import os
import sys
import tempfile
import time

os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
workdir = tempfile.mkdtemp()
os.environ["SQLITE_DBNAME"] = os.path.join(workdir, "events.sqlite")

from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402


class Run(Aggregate):
    @event("Created")
    def __init__(self, workflow_id, input_dataclip_id):
        self.workflow_id = workflow_id
        self.input_dataclip_id = input_dataclip_id
        self.state = "available"

    @event("Claimed")
    def claim(self, worker_name):
        self.state = "claimed"

    @event("Started")
    def start(self):
        self.state = "started"

    @event("StepStarted")
    def start_step(self, step_id, job_id):
        pass

    @event("StepCompleted")
    def complete_step(self, step_id, job_id, reason, output_dataclip_id, output_dataclip):
        pass

    @event("Completed")
    def complete(self, reason, final_dataclip_id):
        self.state = reason


class Runs(Application):
    pass


runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
app = Runs()
output = '{"data":"' + "x" * 180 + '"}'
batch = []
elapsed = 0.0
for r in range(runs):
    run = Run("w", "input")
    run.claim("worker")
    run.start()
    for s in range(3):
        run.start_step(f"r{r}-s{s}", f"j{s}")
        run.complete_step(f"r{r}-s{s}", f"j{s}", "success", f"r{r}-s{s}-out", output)
    run.complete("success", f"r{r}-s2-out")
    batch.append(run)
    if len(batch) == 100 or r == runs - 1:
        t0 = time.perf_counter()
        app.save(*batch)
        elapsed += time.perf_counter() - t0
        batch = []
print(f"events={runs * 10} seconds={elapsed}")
