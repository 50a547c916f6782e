"""Reads (and, for the projector-upgrade simulation, writes one key of) a
Cairn data folder straight through liblmdb with ctypes: no Cairn code is
involved, so what is checked is what is on disk, not what Cairn says.

Cairn has no command that lists the log's events (`cairn events`), so the
crash test reads the `events` database itself (docs/events.md gives the
record layout; tools/peers/golden_records.py writes it byte by byte)."""
import ctypes
import os

_lib = ctypes.CDLL("liblmdb.so.0")

MDB_RDONLY = 0x20000
MDB_NOTFOUND = -30798
MDB_FIRST = 0
MDB_NEXT = 8


class _Val(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.c_void_p)]


_vp = ctypes.c_void_p
_lib.mdb_env_create.argtypes = [ctypes.POINTER(_vp)]
_lib.mdb_env_set_maxdbs.argtypes = [_vp, ctypes.c_uint]
_lib.mdb_env_set_mapsize.argtypes = [_vp, ctypes.c_size_t]
_lib.mdb_env_open.argtypes = [_vp, ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint]
_lib.mdb_env_close.argtypes = [_vp]
_lib.mdb_txn_begin.argtypes = [_vp, _vp, ctypes.c_uint, ctypes.POINTER(_vp)]
_lib.mdb_txn_abort.argtypes = [_vp]
_lib.mdb_txn_commit.argtypes = [_vp]
_lib.mdb_dbi_open.argtypes = [_vp, ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint)]
_lib.mdb_cursor_open.argtypes = [_vp, ctypes.c_uint, ctypes.POINTER(_vp)]
_lib.mdb_cursor_close.argtypes = [_vp]
_lib.mdb_cursor_get.argtypes = [_vp, ctypes.POINTER(_Val), ctypes.POINTER(_Val), ctypes.c_int]
_lib.mdb_get.argtypes = [_vp, ctypes.c_uint, ctypes.POINTER(_Val), ctypes.POINTER(_Val)]
_lib.mdb_put.argtypes = [_vp, ctypes.c_uint, ctypes.POINTER(_Val), ctypes.POINTER(_Val), ctypes.c_uint]
_lib.mdb_strerror.restype = ctypes.c_char_p
_lib.mdb_strerror.argtypes = [ctypes.c_int]


class LMDBFailure(Exception):
    pass


def _check(rc, what):
    if rc != 0:
        raise LMDBFailure("%s: %s (%d)" % (what, _lib.mdb_strerror(rc).decode(), rc))


def _bytes(val):
    return ctypes.string_at(val.data, val.size) if val.size else b""


class Folder:
    """One data folder, opened read-only unless `writable`."""

    def __init__(self, path, writable=False):
        if not os.path.exists(os.path.join(path, "data.mdb")):
            raise LMDBFailure("%s has no data.mdb" % path)
        self.env = _vp()
        _check(_lib.mdb_env_create(ctypes.byref(self.env)), "mdb_env_create")
        _check(_lib.mdb_env_set_maxdbs(self.env, 1024), "mdb_env_set_maxdbs")
        flags = 0 if writable else MDB_RDONLY
        rc = _lib.mdb_env_open(self.env, path.encode(), flags, 0o600)
        if rc != 0:
            _lib.mdb_env_close(self.env)
            _check(rc, "mdb_env_open " + path)
        self.writable = writable

    def close(self):
        if self.env:
            _lib.mdb_env_close(self.env)
            self.env = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _txn(self, write=False):
        txn = _vp()
        _check(_lib.mdb_txn_begin(self.env, None, 0 if write else MDB_RDONLY, ctypes.byref(txn)), "mdb_txn_begin")
        return txn

    def _dbi(self, txn, name):
        dbi = ctypes.c_uint()
        rc = _lib.mdb_dbi_open(txn, None if name is None else name.encode(), 0, ctypes.byref(dbi))
        if rc == MDB_NOTFOUND:
            return None
        _check(rc, "mdb_dbi_open %s" % name)
        return dbi.value

    def _scan(self, txn, dbi):
        cur = _vp()
        _check(_lib.mdb_cursor_open(txn, dbi, ctypes.byref(cur)), "mdb_cursor_open")
        try:
            k, v = _Val(), _Val()
            op = MDB_FIRST
            while True:
                rc = _lib.mdb_cursor_get(cur, ctypes.byref(k), ctypes.byref(v), op)
                if rc == MDB_NOTFOUND:
                    return
                _check(rc, "mdb_cursor_get")
                yield _bytes(k), _bytes(v)
                op = MDB_NEXT
        finally:
            _lib.mdb_cursor_close(cur)

    def database_names(self):
        txn = self._txn()
        try:
            main = self._dbi(txn, None)  # the unnamed database: its keys name the others
            return [k.decode("utf-8", "replace") for k, _ in self._scan(txn, main)]
        finally:
            _lib.mdb_txn_abort(txn)

    def items(self, name):
        """Every (key, value) of database `name`, in key order; [] if it does not exist."""
        txn = self._txn()
        try:
            dbi = self._dbi(txn, name)
            return [] if dbi is None else list(self._scan(txn, dbi))
        finally:
            _lib.mdb_txn_abort(txn)

    def tables(self, names):
        """{name: [(key, value)...]} for several databases, read in one transaction."""
        txn = self._txn()
        try:
            out = {}
            for name in names:
                dbi = self._dbi(txn, name)
                out[name] = [] if dbi is None else list(self._scan(txn, dbi))
            return out
        finally:
            _lib.mdb_txn_abort(txn)

    def put(self, name, key, value):
        """One write transaction putting key → value (the folder opened writable)."""
        assert self.writable
        txn = self._txn(write=True)
        try:
            dbi = self._dbi(txn, name)
            if dbi is None:
                raise LMDBFailure("no database %s" % name)
            kb, vb = ctypes.create_string_buffer(key, len(key)), ctypes.create_string_buffer(value, len(value))
            k = _Val(len(key), ctypes.cast(kb, _vp))
            v = _Val(len(value), ctypes.cast(vb, _vp))
            _check(_lib.mdb_put(txn, dbi, ctypes.byref(k), ctypes.byref(v), 0), "mdb_put")
        except BaseException:
            _lib.mdb_txn_abort(txn)
            raise
        _check(_lib.mdb_txn_commit(txn), "mdb_txn_commit")
