#!/usr/bin/env python3
"""loro on automerge-paper, as bench-ydoc measures Cairn: local apply (one
commit per edit), remote apply (one update per commit, via
subscribe_local_update), snapshot size, and loading it."""
import gzip
import sys
import time
import json

from loro import ExportMode, LoroDoc

folder = sys.argv[1]
with gzip.open(f"{folder}/automerge-paper.json.gz") as f:
    paper = json.load(f)

doc = LoroDoc()
text = doc.get_text("text")
updates = []
sub = doc.subscribe_local_update(lambda u: updates.append(bytes(u)) or True)
t0 = time.perf_counter()
for txn in paper["txns"]:
    for pos, deleted, inserted in txn["patches"]:
        if deleted:
            text.delete(pos, deleted)
        if inserted:
            text.insert(pos, inserted)
    doc.commit()
local = time.perf_counter() - t0
assert text.to_string() == paper["endContent"]

remote = LoroDoc()
t0 = time.perf_counter()
for u in updates:
    remote.import_(u)
remote_s = time.perf_counter() - t0
assert remote.get_text("text").to_string() == paper["endContent"]

snapshot = doc.export(ExportMode.Snapshot())
t0 = time.perf_counter()
loaded = LoroDoc()
loaded.import_(snapshot)
load_s = time.perf_counter() - t0
print(f"edits={len(paper['txns'])} local_seconds={local} remote_seconds={remote_s} snapshot_bytes={len(snapshot)} load_seconds={load_s}")
