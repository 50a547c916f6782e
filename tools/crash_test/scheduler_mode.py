"""`scheduler`, in two parts that share the kills.

Ticks: two `cairn schedule tick --at MINUTE` processes on one folder tick
the same minute at once, and either or both are SIGKILLed at a random
moment; the minute is ticked again until one tick finishes. Between
minutes the cron runs created are worked to completion (`cairn ingest`, not
killed), so each trigger's cursor, the next run's input, moves.

Services: two `cairn serve` processes on one folder run their schedulers
by one simulated clock (`CAIRN_SCHEDULER_CLOCK`, 20 times the wall clock
from 2100: a minute every three seconds, so kills can be counted in
hundreds) and tick the same minutes; one of them is SIGKILLed near a
minute boundary, where the ticks are, and started again at once, or now
and then both, just before a boundary, started again 3.2 to 6.5 real
seconds later (one or two whole minutes missed, which the first to start
owes as late ticks). See
`run_services` for what is checked.

Acknowledged, in the ticks part: the runs a finished tick printed. A clean folder ticks each
minute once, with no kill, and is given the same completions. After every
minute with a kill: no (trigger, minute) has two runs; every acknowledged
run is there; the log is dense; `rebuild --verify` passes; every trigger's
cursor (`cairn cursor T --json`, the next cron input) and the projections
equal the clean folder's."""
import copy
import json
import os
import random
import signal
import subprocess
import time
import uuid

from . import common, eventlog, ingest_mode, workload

MODE = "scheduler"
MINUTE_US = 60_000_000
T0 = 1_795_500_000_000_000  # 2026-11-24T06:00:00Z


def iso(us):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1_000_000))


def workflows(rng):
    """Variants of the sample workflow, each with ids of its own and a cron trigger of its own."""
    base = json.load(open(ingest_mode.WORKFLOW_FILE))
    out = []
    for expr, cursor in [("* * * * *", True), ("*/2 * * * *", False), ("*/3 * * * *", True), ("1-59/2 * * * *", False)]:
        w = copy.deepcopy(base)
        ids = {}

        def new(old):
            if old not in ids:
                ids[old] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            return ids[old]
        w["id"] = new(w["id"])
        w["name"] = "cron %s" % expr
        for j in w["jobs"]:
            j["id"] = new(j["id"])
        for t in w["triggers"]:
            t["id"] = new(t["id"])
            if t["type"] == "cron":
                t["cron_expression"] = expr
                if cursor:
                    t["cron_cursor_job_id"] = new(t["cron_cursor_job_id"])
                else:
                    t.pop("cron_cursor_job_id", None)
        for e in w["edges"]:
            e["id"] = new(e["id"])
            for k in ("source_trigger_id", "source_job_id", "target_job_id"):
                if e.get(k):
                    e[k] = new(e[k])
        w["positions"] = {new(k): v for k, v in w.get("positions", {}).items()}
        out.append(w)
    return out


