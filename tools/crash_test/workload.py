"""Seeded worker-event streams: valid run lifecycles interleaved, with
duplicates and invalid lines, each line's expected outcome known.

Every invalid line is *permanently* invalid: refused whatever state the
log reaches later (bad JSON, an unknown event, an out-of-range field, a
run that is never created, a job not in the workflow, a transition from a
state the run has already left). So ingesting the stream again from any
line after a crash gives the same log as one clean pass: a line refused
once is refused on the second try too, and lines already in are
duplicates."""
import json
import uuid

WORKFLOW = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
PROJECT = "4f9e2d1c-aaaa-4bbb-8ccc-000000000001"
JOB1 = "a1000000-0000-4000-8000-000000000001"
JOB2 = "a1000000-0000-4000-8000-000000000002"
CRON = "c1000000-0000-4000-8000-000000000001"
WEBHOOK = "c1000000-0000-4000-8000-000000000002"
T0 = 1_795_500_000_000_000  # 2026-11-24T06:00:00Z, µs


def uid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Stream:
    def __init__(self, rng):
        self.rng = rng
        self.lines = []      # text of each line
        self.expect = []     # "append", "duplicate" or "reject"
        self.clock = T0
        self.appended = []   # indices of appended lines
        self.counter = 0

    def now(self):
        self.clock += self.rng.randint(1, 5_000_000)
        return self.clock

    def add(self, obj, expect, text=None):
        self.lines.append(text if text is not None else json.dumps(obj, separators=(",", ":")))
        self.expect.append(expect)
        if expect == "append":
            self.appended.append(len(self.lines) - 1)

    def event(self, name, payload, with_id=True):
        obj = {"event": name}
        if with_id:
            obj["id"] = uid(self.rng)
        payload = dict(payload)
        payload.setdefault("timestamp", self.now())
        obj["payload"] = payload
        return obj


def run_script(s, rng):
    """The valid events of one run, as a list of closures producing (obj); with
    the states it passes through, for stale lines."""
    run = uid(rng)
    trigger = CRON if rng.random() < 0.5 else WEBHOOK
    out1, out2 = uid(rng), uid(rng)
    steps = []
    shape = rng.random()
    steps.append(("run:created", {"run_id": run, "workflow_id": WORKFLOW, "starting_trigger_id": trigger,
                                  "input": {"type": "http_request", "body": {"n": rng.randint(0, 10**6)}}}))
    if shape < 0.05:
        steps.append(("run:cancelled", {"run_id": run}))
        return run, steps, []
    steps.append(("run:claimed", {"run_id": run, "worker_name": "w%d" % rng.randint(1, 8)}))
    if shape < 0.10:
        steps.append(("run:lost", {"run_id": run}))
        return run, steps, []
    steps.append(("run:start", {"run_id": run}))
    s1, s2 = uid(rng), uid(rng)
    steps.append(("step:start", {"run_id": run, "step_id": s1, "job_id": JOB1}))
    if rng.random() < 0.5:
        steps.append(("run:log", {"run_id": run, "step_id": s1, "level": "info", "source": "JOB",
                                  "message": ["fetched", rng.randint(0, 99)]}))
    fail = shape < 0.25
    steps.append(("step:complete", {"run_id": run, "step_id": s1, "job_id": JOB1, "reason": "fail" if fail else "success",
                                    "output_dataclip_id": out1,
                                    "output_dataclip": json.dumps({"data": list(range(rng.randint(0, 6))), "k": uid(rng)}),
                                    "mem": {"job": rng.randint(0, 1 << 30)}, "duration": rng.randint(0, 10**6)}))
    if fail:
        steps.append(("run:complete", {"run_id": run, "reason": "fail", "final_state": {"error": rng.randint(400, 599)}}))
        return run, steps, [out1]
    steps.append(("step:start", {"run_id": run, "step_id": s2, "job_id": JOB2, "input_dataclip_id": out1}))
    steps.append(("step:complete", {"run_id": run, "step_id": s2, "job_id": JOB2, "reason": "success",
                                    "output_dataclip_id": out2, "output_dataclip": json.dumps({"total": rng.randint(0, 99)})}))
    steps.append(("run:complete", {"run_id": run, "reason": "success", "final_dataclip_id": out2}))
    return run, steps, [out1, out2]


