#!/usr/bin/env python3
"""Writes fixtures/golden/: Cairn's stored records (one event of each kind,
dataclip headers) laid out byte by byte from docs/events.md and the layout
comments of Sources/EventLog/EventCodec.swift and Dataclip.swift, by a
writer that shares no code with Cairn's. Tests/EventLogTests/GoldenBytesTests
decodes these bytes and checks Cairn's encoder gives exactly them.

Run once from the checkout: python3 tools/peers/golden_records.py
Never re-run to make a failing golden test pass: a difference means the
stored format changed, and old data folders would read differently.
"""
import os
import uuid

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "golden")


def varuint(n):
    assert 0 <= n < 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def varint(n):
    """lib0's signed varint: sign-magnitude; the first byte holds a
    continuation bit, a sign bit and 6 bits, the rest 7 bits each."""
    assert -(1 << 63) <= n < 1 << 63
    m = abs(n)
    out = bytearray([(0x80 if m > 0x3F else 0) | (0x40 if n < 0 else 0) | (m & 0x3F)])
    m >>= 6
    while m > 0:
        out.append((0x80 if m > 0x7F else 0) | (m & 0x7F))
        m >>= 7
    return bytes(out)


def string(s):
    b = s.encode("utf-8")
    return varuint(len(b)) + b


def opt_string(s):
    return b"\x00" if s is None else b"\x01" + string(s)


def opt_int(n):
    return b"\x00" if n is None else b"\x01" + varint(n)


def boolean(b):
    return b"\x01" if b else b"\x00"


TAGS = {
    "project:configured": 1, "workflow:published": 2, "run:created": 3, "run:claimed": 4, "run:start": 5,
    "step:start": 6, "step:complete": 7, "run:complete": 8, "run:log": 9, "dataclip:wiped": 10, "run:lost": 11,
    "run:cancelled": 12, "schedule:ticked": 13, "token:created": 14, "token:revoked": 15,
}
SCHEMA = {"step:complete": 3, "run:complete": 2, "workflow:published": 2}
ROLE = {"viewer": 1, "worker": 2, "editor": 3}
STEP_EXIT = ["success", "fail", "crash", "kill", "exception", "cancel"]
RUN_STATE = ["available", "claimed", "started", "success", "failed", "crashed", "cancelled", "killed", "exception", "lost"]
DATACLIP_TYPE = ["http_request", "global", "step_result", "saved_input", "kafka"]

T = 1_795_500_000_123_456  # 2026-11-24T06:00:00.123456Z


def event(kind, stream, stream_version, recorded_at, payload, schema=None):
    tag = TAGS[kind]
    event_id = uuid.UUID("0e000000-0000-4000-8000-0000000000%02x" % tag).bytes
    return (bytes([1, tag, schema or SCHEMA.get(kind, 1)]) + event_id + string(stream) + varuint(stream_version)
            + varint(recorded_at) + payload)


def actor(token_id, name):
    return opt_string(token_id) + string(name)


# A step:complete's payload as schema 2 wrote it.
STEP_COMPLETED_V2 = (string("r1") + string("s1") + string("j1") + bytes([STEP_EXIT.index("crash")])
    + opt_string("RuntimeCrash") + opt_string("out of memory") + opt_string("d2") + boolean(False) + boolean(True)
    + opt_int(123_456_789) + opt_int(1_500) + varint(T))


# A publish's payload as schema 1 wrote it (and as the snapshots table keeps it).
PUBLISHED_V1 = (string("w1") + string("p1") + varuint(3) + boolean(False)
    + varuint(2) + string("j1") + string("j2")
    + varuint(2)
    + string("t1") + string("cron") + boolean(True) + opt_string("0 6 * * *") + opt_string("j1")
    + opt_string("Europe/London") + opt_string("all")
    + string("t2") + string("webhook") + boolean(False) + opt_string(None) + opt_string(None)
    + opt_string(None) + opt_string(None)
    + string('{"id":"w1"}') + varint(T))


