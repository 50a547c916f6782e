"""`ingest`: a large generated worker-event stream through `cairn ingest`,
killed with SIGKILL at random moments and resumed.

What counts as acknowledged. `cairn ingest --commits` commits every
--batch-size lines (one durable transaction) and then writes `committed
through line N` on stderr: lines 1..N are stored or were reported refused.
A refusal report `line N: ...` comes only after everything before that line
is committed (a line that does not parse flushes the batch before it; a
line the log refuses is reported once its batch committed), so it
acknowledges lines 1..N-1; a run that printed its summary acknowledges
every line. Lines committed but not yet reported are allowed to be there or
not (they are not acknowledged). A killed ingest is resumed at the first
line not acknowledged (now and then from the start)."""
import os
import re
import time

from . import common, workload

MODE = "ingest"
LINE = re.compile(rb"^line (\d+): ", re.M)
COMMITTED = re.compile(rb"^committed through line (\d+)$", re.M)
WORKFLOW_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "workflows", "daily-report.json")


def ingest_file(h, path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def fresh_store(h, pristine, name, lines, batch=1000):
    """A copy of the folder as set up (the same publish, at the same time), with `lines` ingested in one go."""
    data = h.copy(pristine, name)
    src = os.path.join(os.path.dirname(data), "in.jsonl")
    ingest_file(h, src, lines)
    started = time.time()
    p = h.run(["ingest", src, "--batch-size", str(batch), "--json"], data, check=False)
    return data, p, time.time() - started


def campaign(h, rng, seed, runs, kill_quota, deep_every):
    """One stream, ingested into one folder with kills until all of it is in."""
    s = workload.generate(seed, runs)
    n = len(s.lines)
    data = h.folder("ingest")
    h.run(["workflow", "publish", WORKFLOW_FILE], data)
    pristine = h.copy(data, "ingest-setup")
    # The clean run: the whole stream once, no kill.
    ref_data, p, ref_seconds = fresh_store(h, pristine, "ingest-clean", s.lines)
    if p.returncode not in (0, 1):
        raise common.CommandFailed(["cairn ingest (clean)"], p)
    ref_events = common.read_log(ref_data)
    want = 1 + s.expect.count("append")
    if len(ref_events) != want:
        raise RuntimeError("generator: the clean ingest appended %d events, the stream expects %d" % (len(ref_events), want))
    # appended_before[i]: events the log holds once lines[:i] are in (the publish first).
    appended_before = [1] * (n + 1)
    for i, e in enumerate(s.expect):
        appended_before[i + 1] = appended_before[i] + (e == "append")
    # line_of_event[k]: the line index of the k-th event (k >= 1; event 0 is the publish).
    line_of_event = [None] + s.appended
    ref_key = keys(ref_events)
    ref_dump = common.projection_dump(ref_data)

    rate = {1: 300.0, 10: 2000.0, 100: 5000.0, 1000: max(2000.0, n / max(ref_seconds, 0.05))}
    acked = 0
    kills = 0
    runs_done = 0
    src = os.path.join(os.path.dirname(data), "in.jsonl")
    errf = os.path.join(os.path.dirname(data), "ingest.err")
    outf = os.path.join(os.path.dirname(data), "ingest.out")
    while True:
        start = 0 if rng.random() < 0.15 else acked
        batch = rng.choice([1, 10, 100, 1000, 1000])
        ingest_file(h, src, s.lines[start:])
        remaining = n - start
        estimate = 0.05 + remaining / rate[batch]
        # Kills land anywhere: opening, appending, the final catch-up; a few right away.
        delay = rng.uniform(0, 0.05) if rng.random() < 0.1 else rng.uniform(0, estimate * 1.1)
        if kills >= kill_quota:
            delay = 3600
        with open(errf, "wb") as err, open(outf, "wb") as out:
            began = time.time()
            proc = h.spawn(["ingest", src, "--batch-size", str(batch), "--commits"], data, stdout=out, stderr=err)
            was_killed = common.kill_after(proc, delay)
            took = time.time() - began
        err_bytes = open(errf, "rb").read()
        out_bytes = open(outf, "rb").read()
        reported = [int(m) for m in LINE.findall(err_bytes)]
        if reported:
            acked = max(acked, start + max(reported) - 1)
        committed = [int(m) for m in COMMITTED.findall(err_bytes)]
        if committed:
            acked = max(acked, start + max(committed))
        if not was_killed:
            runs_done += 1
            if proc.returncode not in (0, 1) or b"appended" not in out_bytes:
                h.violation(MODE, "ingest exited %s without its summary: %s" % (
                    proc.returncode, err_bytes.decode(errors="replace")[-500:]), data)
                return kills
            acked = n
            rate[batch] = 0.5 * rate[batch] + 0.5 * (remaining / max(took, 0.01))
        else:
            kills += 1
            h.killed(MODE)
        deep = was_killed and (kills % deep_every == 0)
        check(h, data, s, acked, ref_key, appended_before, line_of_event, deep or acked == n, ref_dump, pristine)
        h.log("ingest: %s after %.3fs (batch %d, from line %d): %d/%d lines acknowledged" % (
            "killed" if was_killed else "finished", took, batch, start, acked, n))
        if acked == n:
            for folder in (data, ref_data, pristine):
                common.remove_folder(folder)
            return kills


def keys(events):
    """What must match the clean run's log, event by event: ids, kinds, streams, versions."""
    return [(e.id, e.kind, e.stream, e.version) for e in events]


def check(h, data, s, acked, ref_key, appended_before, line_of_event, deep, ref_dump, pristine):
    h.checked(MODE)
    events = common.check_log(h, MODE, data)
    if events is None:
        return
    got = keys(events)
    if got != ref_key[:len(got)]:
        first = next(i for i, (a, b) in enumerate(zip(got, ref_key + [None] * len(got))) if a != b)
        h.violation(MODE, "the log differs from the clean run's at sequence %d: %r, clean %r" % (
            first + 1, got[first], ref_key[first] if first < len(ref_key) else None), data)
        return
    need = appended_before[acked]
    if len(got) < need:
        h.violation(MODE, "%d lines acknowledged need %d events; the log has %d (acknowledged events lost)" % (
            acked, need, len(got)), data)
        return
    if common.check_opens(h, MODE, data) is None:
        return
    if not common.check_verify(h, MODE, data):
        return
    if not deep:
        return
    # Projections equal a clean run of the same input: everything up to the last line in the log.
    last_line = line_of_event[len(got) - 1] if len(got) > 1 else -1
    if len(got) == len(ref_key):
        clean_dump = ref_dump
    else:
        clean_data, p, _ = fresh_store(h, pristine, "ingest-prefix", s.lines[:last_line + 1])
        clean_dump = common.projection_dump(clean_data)
        common.remove_folder(clean_data)
    diffs = common.dump_differences(common.projection_dump(data), clean_dump)
    for d in diffs:
        h.violation(MODE, "projections differ from a clean run of the same %d lines: %s" % (last_line + 1, d), data)


def run(h, rng, kills, small):
    """Campaigns of `size` runs each until `kills` kills."""
    done = 0
    campaign_no = 0
    while done < kills:
        campaign_no += 1
        seed = rng.getrandbits(32)
        quota = min(kills - done, max(5, kills // 3))
        done += campaign(h, rng, seed, 600 if small else 2500, quota, deep_every=1 if kills <= 60 else 3)
        h.log("ingest: campaign %d done, %d kills so far" % (campaign_no, done))
