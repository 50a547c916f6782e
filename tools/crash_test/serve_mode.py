"""`serve`: `cairn serve` on loopback with a fresh data folder and a worker
token; client threads post run lifecycles over HTTP (POST /api/v1/runs,
POST /api/v1/runs/{id}/events, one event or a few a request, each event
with its id); the server is SIGKILLed mid-load, checked while down, and
restarted on the same port; the clients retry what was not answered.

Acknowledged: the client got a 2xx (appended or duplicate). Claims
(`POST /api/v1/runs/claim`) are left out: a claim whose answer is lost
leaves its runs claimed by nobody the client knows, which is the protocol's
(random event ids), not the store's; the clients claim with `run:claimed`
events of their own id instead."""
import http.client
import json
import os
import random
import signal
import threading
import time

from . import common, workload

MODE = "serve"
WORKFLOW_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "workflows", "daily-report.json")


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked_events = set()    # event ids answered 2xx
        self.acked_runs = set()      # run ids whose run:created was answered 2xx
        self.lines_by_id = {}        # event id -> the worker-protocol line sent
        self.created_line = {}       # run id -> its run:created line
        self.stop = False
        self.refusals = []           # (status, body) of answers that were neither 2xx nor a failure to reach the server
        self.requests = 0
        self.failed = 0