EVENTS = {
    "01-project-configured": event("project:configured", "project:p1", 1, T + 1,
        string("p1") + opt_string("Orders ✓") + string("retain_all")),
    # Schema 2: who published, after the timestamp (present flag, token id, name).
    "02-workflow-published": event("workflow:published", "workflow:w1", 3, T + 2,
        PUBLISHED_V1 + boolean(True) + actor("tok_1", "ci ✓")),
    "03-run-created": event("run:created", "run:r1", 1, T + 3,
        string("r1") + string("w1") + string("p1") + varuint(3) + opt_string("t1") + string("d1") + boolean(True)
        + opt_int(1_795_500_000_000_000) + varint(T)),
    "04-run-claimed": event("run:claimed", "run:r1", 2, T + 4, string("r1") + opt_string("worker-1") + varint(T)),
    "05-run-start": event("run:start", "run:r1", 3, T + 5, string("r1") + varint(T)),
    "06-step-start": event("step:start", "run:r1", 4, T + 6,
        string("r1") + string("s1") + string("j1") + opt_string("d1") + varint(T)),
    # Schema 3: the job's webhook response (present flag, then its JSON text), after the timestamp.
    "07-step-complete": event("step:complete", "run:r1", 5, T + 7,
        STEP_COMPLETED_V2 + boolean(True) + string('{"status":202,"body":{"ok":true}}')),
    "08-run-complete": event("run:complete", "run:r1", 7, T + 8,
        string("r1") + bytes([RUN_STATE.index("crashed")]) + opt_string("RuntimeCrash") + opt_string(None)
        + opt_string("d2") + boolean(False) + boolean(False) + boolean(True) + varint(T)),
    "09-run-log": event("run:log", "run:r1", 6, T + 9,
        string("r1") + opt_string("s1") + string("info") + opt_string("JOB") + string("fetched 3 orders\n✓")
        + varint(T)),
    "10-dataclip-wiped": event("dataclip:wiped", "dataclip:d1", 1, T + 10, string("d1") + varint(T)),
    "11-run-lost": event("run:lost", "run:r2", 2, T + 11, string("r2") + varint(T)),
    "12-run-cancelled": event("run:cancelled", "run:r3", 2, T + 12, string("r3") + varint(T)),
    "13-schedule-ticked": event("schedule:ticked", "scheduler", 9, T + 13, varint(1_795_500_060_000_000)),
    # The widest values: ten-byte varints (issue #17's rescue).
    "14-run-claimed-int64-extremes": event("run:claimed", "run:r9", 2, (1 << 63) - 1,
        string("r9") + opt_string(None) + varint(-(1 << 63))),
    "15-token-created": event("token:created", "token:tok_1", 1, T + 15,
        string("tok_1") + string("p1") + bytes([ROLE["worker"]]) + opt_string("ci ✓") + varuint(32) + bytes(range(32))
        + opt_int(T + 86_400_000_000) + actor(None, "cli:ops") + varint(T)),
    "16-token-revoked": event("token:revoked", "token:tok_1", 2, T + 16,
        string("tok_1") + string("p1") + actor("tok_2", "admin") + varint(T)),
}

# Older schemas of a kind: read, never written any more.
OLDER = {
    "02-workflow-published-v1": event("workflow:published", "workflow:w1", 3, T + 2, PUBLISHED_V1, schema=1),
    "07-step-complete-v2": event("step:complete", "run:r1", 5, T + 7, STEP_COMPLETED_V2, schema=2),
}


def dataclip(type_name, project, size, created_at, wiped_at, origin, body):
    return (bytes([2, DATACLIP_TYPE.index(type_name)]) + string(project) + varuint(size) + varint(created_at)
            + opt_int(wiped_at) + varuint(origin) + (b"\x00" if body is None else b"\x01" + varuint(len(body)) + body))


BODY = b'{"data":[1,2,3]}'
DATACLIPS = {
    "step-result-with-body": dataclip("step_result", "p1", len(BODY), T, None, 7, BODY),
    "global-wiped": dataclip("global", "p1", 2, T, T + 1_000_000, 0, None),
    "http-request-wide-origin": dataclip("http_request", "p1", 0, -T, None, 1 << 40, b""),
}


def write(folder, records):
    os.makedirs(os.path.join(ROOT, folder), exist_ok=True)
    for name, data in records.items():
        text = "\n".join(data[i:i + 32].hex() for i in range(0, len(data), 32)) + "\n"
        with open(os.path.join(ROOT, folder, name + ".hex"), "w") as f:
            f.write(text)


write("events", EVENTS)
write("events/older", OLDER)
write("dataclips", DATACLIPS)
