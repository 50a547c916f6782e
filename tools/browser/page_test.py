#!/usr/bin/env python3
"""The web page in a real browser (docs/page.md); run through tools/browser-test.

Serves a fresh data folder with the sample workflow (fixtures/workflows/
daily-report.json) on a free loopback port, seeds a finished run through the
worker API, and then, in headless Chromium driven by selenium:

1. signs in with an editor token;
2. opens the workflow: the next input of the cron trigger is the output of
   its cursor job, "Fetch orders";
3. changes the cron input source to "Summarise": the next input becomes that
   job's last output, and a pycrdt editor connected to the workflow's sync
   socket (y-protocols) sees the cursor change in its document;
4. presses Run now: the run appears with exactly that input, a simulated
   worker (the HTTP API) claims and finishes it, and the page shows it
   finished without a reload (live updates);
5. opens the run's page.

A screenshot of each step goes to --shots (default .build/browser-test/).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pycrdt
import websocket  # websocket-client, installed with selenium
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = "4f9e2d1c-aaaa-4bbb-8ccc-000000000001"
WORKFLOW = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
CRON = "c1000000-0000-4000-8000-000000000001"
FETCH = "a1000000-0000-4000-8000-000000000001"
SUMMARISE = "a1000000-0000-4000-8000-000000000002"


def step(message):
    print(f"browser-test: {message}", flush=True)


def fail(message):
    print(f"browser-test: FAILED: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """The JSON API with a bearer token."""

    def __init__(self, base, token):
        self.base, self.token = base, token

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


def finish_run(api, run_id, outputs, final):
    """A worker: claims the available run, runs each (job, output id, body) as a step
    (each step's input the previous one's output), and completes it with `final`: a new
    final state (a dict) or the id of a dataclip (a step's output)."""
    claimed = api.call("POST", "/api/v1/runs/claim", {"worker_name": "browser-test-worker"})["runs"]
    if run_id not in [r["id"] for r in claimed]:
        fail(f"the worker could not claim {run_id}: {claimed}")
    events = [{"event": "run:start", "payload": {}}]
    previous = claimed[[r["id"] for r in claimed].index(run_id)]["input_dataclip_id"]
    for index, (job, output_id, body) in enumerate(outputs):
        step_id = f"{run_id}-s{index}"
        events.append({"event": "step:start", "payload": {"step_id": step_id, "job_id": job,
                                                          "input_dataclip_id": previous}})
        events.append({"event": "step:complete", "payload": {
            "step_id": step_id, "job_id": job, "reason": "success",
            "output_dataclip_id": output_id, "output_dataclip": json.dumps(body)}})
        previous = output_id
    ending = {"final_dataclip_id": final} if isinstance(final, str) else {"final_state": final}
    events.append({"event": "run:complete", "payload": {"reason": "success", **ending}})
    outcomes = api.call("POST", f"/api/v1/runs/{run_id}/events", events)
    if any(o["status"] != "appended" for o in outcomes):
        fail(f"the worker's events were refused: {outcomes}")


class Editor:
    """A collaborator's replica: pycrdt over the sync socket (y-protocols)."""

    def __init__(self, url, token):
        self.doc = pycrdt.Doc()
        self.lock = threading.Lock()
        self.socket = websocket.create_connection(url, header=[f"Authorization: Bearer {token}"], timeout=10)
        self.socket.send_binary(pycrdt.create_sync_message(self.doc))
        self.thread = threading.Thread(target=self.listen, daemon=True)
        self.thread.start()

    def listen(self):
        while True:
            try:
                frame = self.socket.recv()
            except Exception:
                return
            if not isinstance(frame, bytes) or not frame or frame[0] != pycrdt.YMessageType.SYNC:
                continue
            with self.lock:
                reply = pycrdt.handle_sync_message(frame[1:], self.doc)
            if reply is not None:
                self.socket.send_binary(reply)

    def cursor(self, trigger_id):
        with self.lock:
            triggers = self.doc.get("triggers", type=pycrdt.Array)
            for trigger in triggers:
                if trigger.get("id") == trigger_id:
                    return trigger.get("cron_cursor_job_id")
        return None

    def close(self):
        self.socket.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cairn", required=True)
    parser.add_argument("--shots", default=os.path.join(ROOT, ".build", "browser-test"))
    parser.add_argument("--docs-screenshot", action="store_true", help="also write docs/page-workflow.png")
    args = parser.parse_args()
    shutil.rmtree(args.shots, ignore_errors=True)
    os.makedirs(args.shots)
    data = tempfile.mkdtemp(prefix="cairn-browser-test-")
    env = dict(os.environ, CAIRN_DATA=data, LOG_LEVEL="warning")

    def cairn(*arguments):
        return subprocess.run([args.cairn, *arguments], env=env, check=True, capture_output=True, text=True).stdout.strip()

    # The sample workflow, with a position for every node (as the reference
    # editor keeps them) and its webhook's edge disabled (drawn dashed).
    with open(os.path.join(ROOT, "fixtures/workflows/daily-report.json")) as f:
        workflow = json.load(f)
    workflow["positions"] = {
        CRON: {"x": 0, "y": 0}, "c1000000-0000-4000-8000-000000000002": {"x": 300, "y": 0},
        FETCH: {"x": 150, "y": 130}, SUMMARISE: {"x": 150, "y": 260},
    }
    for edge in workflow["edges"]:
        if edge["source_trigger_id" if "source_trigger_id" in edge else "source_job_id"] == "c1000000-0000-4000-8000-000000000002":
            edge["enabled"] = False
    published = os.path.join(data + "-workflow.json")
    with open(published, "w") as f:
        json.dump(workflow, f)
    cairn("workflow", "publish", published)
    os.remove(published)
    editor_token = cairn("token", "create", "--project", PROJECT, "--role", "editor", "--name", "page-editor")
    worker_token = cairn("token", "create", "--project", PROJECT, "--role", "worker", "--name", "page-worker")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.cairn, "serve", "--port", str(port), "--no-scheduler"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(args.shots, "server.log"), "w"))
    driver = None
    editor = None
    shot_number = [0]

    def shot(name):
        shot_number[0] += 1
        path = os.path.join(args.shots, f"{shot_number[0]:02d}-{name}.png")
        driver.save_screenshot(path)
        step(f"screenshot {path}")
        return path

    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        else:
            fail("the server did not come up")
        worker = Api(base, worker_token)

        # A finished run started by the cron trigger: Fetch orders and Summarise each gave an output.
        worker.call("POST", "/api/v1/runs", {"run_id": "seed-run-1", "workflow_id": WORKFLOW,
                                             "starting_trigger_id": CRON,
                                             "input": {"type": "global", "body": {}}})
        finish_run(worker, "seed-run-1", [
            (FETCH, "orders-dataclip-1", {"orders": [{"id": 1, "amount": 12.5}, {"id": 2, "amount": 7}]}),
            (SUMMARISE, "summary-dataclip-1", {"total": 2, "amount": 19.5}),
        ], {"report": "sent"})
        step("seeded run seed-run-1 through the worker API")

        editor = Editor(f"ws://127.0.0.1:{port}/api/v1/workflows/{WORKFLOW}/sync", editor_token)
        step("a pycrdt editor joined the workflow's sync socket")

        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,2000"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 15)

        # 1. Sign in.
        driver.get(base + "/")
        wait.until(lambda d: d.current_url.endswith("/login"))
        driver.find_element(By.ID, "token").send_keys(editor_token)
        shot("sign-in")
        driver.find_element(By.CSS_SELECTOR, "form.signin button").click()
        wait.until(lambda d: d.find_elements(By.ID, "workflows"))
        if "page-editor" not in driver.find_element(By.ID, "who").text:
            fail("signed in, but the bar does not name the token")
        shot("workflows")

        # 2. The workflow: the next input is Fetch orders' output.
        driver.find_element(By.LINK_TEXT, "Daily report").click()
        wait.until(lambda d: d.find_elements(By.ID, "graph"))
        dataclip = driver.find_element(By.ID, f"dataclip-{CRON}").text
        if dataclip != "orders-dataclip-1":
            fail(f"the next input is {dataclip}, expected Fetch orders' output orders-dataclip-1")
        shot("workflow")

        # 3. Cron input source → Summarise (the select saves on change).
        Select(driver.find_element(By.ID, f"cursor-{CRON}")).select_by_value(SUMMARISE)
        wait.until(lambda d: d.find_elements(By.ID, "notice") and "saved" in d.find_element(By.ID, "notice").text)
        dataclip = driver.find_element(By.ID, f"dataclip-{CRON}").text
        if dataclip != "summary-dataclip-1":
            fail(f"after choosing Summarise, the next input is {dataclip}, expected summary-dataclip-1")
        driver.find_element(By.CSS_SELECTOR, f"#next-input-{CRON} details summary").click()
        body = driver.find_element(By.ID, f"body-{CRON}").text
        if '"total": 2' not in body:
            fail(f"the next input's body is not Summarise's output: {body}")
        step("the next input is now Summarise's last output")
        workflow_shot = shot("cron-input-source-summarise")
        deadline = time.time() + 10
        while editor.cursor(CRON) != SUMMARISE:
            if time.time() > deadline:
                fail(f"the pycrdt editor's document has cursor {editor.cursor(CRON)!r}, expected {SUMMARISE}")
            time.sleep(0.1)
        step("the pycrdt editor's document has the new cursor")

        # 4. Run now: a run with exactly that input; a worker finishes it; the page follows.
        driver.find_element(By.ID, f"run-now-{CRON}").click()
        wait.until(lambda d: d.find_elements(By.ID, "notice") and "created" in d.find_element(By.ID, "notice").text)
        notice = driver.find_element(By.ID, "notice").text
        run_id = notice.split()[1]
        if "summary-dataclip-1" not in notice:
            fail(f"the run's input is not the next input: {notice}")
        row = driver.find_element(By.ID, f"run-{run_id}")
        step(f"run {run_id} created: {row.text!r}")
        shot("run-now")
        run = Api(base, editor_token).call("GET", f"/api/v1/runs/{run_id}")
        if run["input_dataclip_id"] != "summary-dataclip-1" or run["starting_trigger_id"] != CRON:
            fail(f"the run is not what Run now promised: {run}")
        finish_run(worker, run_id, [(FETCH, f"{run_id}-orders", {"orders": []}),
                                    (SUMMARISE, f"{run_id}-summary", {"total": 0})], f"{run_id}-summary")
        # No reload: the live part of the page catches up by itself.
        WebDriverWait(driver, 20).until(
            lambda d: "success" in d.find_element(By.ID, f"run-{run_id}").text)
        dataclip = driver.find_element(By.ID, f"dataclip-{CRON}").text
        if dataclip != f"{run_id}-summary":
            fail(f"after the run, the next input is {dataclip}, expected {run_id}-summary")
        step(f"run {run_id} finished; the next input moved to its Summarise output")
        shot("run-finished")

        # 5. The run's page.
        driver.find_element(By.LINK_TEXT, run_id).click()
        wait.until(lambda d: d.find_elements(By.ID, "run-state"))
        if driver.find_element(By.ID, "run-state").text != "success":
            fail("the run page does not say success")
        summary_row = driver.find_element(By.ID, f"step-{run_id}-s1").text
        if "final state" not in summary_row:
            fail(f"the run page does not mark Summarise's output as the final state: {summary_row!r}")
        shot("run")

        if args.docs_screenshot:
            shutil.copyfile(workflow_shot, os.path.join(ROOT, "docs", "page-workflow.png"))
            step("copied the workflow page's screenshot to docs/page-workflow.png")
        step(f"passed; screenshots in {args.shots}")
    finally:
        if driver is not None:
            driver.quit()
        if editor is not None:
            editor.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