class Client(threading.Thread):
    def __init__(self, shared, port, token, seed):
        super().__init__(daemon=True)
        self.shared, self.port, self.token = shared, port, token
        self.rng = random.Random(seed)
        self.stream = workload.Stream(self.rng)
        self.conn = None

    def post(self, path, body):
        """Posts until answered (the server may be down for a while). The answer, or None once stopping."""
        data = json.dumps(body).encode()
        while not self.shared.stop:
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                self.conn.request("POST", path, body=data, headers={
                    "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
                r = self.conn.getresponse()
                payload = r.read()
                with self.shared.lock:
                    self.shared.requests += 1
                if r.status >= 500:
                    raise OSError("status %d" % r.status)  # 503 while draining: not an answer, retry
                return r.status, payload
            except (OSError, http.client.HTTPException):
                with self.shared.lock:
                    self.shared.failed += 1
                if self.conn is not None:
                    self.conn.close()
                    self.conn = None
                time.sleep(0.05)
        return None

    def run(self):
        while not self.shared.stop:
            run, steps, _ = workload.run_script(self.stream, self.rng)
            i = 0
            while i < len(steps) and not self.shared.stop:
                name, payload = steps[i]
                if name == "run:created":
                    p = dict(payload)
                    p["timestamp"] = self.stream.now()
                    line = json.dumps({"event": name, "payload": p}, separators=(",", ":"))
                    with self.shared.lock:
                        self.shared.created_line[run] = line
                    answer = self.post("/api/v1/runs", p)
                    if answer is None:
                        return
                    if 200 <= answer[0] < 300:
                        with self.shared.lock:
                            self.shared.acked_runs.add(run)
                    else:
                        self.refused(answer)
                        break
                    i += 1
                    continue
                # One to three events of this run in one request.
                take = min(len(steps) - i, self.rng.choice([1, 1, 1, 2, 3]))
                batch = []
                for name, payload in steps[i:i + take]:
                    obj = self.stream.event(name, payload)
                    batch.append(obj)
                with self.shared.lock:
                    for obj in batch:
                        self.shared.lines_by_id[obj["id"]] = json.dumps(obj, separators=(",", ":"))
                answer = self.post("/api/v1/runs/%s/events" % run, batch if len(batch) > 1 else batch[0])
                if answer is None:
                    return
                if 200 <= answer[0] < 300:
                    with self.shared.lock:
                        self.shared.acked_events.update(obj["id"] for obj in batch)
                else:
                    self.refused(answer)
                    break
                i += take

    def refused(self, answer):
        with self.shared.lock:
            self.shared.refusals.append((answer[0], answer[1][:300]))


class Server:
    def __init__(self, h, data, port):
        self.h, self.data, self.port = h, data, port
        self.proc = None
        self.log_path = os.path.join(os.path.dirname(data), "serve.log")

    def start(self):
        env = dict(os.environ, LOG_LEVEL="warning")
        self.logf = open(self.log_path, "ab")
        self.proc = self.h.spawn(["serve", "--port", str(self.port), "--no-scheduler"], self.data,
                                 stdout=self.logf, stderr=self.logf, env=env)
        if not common.wait_healthy(self.port, self.proc, timeout=60):
            raise RuntimeError("cairn serve did not become healthy; log: %s" % open(self.log_path, "rb").read()[-1500:])

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.logf.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


def setup(h, data):
    h.run(["workflow", "publish", WORKFLOW_FILE], data)
    secret = json.loads(h.run(["token", "create", "--project", workload.PROJECT, "--role", "worker", "--json"], data).stdout)
    return secret["secret"]


def check(h, shared, data, deep, pristine):
    h.checked(MODE)
    with shared.lock:
        acked_events = set(shared.acked_events)
        acked_runs = set(shared.acked_runs)
        lines_by_id = dict(shared.lines_by_id)
        created_line = dict(shared.created_line)
    events = common.check_log(h, MODE, data)
    if events is None:
        return
    ids = {e.id for e in events}
    lost = acked_events - ids
    if lost:
        h.violation(MODE, "%d acknowledged events are not in the log, e.g. %s" % (len(lost), sorted(lost)[:3]), data)
    created = {e.stream[4:] for e in events if e.kind == "run:created" and e.version == 1}
    lost_runs = acked_runs - created
    if lost_runs:
        h.violation(MODE, "%d acknowledged runs were never created in the log, e.g. %s" % (
            len(lost_runs), sorted(lost_runs)[:3]), data)
    # The input of a clean run: what the log holds, in its order, as the lines the clients sent.
    lines = []
    for e in events[2:]:  # the publish and the token
        if e.kind == "run:created":
            line = created_line.get(e.stream[4:])
        else:
            line = lines_by_id.get(e.id)
        if line is None:
            h.violation(MODE, "event %r is in the log but no client sent it" % e, data)
            return
        lines.append(line)
    if common.check_opens(h, MODE, data) is None or not common.check_verify(h, MODE, data):
        return
    if not deep:
        return
    clean = h.copy(pristine, "serve-clean")
    src = os.path.join(os.path.dirname(clean), "in.jsonl")
    with open(src, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = h.run(["ingest", src, "--json"], clean, check=False)
    summary = json.loads(p.stdout or b"{}")
    if p.returncode != 0 or summary.get("appended") != len(lines):
        h.violation(MODE, "a clean ingest of the log's %d events did not append them all: %s %s" % (
            len(lines), summary, p.stderr.decode(errors="replace")[:500]), data)
    else:
        for d in common.dump_differences(common.projection_dump(data), common.projection_dump(clean)):
            h.violation(MODE, "projections differ from a clean run of the same %d events: %s" % (len(lines), d), data)
    common.remove_folder(clean)


def run(h, rng, kills, small):
    data = h.folder("serve")
    token = setup(h, data)
    pristine = h.copy(data, "serve-setup")
    port = common.free_port()
    server = Server(h, data, port)
    server.start()
    shared = Shared()
    clients = [Client(shared, port, token, rng.getrandbits(64)) for _ in range(4 if small else 8)]
    for c in clients:
        c.start()
    deep_every = 1 if small else 4
    try:
        for k in range(kills):
            time.sleep(rng.uniform(0.05, 1.5))
            server.kill()
            h.killed(MODE)
            check(h, shared, data, (k + 1) % deep_every == 0, pristine)
            h.log("serve: kill %d: %d requests, %d failed, %d events and %d runs acknowledged" % (
                k + 1, shared.requests, shared.failed, len(shared.acked_events), len(shared.acked_runs)))
            if shared.refusals:
                for status, body in shared.refusals:
                    h.violation(MODE, "the server refused a valid request: %d %s" % (status, body))
                shared.refusals.clear()
            server.start()
        time.sleep(0.5)
    finally:
        shared.stop = True
        for c in clients:
            c.join(timeout=15)
        server.stop()
    check(h, shared, data, True, pristine)
