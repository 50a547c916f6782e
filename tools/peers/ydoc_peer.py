#!/usr/bin/env python3
"""A pycrdt (yrs) peer for Cairn's differential tests.

Reads one JSON command per line on stdin and answers one JSON line on stdout.
Binary values (updates, state vectors) travel as hex. Commands:
  {"op": "new", "doc": N, "client": C}
  {"op": "apply", "doc": N, "update": HEX}
  {"op": "update", "doc": N, "sv": HEX or null}   -> {"update": HEX}
  {"op": "sv", "doc": N}                           -> {"sv": HEX}
  {"op": "map_set", "doc": N, "key": K, "value": V}     (V: JSON, or {"$text": S} / {"$map": {...}})
  {"op": "map_delete", "doc": N, "key": K}
  {"op": "array_insert", "doc": N, "index": I, "values": [...]}
  {"op": "array_delete", "doc": N, "index": I, "count": C}
  {"op": "text_insert", "doc": N, "index": I, "text": S}
  {"op": "text_delete", "doc": N, "index": I, "count": C}
  {"op": "json", "doc": N}                         -> {"json": {"m": ..., "a": ..., "t": ...}}
  {"op": "roots", "doc": N, "roots": [[NAME, "map"|"array"|"text"], ...]} -> {"json": {NAME: ...}}
Roots: map "m", array "a", text "t".
"""
import json
import sys

from pycrdt import Array, Doc, Map, Text

docs = {}


def roots(doc):
    return doc.get("m", type=Map), doc.get("a", type=Array), doc.get("t", type=Text)


def shared(value):
    if isinstance(value, dict) and "$text" in value:
        return Text(value["$text"])
    if isinstance(value, dict) and "$map" in value:
        return Map({k: shared(v) for k, v in value["$map"].items()})
    if isinstance(value, dict) and "$array" in value:
        return Array([shared(v) for v in value["$array"]])
    return value


def to_json(value):
    if isinstance(value, (Map, Array)):
        return to_json(value.to_py())
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def handle(cmd):
    op = cmd["op"]
    if op == "new":
        docs[cmd["doc"]] = Doc(client_id=cmd["client"])
        return {}
    doc = docs[cmd["doc"]]
    m, a, t = roots(doc)
    if op == "apply":
        doc.apply_update(bytes.fromhex(cmd["update"]))
    elif op == "update":
        sv = cmd.get("sv")
        return {"update": (doc.get_update(bytes.fromhex(sv)) if sv else doc.get_update()).hex()}
    elif op == "sv":
        return {"sv": doc.get_state().hex()}
    elif op == "map_set":
        m[cmd["key"]] = shared(cmd["value"])
    elif op == "map_delete":
        if cmd["key"] in m:
            del m[cmd["key"]]
    elif op == "array_insert":
        for offset, v in enumerate(cmd["values"]):
            a.insert(cmd["index"] + offset, shared(v))
    elif op == "array_delete":
        del a[cmd["index"]:cmd["index"] + cmd["count"]]
    elif op == "text_insert":
        t.insert(cmd["index"], cmd["text"])
    elif op == "text_delete":
        del t[cmd["index"]:cmd["index"] + cmd["count"]]
    elif op == "roots":
        kinds = {"map": Map, "array": Array, "text": Text}
        out = {}
        for name, kind in cmd["roots"]:
            root = doc.get(name, type=kinds[kind])
            out[name] = str(root) if kind == "text" else to_json(root)
        return {"json": out}
    elif op == "json":
        return {"json": {"m": to_json(m), "a": to_json(a), "t": str(t)}}
    else:
        raise ValueError(f"unknown op {op}")
    return {}


for line in sys.stdin:
    try:
        answer = handle(json.loads(line))
    except Exception as error:  # report, keep serving
        answer = {"error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
