"""`documents`: Yjs updates made by pycrdt editors (typing into job bodies,
moving jobs, deleting text, each editor now and then merging the others'
work) stored with `cairn doc apply`, a few files a process, SIGKILLed at
random moments. The store compacts a document's updates into one state
every 100 updates, inside the append's transaction, so kills land in
compactions too.

Acknowledged: the updates of a `doc apply` that exited 0. One process
stores its updates in one transaction, so after a kill the document must
hold exactly the acknowledged updates, or those plus the killed process's
batch: its exported state, read by pycrdt, equals pycrdt's own merge of one
of those two prefixes, and `cairn doc show` equals what a clean folder
given that prefix in one `doc apply` shows.

WebSocket editors (the sync room) are the `sync` mode's."""
import json
import os
import random
import time

from pycrdt import Array, Doc, Map, Text

from . import common, eventlog

MODE = "documents"
YDOC = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "ydoc")
WORKFLOW = "6513270e-269e-4d37-b2a7-4de452e6b438"
ROOTS = [("workflow", Map), ("jobs", Array), ("triggers", Array), ("edges", Array), ("positions", Map), ("errors", Map)]


def roots_json(doc):
    return json.dumps({name: doc.get(name, type=t).to_py() for name, t in ROOTS}, sort_keys=True)


def state_vector(doc):
    r = eventlog.Reader(doc.get_state())
    return {r.varuint(): r.varuint() for _ in range(r.varuint())}


def make_updates(seed, count, editors=4):
    rng = random.Random(seed)
    base = open(os.path.join(YDOC, "base.update"), "rb").read()
    docs = []
    for i in range(editors):
        d = Doc(client_id=rng.randrange(1, 2**31))
        d.apply_update(base)
        docs.append(d)
    updates, origin = [], []
    for k in range(count):
        e = rng.randrange(editors)
        d = docs[e]
        if rng.random() < 0.15:
            # Merge what another editor wrote (in generation order, so every dependency was made earlier).
            other = docs[rng.randrange(editors)]
            d.apply_update(other.get_update(d.get_state()))
        before = d.get_state()
        jobs = d.get("jobs", type=Array)
        job = jobs[rng.randrange(len(jobs))]
        body = job["body"]
        r = rng.random()
        with d.transaction():
            if r < 0.6 or len(str(body)) < 10:
                body.insert(rng.randint(0, len(str(body))), "<u%d>" % k)
            elif r < 0.8:
                at = rng.randrange(len(str(body)) - 3)
                del body[at:at + rng.randint(1, 3)]
                body.insert(at, "[u%d]" % k)
            else:
                d.get("positions", type=Map)[job["id"]] = Map({"x": float(rng.randint(0, 900)), "y": float(k)})
        updates.append(d.get_update(before))
        origin.append(e)
    return base, updates