def invalid_line(s, rng, runs_seen, active_runs):
    """One permanently invalid line."""
    kind = rng.randrange(8)
    if kind == 0:
        s.add(None, "reject", text="this is not json %d" % rng.randint(0, 10**9))
    elif kind == 1 and s.lines:
        prev = s.lines[rng.randrange(len(s.lines))]
        s.add(None, "reject", text=prev[: max(1, len(prev) // 2)])  # a line cut short
    elif kind == 2:
        s.add(s.event("run:teleport", {"run_id": uid(rng)}), "reject")
    elif kind == 3:
        s.add(s.event("run:start", {"run_id": uid(rng)}), "reject")  # a run never created
    elif kind == 4 and runs_seen:
        obj = s.event("run:log", {"run_id": rng.choice(runs_seen), "level": "info", "source": "JOB", "message": "ns"})
        obj["payload"]["timestamp"] = 1_795_500_000_000_000_000  # nanoseconds: out of range
        s.add(obj, "reject")
    elif kind == 5:
        obj = s.event("run:start", {"run_id": uid(rng)})
        obj["id"] = "not-a-uuid-%d" % rng.randint(0, 999)
        s.add(obj, "reject")
    elif kind == 6 and active_runs:
        # A job no workflow has: refused in every state of the run.
        run = rng.choice(active_runs)
        s.add(s.event("step:start", {"run_id": run, "step_id": uid(rng), "job_id": uid(rng)}), "reject")
    elif kind == 7 and runs_seen:
        # output_dataclip without its id: refused whatever the state.
        s.add(s.event("step:complete", {"run_id": rng.choice(runs_seen), "step_id": uid(rng), "job_id": JOB1,
                                        "reason": "success", "output_dataclip": "{}"}), "reject")
    else:
        s.add(None, "reject", text="{\"event\": 42}")


def generate(seed, runs, concurrency=8, p_invalid=0.04, p_duplicate=0.03):
    """A Stream of `runs` interleaved run lifecycles."""
    import random
    rng = random.Random(seed)
    s = Stream(rng)
    s.add(s.event("project:configured", {"project_id": PROJECT, "name": "crash test"}), "append")
    active = []          # [run, steps, position, outputs]
    started = 0
    runs_seen = []
    finished_outputs = []
    while started < runs or active:
        while len(active) < concurrency and started < runs:
            run, steps, outputs = run_script(s, rng)
            active.append([run, steps, 0, outputs, None])
            started += 1
        r = rng.random()
        if r < p_invalid:
            invalid_line(s, rng, runs_seen, [a[0] for a in active])
            continue
        if r < p_invalid + p_duplicate and s.appended:
            i = s.appended[rng.randrange(len(s.appended))]
            s.add(None, "duplicate", text=s.lines[i])
            continue
        if r < p_invalid + p_duplicate + 0.01 and finished_outputs:
            d = finished_outputs.pop(rng.randrange(len(finished_outputs)))
            s.add(s.event("dataclip:wiped", {"dataclip_id": d}), "append")
            if rng.random() < 0.5:  # wiping it again: refused for good
                s.add(s.event("dataclip:wiped", {"dataclip_id": d}), "reject")
            continue
        a = active[rng.randrange(len(active))]
        run, steps, pos, outputs, last_state = a
        name, payload = steps[pos]
        # Lines without an id get one derived from their content (logs, here).
        obj = s.event(name, payload, with_id=not (name == "run:log" and rng.random() < 0.5))
        s.add(obj, "append")
        if pos == 0:
            runs_seen.append(run)
        if name in ("run:claimed", "run:start") and rng.random() < 0.15:
            # The same transition again under a new id: the run has left that state for good.
            s.add(s.event(name, payload), "reject")
        a[2] += 1
        if a[2] == len(steps):
            active.remove(a)
            finished_outputs.extend(outputs)
    return s
