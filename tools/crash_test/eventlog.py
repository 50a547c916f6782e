"""Decodes what the crash test needs of Cairn's stored events: the header of
every event (docs/events.md, "Storage format") and the payload of
run:created, laid out as tools/peers/golden_records.py writes them."""
import uuid

KINDS = {
    1: "project:configured", 2: "workflow:published", 3: "run:created", 4: "run:claimed", 5: "run:start",
    6: "step:start", 7: "step:complete", 8: "run:complete", 9: "run:log", 10: "dataclip:wiped", 11: "run:lost",
    12: "run:cancelled", 13: "schedule:ticked", 14: "token:created", 15: "token:revoked",
}


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("record ends early")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def varuint(self):
        n, shift = 0, 0
        while True:
            b = self.byte()
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return n

    def varint(self):
        b = self.byte()
        n, negative, shift = b & 0x3F, b & 0x40, 6
        more = b & 0x80
        while more:
            b = self.byte()
            n |= (b & 0x7F) << shift
            shift += 7
            more = b & 0x80
        return -n if negative else n

    def string(self):
        return self.take(self.varuint()).decode("utf-8")

    def opt_string(self):
        return self.string() if self.byte() else None

    def opt_int(self):
        return self.varint() if self.byte() else None


class Event:
    __slots__ = ("sequence", "kind", "schema", "id", "stream", "version", "recorded_at", "payload")

    def __repr__(self):
        return "#%d %s %s %s v%d" % (self.sequence, self.kind, self.id, self.stream, self.version)


def decode(sequence, record):
    r = Reader(record)
    fmt = r.byte()
    if fmt != 1:
        raise ValueError("event %d: record format %d" % (sequence, fmt))
    e = Event()
    e.sequence = sequence
    tag = r.byte()
    e.kind = KINDS.get(tag, "tag%d" % tag)
    e.schema = r.byte()
    e.id = str(uuid.UUID(bytes=bytes(r.take(16))))
    e.stream = r.string()
    e.version = r.varuint()
    e.recorded_at = r.varint()
    e.payload = bytes(record[r.pos:])
    return e


def run_created(event):
    """(run_id, workflow_id, project_id, lock_version, trigger_id, input_dataclip_id, scheduled_for)."""
    r = Reader(event.payload)
    run_id, workflow_id, project_id = r.string(), r.string(), r.string()
    lock_version = r.varuint()
    trigger = r.opt_string()
    dataclip = r.string()
    r.byte()  # whether the run created its input dataclip
    scheduled_for = r.opt_int()
    return run_id, workflow_id, project_id, lock_version, trigger, dataclip, scheduled_for


def read_log(folder):
    """Every event of an open lmdbread.Folder, in sequence order, with the raw keys checked."""
    events = []
    for key, value in folder.items("events"):
        if len(key) != 8:
            raise ValueError("events: key of %d bytes" % len(key))
        events.append(decode(int.from_bytes(key, "big"), value))
    return events
