"""`rebuild`: a store with a generated log, and processes killed in the
middle of `cairn rebuild`, of `cairn rebuild --verify`, and of the rebuild a
projector version upgrade starts when the store opens.

An upgrade cannot be made without a new build, so it is simulated: the
checkpoint of one projection (`checkpoints`: slot, projector version u32 BE,
last sequence) is given the version before the current one, through liblmdb,
with no cairn process running; the next open (`cairn info`, here) finds the
projector's version changed and rebuilds that projection before anything
else, exactly as after an upgrade.

Nothing is appended in this mode, so after every kill the log must be the
same as before and the projections the same as a clean build's, byte for
byte; a rebuild claim left by the killed process must be taken over
(docs/operations.md), so `rebuild --verify` passes."""
import hashlib
import os
import time

from . import common, lmdbread, workload, ingest_mode

MODE = "rebuild"


def log_digest(events):
    d = hashlib.sha256()
    for e in events:
        d.update(("%d %s %s %s %d|" % (e.sequence, e.id, e.kind, e.stream, e.version)).encode())
    return len(events), d.hexdigest()


def simulate_upgrade(data, projection):
    with lmdbread.Folder(data, writable=True) as f:
        cp = dict(f.items("checkpoints"))[projection.encode()]
        version = int.from_bytes(cp[1:5], "big")
        older = (version - 1 if version > 1 else version + 1).to_bytes(4, "big")
        f.put("checkpoints", projection.encode(), cp[:1] + older + cp[5:])


def run(h, rng, kills, small):
    runs = 3_000 if small else 20_000
    s = workload.generate(rng.getrandbits(32), runs, concurrency=16)
    data = h.folder("rebuild")
    h.run(["workflow", "publish", ingest_mode.WORKFLOW_FILE], data)
    src = os.path.join(os.path.dirname(data), "in.jsonl")
    ingest_mode.ingest_file(h, src, s.lines)
    h.run(["ingest", src, "--batch-size", "10000"], data, check=False, timeout=1800)
    h.run(["rebuild"], data)
    reference = common.projection_dump(data)
    digest = log_digest(common.read_log(data))
    h.log("rebuild: %d events" % digest[0])
    actions = {
        "rebuild": lambda: ["rebuild"],
        "verify": lambda: ["rebuild", "--verify"],
        "upgrade": lambda: ["info"],
    }
    took = {}
    for name, args in actions.items():
        if name == "upgrade":
            simulate_upgrade(data, "runs")
        began = time.time()
        h.run(args(), data, timeout=1800)
        took[name] = time.time() - began
    h.log("rebuild: uninterrupted " + ", ".join("%s %.2fs" % kv for kv in took.items()))
    done = 0
    while done < kills:
        action = rng.choice(["rebuild", "rebuild", "verify", "upgrade"])
        projection = rng.choice(common.PROJECTIONS)
        if action == "upgrade":
            simulate_upgrade(data, projection)
        delay = rng.uniform(0, took[action] * 1.05)
        proc = h.spawn(actions[action](), data)
        killed = common.kill_after(proc, delay)
        if not killed and proc.returncode != 0:
            h.violation(MODE, "%s exited %d without being killed" % (action, proc.returncode), data)
        if killed:
            done += 1
            h.killed(MODE)
        h.checked(MODE)
        events = common.check_log(h, MODE, data)
        if events is not None and log_digest(events) != digest:
            h.violation(MODE, "the log changed during %s: %s events, was %s" % (action, len(events), digest[0]), data)
        if common.check_opens(h, MODE, data) is None or not common.check_verify(h, MODE, data):
            continue
        for d in common.dump_differences(common.projection_dump(data), reference, "after the kill", "before"):
            h.violation(MODE, "projections differ after a killed %s%s: %s" % (
                action, " of %s" % projection if action == "upgrade" else "", d), data)
        h.log("rebuild: %s %s after %.3fs" % (action + (" " + projection if action == "upgrade" else ""),
                                               "killed" if killed else "finished", delay))