def completions(seed, runs, minute, wfs):
    """Lines that work each (run, workflow) to its end; the same for both folders."""
    lines = []
    by_id = {w["id"]: w for w in wfs}
    for run_id, workflow_id in sorted(runs):
        rng = random.Random("%s/%s" % (seed, run_id))
        w = by_id[workflow_id]
        job = w["jobs"][0]["id"]
        t = minute + 1_000_000

        def ev(name, payload):
            nonlocal t
            t += rng.randint(1, 1000)
            payload = dict(payload, run_id=run_id, timestamp=t)
            return json.dumps({"event": name, "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "payload": payload})
        step = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        ok = rng.random() < 0.8
        lines += [ev("run:claimed", {"worker_name": "cron-worker"}), ev("run:start", {}),
                  ev("step:start", {"step_id": step, "job_id": job}),
                  ev("step:complete", {"step_id": step, "job_id": job, "reason": "success" if ok else "fail",
                                       "output_dataclip_id": out,
                                       "output_dataclip": json.dumps({"minute": iso(minute), "n": rng.randint(0, 999)})}),
                  ev("run:complete", {"reason": "success" if ok else "fail", "final_dataclip_id": out})]
    return lines


def cron_runs(events):
    """[(run_id, workflow_id, trigger_id, scheduled_for)] of the log's cron runs."""
    out = []
    for e in events:
        if e.kind == "run:created":
            run_id, workflow_id, _, _, trigger, _, scheduled = eventlog.run_created(e)
            if scheduled is not None:
                out.append((run_id, workflow_id, trigger, scheduled))
    return out


def run(h, rng, kills, small):
    services = kills // 2
    run_ticks(h, rng, kills - services, small)
    if services:
        run_services(h, rng, services, small)


def setup(h, rng, name):
    """A folder with the four cron workflows published; (folder, workflows, cron trigger ids)."""
    wfs = workflows(rng)
    data = h.folder(name)
    for w in wfs:
        path = os.path.join(os.path.dirname(data), "%s.json" % w["id"])
        json.dump(w, open(path, "w"))
        h.run(["workflow", "publish", path], data)
    return data, wfs, [t["id"] for w in wfs for t in w["triggers"] if t["type"] == "cron"]


def run_ticks(h, rng, kills, small):
    seed = rng.getrandbits(32)
    data, wfs, triggers = setup(h, rng, "scheduler")
    clean = h.copy(data, "scheduler-clean")
    outs = [os.path.join(os.path.dirname(data), "tick%d.out" % i) for i in range(2)]
    acked = set()
    estimate = 0.08
    done = 0
    minute = T0
    while done < kills:
        minute += MINUTE_US
        killed_this_minute = 0
        while True:
            procs = []
            for i in range(2):
                f = open(outs[i], "wb")
                procs.append((h.spawn(["schedule", "tick", "--at", iso(minute), "--json"], data, stdout=f,
                                      stderr=open(outs[i] + ".err", "wb")), f))
            began = time.time()
            finished = []
            # Each process is killed with probability 0.7: anywhere, or near its end, where it commits.
            plan = [estimate * (rng.uniform(0, 1.1) if rng.random() < 0.5 else rng.uniform(0.7, 1.1))
                    if rng.random() < 0.7 else None for _ in procs]
            # Kill in time order; the one not to be killed is waited for.
            for (p, f), delay in sorted(zip(procs, plan), key=lambda x: (x[1] is None, x[1] or 0)):
                if delay is not None and done < kills:
                    was_killed = common.kill_after(p, max(0.0, delay - (time.time() - began)))
                else:
                    p.wait()
                    was_killed = False
                f.close()
                if was_killed:
                    killed_this_minute += 1
                    done += 1
                    h.killed(MODE)
                else:
                    finished.append(p)
            for i, (p, _) in enumerate(procs):
                if p in finished:
                    if p.returncode != 0:
                        h.violation(MODE, "schedule tick %s exited %d: %s" % (
                            iso(minute), p.returncode, open(outs[i] + ".err", "rb").read()[-500:]), data)
                        return
                    estimate = 0.7 * estimate + 0.3 * (time.time() - began)
                    for r in json.loads(open(outs[i], "rb").read() or b"[]"):
                        acked.add(r["run_id"])
            if finished:
                break
        # The clean folder: the same minute once.
        h.run(["schedule", "tick", "--at", iso(minute), "--json"], clean)
        # Work this minute's runs (the crashed folder's view: the same runs, or a violation below).
        events = common.check_log(h, MODE, data)
        if events is None:
            return
        runs = [(r, w) for r, w, _, at in cron_runs(events) if at == minute]
        lines = completions(seed, runs, minute, wfs)
        if killed_this_minute:
            check(h, data, clean, events, acked, triggers, wfs, minute)
        if lines:
            for folder in (data, clean):
                src = os.path.join(os.path.dirname(folder), "done.jsonl")
                ingest_mode.ingest_file(h, src, lines)
                h.run(["ingest", src], folder)
        h.log("scheduler: %s: %d runs, %d kills, %d in all" % (iso(minute), len(runs), killed_this_minute, done))
    events = common.check_log(h, MODE, data)
    if events is not None:
        check(h, data, clean, events, acked, triggers, wfs, minute)


def views(h, data, wfs, triggers, minute):
    """What a reader sees: every run of every workflow, each cron cursor, and the next input of each trigger."""
    out = {}
    for w in wfs:
        out["runs of " + w["id"]] = h.run(["runs", "list", "--workflow", w["id"], "--limit", "100000", "--json"], data).stdout
    for t in triggers:
        out["cursor of " + t] = h.run(["cursor", t, "--json"], data).stdout
    out["upcoming"] = h.run(["schedule", "upcoming", "--from", iso(minute), "--limit", "50", "--json"], data).stdout
    return out


# A cron run's record and its key in `workflow_runs` hold the time the tick
# recorded it (run:created from the scheduler carries no timestamp): those
# differ from the clean folder's by design and are compared through `views`.
RECORDED_TIME_TABLES = {"proj.runs.runs", "proj.workflow_runs.by_workflow", "proj.runs.available_by_project"}


def check(h, data, clean, events, acked, triggers, wfs, minute):
    h.checked(MODE)
    seen = {}
    for run_id, _, trigger, at in cron_runs(events):
        if (trigger, at) in seen:
            h.violation(MODE, "trigger %s has two runs for %s: %s and %s" % (trigger, iso(at), seen[(trigger, at)], run_id), data)
        seen[(trigger, at)] = run_id
    created = {r for r, _, _, _ in cron_runs(events)}
    lost = acked - created
    if lost:
        h.violation(MODE, "%d acknowledged cron runs are not in the log, e.g. %s" % (len(lost), sorted(lost)[:3]), data)
    if common.check_opens(h, MODE, data) is None or not common.check_verify(h, MODE, data):
        return
    mine, theirs = views(h, data, wfs, triggers, minute), views(h, clean, wfs, triggers, minute)
    for k in mine:
        if mine[k] != theirs[k]:
            h.violation(MODE, "%s differs from the clean run's: %s vs %s" % (k, mine[k][:300], theirs[k][:300]), data)
    a, b = common.projection_dump(data), common.projection_dump(clean)
    for t in RECORDED_TIME_TABLES:
        a.pop(t, None)
        b.pop(t, None)
    for d in common.dump_differences(a, b):
        h.violation(MODE, "projections differ from the clean run's: %s" % d, data)


# Simulated seconds a real second: a minute every three seconds. The
# scheduler's five-minute grace for late ticks is then fifteen real seconds,
# well beyond the time the two services are down together (up to 6.8 s and
# a start-up); where a slow machine goes beyond it anyway, the minutes in
# between are downtime by design, and the check says so instead of counting
# them (`run_services`).
SPEED = 20
# Where the simulated clock starts: decades ahead, as `SchedulerClock`
# requires, so no simulated minute is one the folder could tick for real.
SIMULATED_START_US = 4_102_444_800_000_000  # 2100-01-01T00:00:00Z
GRACE_S = 300


def fires(expr, minute_us):
    """Whether one of `workflows`' expressions fires at this minute (all are minute-of-hour only)."""
    m = (minute_us // MINUTE_US) % 60
    return {"* * * * *": True, "*/2 * * * *": m % 2 == 0, "*/3 * * * *": m % 3 == 0,
            "1-59/2 * * * *": m % 2 == 1}[expr]


def run_services(h, rng, kills, small):
    """Two services tick the same simulated minutes while one or both are
    killed and started again. A service started after a kill owes the
    minutes since the last one ticked (they are late, not downtime, well
    within the scheduler's five-minute grace), so whatever the kills, after
    SIGTERM: each trigger has exactly one run for each of its fire times
    from the first minute ticked to the last, and none other (the every-
    minute trigger's runs give that range); the log is dense; `rebuild
    --verify` passes; and every workflow's runs, every cursor and the
    upcoming fires equal a folder that ticked each of those minutes once
    with `schedule tick`."""
    data, wfs, triggers = setup(h, rng, "scheduler-serve")
    clean = h.copy(data, "scheduler-serve-clean")
    expr = {t["id"]: t["cron_expression"] for w in wfs for t in w["triggers"] if t["type"] == "cron"}
    every_minute = next(t for t, e in expr.items() if e == "* * * * *")
    now = time.time()
    clock = "%s %.3f %d" % (iso(SIMULATED_START_US), now, SPEED)
    env = dict(os.environ, LOG_LEVEL="warning", CAIRN_SCHEDULER_CLOCK=clock)
    servers = []
    for i in range(2):
        log = open(os.path.join(os.path.dirname(data), "serve%d.log" % i), "ab")
        servers.append({"log": log, "proc": None})

    def start(s):
        # A port of its own at each start: nobody but the health check connects.
        port = common.free_port()
        s["proc"] = h.spawn(["serve", "--port", str(port)], data, stdout=s["log"], stderr=s["log"], env=env)
        if not common.wait_healthy(port, s["proc"], timeout=60):
            raise RuntimeError("cairn serve did not become healthy")

    def simulated(t):
        """Simulated seconds since 1970 at real time t."""
        return SIMULATED_START_US / 1e6 + (t - now) * SPEED

    # Stretches (simulated seconds) when neither service ran: past the grace, the minutes in them are downtime.
    outages = []

    try:
        for s in servers:
            start(s)
        killed = rounds = 0
        while killed < kills:
            rounds += 1
            # Just before or after the next simulated minute boundary, where both tick.
            boundary = (int(simulated(time.time())) // 60 + 1) * 60
            both = rng.random() < 0.15 and kills - killed >= 2
            # Both go down just before a boundary, so the minute is ticked late, by whichever starts first.
            at = now + (boundary - simulated(now)) / SPEED + (rng.uniform(-0.3, -0.02) if both else rng.uniform(-0.05, 0.05))
            time.sleep(max(0.0, at - time.time()))
            victims = servers if both else [servers[rng.randrange(2)]]
            down = time.time()
            for s in victims:
                common.kill_after(s["proc"], 0)
                h.killed(MODE)
                killed += 1
            if len(victims) == 2:
                # Down for one or two whole minutes: whoever starts first owes them, as late ticks.
                time.sleep(rng.uniform(3.2, 6.5))
            for s in victims:
                start(s)
                if len(victims) == 2 and s is victims[0]:
                    # Healthy means it listens; its scheduler's first tick is about then
                    # (the two start together), which the margin below allows for.
                    outages.append((simulated(down), simulated(time.time())))
            h.log("scheduler (services): %d killed at simulated %s, %d in all" % (
                len(victims), iso(int(simulated(time.time())) * 1_000_000), killed))
        time.sleep(2.5)
    finally:
        for s in servers:
            if s["proc"] and s["proc"].poll() is None:
                s["proc"].send_signal(signal.SIGTERM)
        for s in servers:
            if s["proc"]:
                try:
                    s["proc"].wait(timeout=15)
                except subprocess.TimeoutExpired:
                    s["proc"].kill()
                    s["proc"].wait()
            s["log"].close()
    h.checked(MODE)
    events = common.check_log(h, MODE, data)
    if events is None:
        return
    runs = cron_runs(events)
    seen = {}
    for run_id, _, trigger, at in runs:
        if (trigger, at) in seen:
            h.violation(MODE, "services: trigger %s has two runs for %s" % (trigger, iso(at)), data)
        seen[(trigger, at)] = run_id
    ticked = sorted(at for _, _, t, at in runs if t == every_minute)
    if len(ticked) < rounds:
        h.violation(MODE, "services: only %d minutes were ticked over %d minutes of kills" % (len(ticked), rounds), data)
        return
    first, last = ticked[0], ticked[-1]
    want = {(t, m) for t in triggers for m in range(first, last + MINUTE_US, MINUTE_US) if fires(expr[t], m)}
    missing, extra = want - set(seen), set(seen) - want
    # Minutes in an outage longer than the grace are downtime by design: skipped, not owed.
    # Measured to the restarted service's health check, which its first
    # tick may follow by a second or two: 50 simulated seconds of margin.
    long_outages = [(a, b) for a, b in outages if b - a > GRACE_S - 50]
    if long_outages:
        print("crash-test: scheduler (services): %d outages of both services outlasted the %d s grace "
              "(the machine was slow to start them); their minutes are not counted" % (len(long_outages), GRACE_S), flush=True)
        missing = {(t, m) for t, m in missing if not any(a * 1e6 - MINUTE_US <= m <= b * 1e6 + MINUTE_US for a, b in long_outages)}
    if missing:
        h.violation(MODE, "services: %d fires have no run, e.g. %s" % (
            len(missing), ["%s@%s" % (t, iso(m)) for t, m in sorted(missing)[:3]]), data)
    if extra:
        h.violation(MODE, "services: %d runs are for no fire time between %s and %s, e.g. %s" % (
            len(extra), iso(first), iso(last), ["%s@%s" % (t, iso(m)) for t, m in sorted(extra)[:3]]), data)
    if common.check_opens(h, MODE, data) is None or not common.check_verify(h, MODE, data):
        return
    if long_outages:
        return
    for m in range(first, last + MINUTE_US, MINUTE_US):
        h.run(["schedule", "tick", "--at", iso(m)], clean)
    mine, theirs = views(h, data, wfs, triggers, last), views(h, clean, wfs, triggers, last)
    for key in mine:
        if key.startswith("runs of "):
            # Listed newest first by the time a tick recorded them: a late tick
            # records the minutes it owes at one time, a clean folder each at its own.
            mine[key], theirs[key] = (json.dumps(sorted(json.loads(v), key=lambda r: r["id"])) for v in (mine[key], theirs[key]))
        if mine[key] != theirs[key]:
            h.violation(MODE, "services: %s differs from a folder that ticked each minute once: %s" % (
                key, first_difference(mine[key], theirs[key])), data)
    h.log("scheduler (services): %d minutes ticked, %s to %s, %d runs" % (len(ticked), iso(first), iso(last), len(runs)))


def first_difference(a, b):
    """Where two JSON outputs part: the first element (or key) that differs, both sides."""
    try:
        x, y = json.loads(a), json.loads(b)
    except ValueError:
        return "%s vs %s" % (a[:300], b[:300])
    if isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            return "%d items vs %d" % (len(x), len(y))
        for i, (p, q) in enumerate(zip(x, y)):
            if p != q:
                return "item %d: %s vs %s" % (i, json.dumps(p)[:400], json.dumps(q)[:400])
    return "%s vs %s" % (json.dumps(x)[:400], json.dumps(y)[:400])