def run(h, rng, kills, small):
    count = 400 if small else 2500
    base, updates = make_updates(rng.getrandbits(32), count)
    data = h.folder("documents")
    folder = os.path.dirname(data)
    files = []
    for k, u in enumerate(updates):
        path = os.path.join(folder, "u%05d.update" % k)
        open(path, "wb").write(u)
        files.append(path)
    base_path = os.path.join(folder, "base.update")
    open(base_path, "wb").write(base)
    h.run(["doc", "apply", WORKFLOW, base_path], data)
    # pycrdt's merge of every prefix the document may hold, built as the updates are acknowledged.
    acked = 0
    acked_doc = Doc()
    acked_doc.apply_update(base)
    estimate = {}
    done = 0
    checks = 0
    while done < kills or acked < len(updates):
        if done >= kills:
            b = len(updates) - acked  # no kills left: store the rest
        else:
            b = min(len(updates) - acked, rng.choice([1, 3, 10, 30, 100]))
        if b <= 0:
            # All stored: start over on a fresh document id would change the setup; re-apply a tail instead.
            acked = max(0, len(updates) - rng.randint(1, 50))
            acked_doc = Doc()
            acked_doc.apply_update(base)
            for u in updates[:acked]:
                acked_doc.apply_update(u)
            continue
        start = acked
        if rng.random() < 0.1 and acked > 0:
            start = max(0, acked - rng.randint(1, 50))  # some already stored: applied again, changing nothing
        batch = files[start:acked + b]
        # Half the kills anywhere, half near the end, where the transaction commits.
        est = estimate.get(b, 0.03 + 0.0002 * b)
        delay = est * (rng.uniform(0, 1.1) if rng.random() < 0.5 else rng.uniform(0.7, 1.05)) if done < kills else 3600
        proc = h.spawn(["doc", "apply", WORKFLOW] + batch, data)
        began = time.time()
        killed = common.kill_after(proc, delay)
        if not killed:
            if proc.returncode != 0:
                h.violation(MODE, "doc apply exited %d" % proc.returncode, data)
                return
            estimate[b] = 0.5 * estimate.get(b, time.time() - began) + 0.5 * (time.time() - began)
        # The two prefixes the document may hold now.
        candidate = Doc()
        candidate.apply_update(acked_doc.get_update())
        for u in updates[acked:acked + b]:
            candidate.apply_update(u)
        if not killed:
            acked_doc, acked = candidate, acked + b
            if done >= kills and acked == len(updates):
                check(h, data, base_path, files, acked, acked_doc, None, b, deep=True)
                return
            continue
        done += 1
        h.killed(MODE)
        checks += 1
        held = check(h, data, base_path, files, acked, acked_doc, candidate, b, deep=small or checks % 3 == 0)
        if held == "both":
            acked_doc, acked = candidate, acked + b
        elif held is None:
            return
        h.log("documents: kill %d after %.3fs, %d updates acknowledged, the killed batch of %d %s" % (
            done, delay, acked, b, "was stored" if held == "both" else "was not"))


def stored_document(h, mode, data, workflow):
    """The folder opens, and its document exports and materializes: the
    export read by pycrdt, or None after a violation."""
    if common.check_opens(h, mode, data) is None:
        return None
    export = os.path.join(os.path.dirname(data), "export.update")
    try:
        h.run(["doc", "export", workflow, "-o", export], data)
        h.run(["doc", "materialize", workflow], data)
    except common.CommandFailed as e:
        h.violation(mode, "the document cannot be read: %s" % e, data)
        return None
    stored = Doc()
    stored.apply_update(open(export, "rb").read())
    return stored


def check(h, data, base_path, files, acked, acked_doc, candidate, b, deep):
    """'acked' or 'both' (what the document holds), or None after a violation."""
    h.checked(MODE)
    stored = stored_document(h, MODE, data, WORKFLOW)
    if stored is None:
        return None
    have = state_vector(stored)
    for client, clock in state_vector(acked_doc).items():
        if have.get(client, 0) < clock:
            h.violation(MODE, "client %d: the store has clock %d, acknowledged updates reach %d" % (
                client, have.get(client, 0), clock), data)
            return None
    text = roots_json(stored)
    if text == roots_json(acked_doc):
        held, n = "acked", acked
    elif candidate is not None and text == roots_json(candidate):
        held, n = "both", acked + b
    else:
        h.violation(MODE, "the document is neither the %d acknowledged updates nor those and the killed batch" % acked, data)
        return None
    if deep:
        clean = h.folder("documents-clean")
        h.run(["doc", "apply", WORKFLOW, base_path], clean)
        if n:
            h.run(["doc", "apply", WORKFLOW] + files[:n], clean)
        mine = h.run(["doc", "show", WORKFLOW], data).stdout
        theirs = h.run(["doc", "show", WORKFLOW], clean).stdout
        if mine != theirs:
            h.violation(MODE, "doc show differs from a clean folder given the same %d updates" % n, data)
        common.remove_folder(clean)
    return held
