"""What every mode shares: running cairn, killing it, and the invariants
checked after every kill."""
import json
import os
import shutil
import signal
import subprocess
import time

from . import eventlog, lmdbread

PROJECTIONS = ["runs", "workflow_runs", "job_outputs", "trigger_finals", "cron_index"]


class Harness:
    """The cairn binary, a work folder, the kill counts and the violations."""

    def __init__(self, cairn, work, keep_dir, verbose=False):
        self.cairn = cairn
        self.work = work
        self.keep_dir = keep_dir
        self.verbose = verbose
        self.kills = {}
        self.checks = {}
        self.violations = []
        self._folder_seq = 0

    # -- running cairn -------------------------------------------------

    def run(self, args, data=None, timeout=300, check=True, stdin=None, env=None):
        cmd = [self.cairn] + list(args) + (["--data", data] if data else [])
        p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, env=env)
        if check and p.returncode != 0:
            raise CommandFailed(cmd, p)
        return p

    def spawn(self, args, data=None, stdout=None, stderr=None, env=None):
        cmd = [self.cairn] + list(args) + (["--data", data] if data else [])
        return subprocess.Popen(cmd, stdout=stdout or subprocess.DEVNULL, stderr=stderr or subprocess.DEVNULL, env=env)

    def folder(self, name):
        self._folder_seq += 1
        path = os.path.join(self.work, "%s-%d" % (name, self._folder_seq))
        os.makedirs(path)
        return os.path.join(path, "data")

    def copy(self, pristine, name):
        """A new folder holding a copy of the data folder `pristine` (no process may be writing it)."""
        data = self.folder(name)
        shutil.copytree(pristine, data)
        return data

    def log(self, *parts):
        if self.verbose:
            print("  ", *parts, flush=True)

    # -- kills and violations ------------------------------------------

    def killed(self, mode):
        self.kills[mode] = self.kills.get(mode, 0) + 1

    def checked(self, mode):
        self.checks[mode] = self.checks.get(mode, 0) + 1

    def violation(self, mode, what, data=None):
        kept = None
        if data and os.path.exists(data):
            kept = os.path.join(self.keep_dir, "%s-violation-%d" % (mode, len(self.violations) + 1))
            shutil.copytree(data, kept, dirs_exist_ok=True)
        self.violations.append((mode, what, kept))
        print("VIOLATION [%s] %s%s" % (mode, what, " (data folder kept in %s)" % kept if kept else ""), flush=True)


class CommandFailed(Exception):
    def __init__(self, cmd, p):
        super().__init__("%s exited %d: %s" % (" ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd)),
                                                 p.returncode, (p.stderr or b"").decode(errors="replace").strip()[-2000:]))
        self.process = p


def kill_after(proc, delay):
    """Waits `delay` seconds for `proc`; if it still runs, SIGKILLs it.
    True if it was killed while running (a kill that counts)."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        pass
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return proc.returncode == -signal.SIGKILL


# -- reading the folder ------------------------------------------------

def read_log(data):
    with lmdbread.Folder(data) as f:
        return eventlog.read_log(f)


def log_shape_problems(events):
    """Dense sequences from 1, each event id once, each stream's versions 1..n."""
    problems = []
    for i, e in enumerate(events):
        if e.sequence != i + 1:
            problems.append("sequence %d found where %d was expected (not dense)" % (e.sequence, i + 1))
            break
    seen = {}
    for e in events:
        if e.id in seen:
            problems.append("event id %s at sequences %d and %d" % (e.id, seen[e.id], e.sequence))
        seen[e.id] = e.sequence
    versions = {}
    for e in events:
        want = versions.get(e.stream, 0) + 1
        if e.version != want:
            problems.append("stream %s: version %d at sequence %d, expected %d" % (e.stream, e.version, e.sequence, want))
        versions[e.stream] = e.version
    return problems[:20]


def projection_dump(data):
    """{projection.table: [(key, value)...]} of each projection's live slot, plus the checkpoints."""
    with lmdbread.Folder(data) as f:
        checkpoints = {k.decode(): v for k, v in f.items("checkpoints") if not k.startswith(b"rebuild-claim.")}
        names = f.database_names()
        wanted = []
        for projection, cp in checkpoints.items():
            slot = cp[0] & 1
            prefix, suffix = "proj.%s." % projection, ".%d" % slot
            wanted += [n for n in names if n.startswith(prefix) and n.endswith(suffix)]
        tables = f.tables(wanted)
    out = {}
    for name, items in tables.items():
        out[name.rsplit(".", 1)[0]] = items
    out["checkpoints"] = sorted((k, v[1:]) for k, v in checkpoints.items())  # version and sequence, not the slot
    return out


def dump_differences(a, b, label_a="crashed", label_b="clean"):
    diffs = []
    for table in sorted(set(a) | set(b)):
        ta, tb = a.get(table, []), b.get(table, [])
        if ta == tb:
            continue
        da, db = dict(ta), dict(tb)
        only_a = [k for k in da if k not in db]
        only_b = [k for k in db if k not in da]
        changed = [k for k in da if k in db and da[k] != db[k]]
        diffs.append("%s: %d entries %s, %d %s; only in %s %d, only in %s %d, values differ %d%s" % (
            table, len(ta), label_a, len(tb), label_b, label_a, len(only_a), label_b, len(only_b), len(changed),
            (" (first key %r)" % (only_a + only_b + changed)[0][:48]) if (only_a or only_b or changed) else ""))
    return diffs


# -- the checks every mode runs after a kill ----------------------------

def check_opens(h, mode, data):
    """The store opens (which also lets it catch its projections up)."""
    try:
        info = json.loads(h.run(["info", "--json"], data, timeout=600).stdout)
        return info
    except (CommandFailed, ValueError, subprocess.TimeoutExpired) as e:
        h.violation(mode, "the store does not open: %s" % e, data)
        return None


def check_verify(h, mode, data):
    try:
        p = h.run(["rebuild", "--verify", "--json"], data, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        h.violation(mode, "rebuild --verify did not finish in 900 s", data)
        return False
    if p.returncode != 0:
        h.violation(mode, "rebuild --verify failed (exit %d): %s %s" % (
            p.returncode, p.stdout.decode(errors="replace")[:1500], p.stderr.decode(errors="replace")[:500]), data)
        return False
    return True


def check_log(h, mode, data):
    """Reads the log raw; reports a violation if it is not dense and unique. Returns the events or None."""
    try:
        events = read_log(data)
    except Exception as e:  # noqa: BLE001 - any failure to read is the finding
        h.violation(mode, "the log cannot be read: %s" % e, data)
        return None
    problems = log_shape_problems(events)
    for p in problems:
        h.violation(mode, p, data)
    return None if problems else events


def wait_healthy(port, proc, timeout=30.0):
    import http.client
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                c.close()
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def remove_folder(data):
    shutil.rmtree(os.path.dirname(data), ignore_errors=True)
