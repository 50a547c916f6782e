"""The clock ranges of the structs a Yjs v1 update holds, per client, and
its delete set alone: what the sync mode needs to tell which updates a
stored document holds waiting, and what of them Yjs applies at once
(docs/reliability.md, "Crash tests"). Reads struct headers and skips
their content; nothing here interprets a document."""

from crash_test.eventlog import Reader


def _skip_any(r, depth=0):
    if depth > 256:
        raise ValueError("lib0 value nested too deep")
    tag = r.byte()
    if tag in (127, 126, 121, 120):  # undefined, null, false, true
        return
    if tag == 125:  # varint
        r.varint()
    elif tag == 124:  # float32
        r.take(4)
    elif tag in (123, 122):  # float64, bigint
        r.take(8)
    elif tag == 119:  # string
        r.take(r.varuint())
    elif tag == 118:  # object
        for _ in range(r.varuint()):
            r.take(r.varuint())
            _skip_any(r, depth + 1)
    elif tag == 117:  # array
        for _ in range(r.varuint()):
            _skip_any(r, depth + 1)
    elif tag == 116:  # bytes
        r.take(r.varuint())
    else:
        raise ValueError("unknown lib0 tag %d" % tag)


def _utf16_length(data):
    return len(data.decode("utf-8", errors="surrogatepass").encode("utf-16-le", errors="surrogatepass")) // 2


def _content_length(r, ref):
    """Skips an item's content; its length in clock units."""
    if ref == 1:  # deleted
        return r.varuint()
    if ref == 2:  # JSON strings
        n = r.varuint()
        for _ in range(n):
            r.take(r.varuint())
        return n
    if ref == 3:  # binary
        r.take(r.varuint())
        return 1
    if ref == 4:  # string: UTF-16 code units
        return _utf16_length(r.take(r.varuint()))
    if ref == 5:  # embed
        r.take(r.varuint())
        return 1
    if ref == 6:  # format
        r.take(r.varuint())
        r.take(r.varuint())
        return 1
    if ref == 7:  # type
        if r.varuint() in (3, 5):  # XML element and hook have a name
            r.take(r.varuint())
        return 1
    if ref == 8:  # any
        n = r.varuint()
        for _ in range(n):
            _skip_any(r)
        return n
    if ref == 9:  # subdocument
        r.take(r.varuint())
        _skip_any(r)
        return 1
    raise ValueError("unknown content ref %d" % ref)


def struct_ranges(update):
    """{client: [(start, end), ...]}: the clocks of the structs `update` holds (GC ranges included, skips not)."""
    return _read_structs(update)[0]


def deletions_only(update):
    """`update` without its structs: an update of its delete set alone."""
    return b"\x00" + update[_read_structs(update)[1]:]


def _read_structs(update):
    r = Reader(update)
    ranges = {}
    for _ in range(r.varuint()):
        count, client, clock = r.varuint(), r.varuint(), r.varuint()
        for _ in range(count):
            info = r.byte()
            ref = info & 0x1F
            if ref in (0, 10):  # GC range, skip
                length = r.varuint()
                if ref == 0:
                    ranges.setdefault(client, []).append((clock, clock + length))
                clock += length
                continue
            if info & 0x80:
                r.varuint(), r.varuint()
            if info & 0x40:
                r.varuint(), r.varuint()
            if info & 0xC0 == 0:
                if r.varuint() == 1:
                    r.take(r.varuint())
                else:
                    r.varuint(), r.varuint()
                if info & 0x20:
                    r.take(r.varuint())
            length = _content_length(r, ref)
            ranges.setdefault(client, []).append((clock, clock + length))
            clock += length
    return ranges, r.pos


def holds(ranges, client, start, end):
    """Whether `ranges` (of struct_ranges) cover clocks start..<end of `client`."""
    at = start
    for a, b in sorted(ranges.get(client, [])):
        if a <= at < b:
            at = b
        if at >= end:
            return True
    return at >= end
