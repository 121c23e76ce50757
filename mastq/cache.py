"""
The persistent query cache: COMPLETE results kept on disk as data, never as code.

One file per result, named by its key (a hex digest made by `mastq.services`), under
`mastq.conf.cache_dir` (default: astropy's cache folder, ``mastq/queries``), valid
for `mastq.conf.cache_ttl` seconds.  A file holds a JSON header (format version, key,
row count, column descriptions, table meta, a CRC-32 of the payload) and the raw
column buffers; reading it builds numpy arrays from bytes and cannot run anything.
Every check (version, key, row count, lengths, checksums) is made on read: an entry
that fails one is dropped and the query is fetched again.  Writes go to a temporary
file renamed into place, so readers (other threads, other processes) never see half
a file, and a writer killed mid-write leaves only a ``.tmp`` file nobody reads.

A cache that cannot be written (missing, unwritable or full folder) never costs a
result: the failure is logged as a warning on the ``mastq.cache`` logger and the
caller gets its table.  In front of the files, each `QueryCache` keeps the most recent
results in memory (at most `mastq.conf.cache_memory_rows` rows in all, behind a lock).
Every hit is a copy: a caller who changes the table it got changes nobody else's.
"""

import logging
import os
import struct
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u
import numpy as np
import orjson
from astropy.config import get_cache_dir
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time

from .settings import Settings

__all__ = ["QueryCache", "Entry", "write_table", "read_table"]

log = logging.getLogger(__name__)

_SUFFIX = ".mqt"
_MAGIC = b"MASTQTBL"
_VERSION = 1
_PREFIX = struct.Struct("<8sIQI")  # magic, version, header length, header CRC-32
_ALIGN = 64
_MAX_HEADER = 1 << 26
_TIME_ATTRS = ("format", "scale", "precision", "in_subfmt", "out_subfmt")


class _Payload:
    """The column buffers of a file being written, each at an aligned offset."""

    def __init__(self):
        self.buffers, self.size = [], 0

    def add(self, array):
        data = np.ascontiguousarray(array)
        start = -(-self.size // _ALIGN) * _ALIGN
        if start > self.size:
            self.buffers.append(bytes(start - self.size))
        self.buffers.append(data.reshape(-1).view(np.uint8))
        self.size = start + data.nbytes
        return [start, data.nbytes]


def _plain(value, what):
    """``value`` if JSON keeps it exactly (dicts, lists, str, numbers, bool, None)."""
    try:
        same = orjson.loads(orjson.dumps(value)) == value
    except (TypeError, ValueError):
        same = False
    if not same:
        raise ValueError(f"{what} is not plain JSON data: {value!r:.200}")
    return value


def _column_meta(col):
    meta = col.info.meta
    return None if meta is None else _plain(dict(meta), f"meta of column {col.info.name!r}")


def _text_buffer(data):
    """(stored array, encoding): ASCII str columns are kept at one byte a character."""
    if data.dtype.kind == "U" and data.dtype.itemsize:
        codes = data.view(np.uint32)
        if codes.size == 0 or codes.max() < 128:
            return codes.astype(np.uint8), "ascii"
    return data, "raw"


def _column_entry(col, payload):
    if isinstance(col, Time):
        return _time_entry(col, payload)
    if type(col) not in (Column, MaskedColumn) or col.dtype.kind == "O":
        raise ValueError(
            f"column {col.info.name!r} ({type(col).__name__}, "
            f"{getattr(col, 'dtype', '?')}) cannot be cached"
        )
    if col.info.format is not None and not isinstance(col.info.format, str):
        raise ValueError(f"column {col.info.name!r} has a format that is not a string")
    data = np.ascontiguousarray(col.data if isinstance(col, MaskedColumn) else col)
    stored, encoding = _text_buffer(data)
    entry = {
        "name": col.info.name,
        "kind": type(col).__name__,
        "dtype": data.dtype.str,
        "shape": list(data.shape[1:]),
        "encoding": encoding,
        "data": payload.add(stored),
        "unit": None if col.unit is None else col.unit.to_string(),
        "description": col.info.description,
        "format": col.info.format,
        "meta": _column_meta(col),
    }
    if isinstance(col, MaskedColumn):
        mask = np.ma.getmaskarray(col)
        entry["mask"] = payload.add(mask) if mask.any() else None
        entry["fill_value"] = _fill_hex(col.fill_value, data.dtype)
    return entry


def _fill_hex(fill_value, dtype):
    """The fill value as hex bytes of ``dtype``, or None when it does not fit (numpy's
    default 999999 of a masked int16 column, say): the default is then used on read."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            stored = np.array([fill_value]).astype(dtype, casting="same_kind")
        if stored[0] != fill_value and not (stored.dtype.kind == "f" and np.isnan(stored[0])):
            return None
    except (OverflowError, ValueError, TypeError, FloatingPointError):
        return None
    return stored.tobytes().hex()


def _time_entry(col, payload):
    if col.location is not None or col.ndim != 1:
        raise ValueError(f"Time column {col.info.name!r} with a location or shape cannot be cached")
    mask = np.asarray(col.mask) if col.masked else np.zeros(len(col), bool)
    entry = {
        "name": col.info.name,
        "kind": "Time",
        "description": col.info.description,
        "meta": _column_meta(col),
        "jd1": payload.add(np.asarray(getattr(col.jd1, "unmasked", col.jd1), "f8")),
        "jd2": payload.add(np.asarray(getattr(col.jd2, "unmasked", col.jd2), "f8")),
        "mask": payload.add(mask) if mask.any() else None,
    }
    entry.update({attr: getattr(col, attr) for attr in _TIME_ATTRS})
    return entry


def _copy(value):
    """A private copy of plain JSON data."""
    return orjson.loads(orjson.dumps(value))


@dataclass(frozen=True)
class Entry:
    """
    One cached result as stored: a JSON-able header and the column buffers.

    The payload is read-only and shared; `table` copies out of it, so one entry can
    answer any number of hits (the in-memory layer keeps entries, not tables).

    Parameters
    ----------
    header : dict
        Format version, key, row count, when stored, table meta, one description per
        column (kind, dtype, encoding, unit, description, meta, where its buffers lie)
        and the payload's length and CRC-32.
    payload : numpy.ndarray
        The column buffers (uint8, read-only).
    """

    header: dict
    payload: np.ndarray

    @property
    def rows(self):
        """Rows of the table."""
        return self.header["rows"]

    @property
    def stored(self):
        """When the entry was stored (seconds since the epoch)."""
        return self.header["stored"]

    @classmethod
    def from_table(cls, table, *, key, stored=None):
        """
        Encode ``table`` (numbers, bool, str, bytes, masked or not, and `~astropy.time.Time`).

        Raises
        ------
        ValueError
            If a column or a meta value cannot be stored exactly.
        """
        payload = _Payload()
        columns = [_column_entry(col, payload) for col in table.itercols()]
        data = np.concatenate(
            [np.frombuffer(b, np.uint8) for b in payload.buffers] or [np.empty(0, np.uint8)]
        )
        data.flags.writeable = False
        header = {
            "key": key,
            "rows": len(table),
            "stored": time.time() if stored is None else stored,
            "masked": table.masked,
            "meta": _copy(_plain(dict(table.meta), "table meta")),
            "columns": _copy(columns),
            "payload": data.size,
            "crc32": zlib.crc32(data),
        }
        return cls(header, data)

    @classmethod
    def read(cls, handle, *, key, ttl=None):
        """
        Read an entry, checking everything on the way; None if older than ``ttl`` seconds.

        Raises
        ------
        ValueError, KeyError, TypeError
            If the file is not a complete, intact entry of ``key``.
        """
        header = _read_header(handle, key)
        if ttl is not None and time.time() - header["stored"] > ttl:
            return None
        payload = _read_payload(handle, header)
        payload.flags.writeable = False
        return cls(header, payload)

    def write(self, handle):
        """Write the entry to the binary file ``handle``."""
        raw = orjson.dumps(self.header)
        handle.write(_PREFIX.pack(_MAGIC, _VERSION, len(raw), zlib.crc32(raw)))
        handle.write(raw)
        handle.write(self.payload)

    def table(self):
        """
        A new table of the entry's data (every array a private copy).

        Raises
        ------
        ValueError, KeyError, TypeError
            If the header does not describe the payload.
        """
        header = _copy(self.header)
        columns = [_make_column(self.payload, entry, self.rows) for entry in header["columns"]]
        return Table(columns, copy=False, meta=header["meta"], masked=header["masked"])


def write_table(handle, table, *, key, stored=None):
    """
    Write ``table`` to the binary file ``handle`` in the cache format.

    Parameters
    ----------
    handle : file object
        Open for binary writing.
    table : astropy.table.Table
        Columns of numbers, bool, str or bytes (masked or not) and `~astropy.time.Time`;
        column and table meta of plain JSON data.
    key : str
        The key the entry is stored under (checked again on read).
    stored : float, optional
        When the result was stored (seconds since the epoch); default now.

    Raises
    ------
    ValueError
        If a column or a meta value cannot be stored exactly.
    """
    Entry.from_table(table, key=key, stored=stored).write(handle)


def _read_header(handle, key):
    magic, version, size, checksum = _PREFIX.unpack(handle.read(_PREFIX.size) or bytes(24))
    if magic != _MAGIC or version != _VERSION:
        raise ValueError(f"not a mastq cache file of version {_VERSION}")
    if size > _MAX_HEADER:
        raise ValueError(f"header of {size} bytes")
    raw = handle.read(size)
    if len(raw) != size or zlib.crc32(raw) != checksum:
        raise ValueError("header truncated or corrupt")
    header = orjson.loads(raw)
    if header["key"] != key:
        raise ValueError(f"entry of key {header['key']!r} stored under {key!r}")
    return header


def _read_payload(handle, header):
    payload = np.empty(header["payload"], np.uint8)
    if handle.readinto(payload) != payload.size or handle.read(1):
        raise ValueError("payload truncated or with trailing bytes")
    if zlib.crc32(payload) != header["crc32"]:
        raise ValueError("payload checksum mismatch")
    return payload


def _buffer(payload, span, dtype, shape, *, copy=True):
    start, size = span
    if start < 0 or start + size > payload.size:
        raise ValueError("column buffer outside the payload")
    array = payload[start : start + size].view(dtype).reshape((-1, *shape))
    return array.copy() if copy else array


def _text(payload, entry, rows):
    dtype = np.dtype(entry["dtype"])
    if entry["encoding"] != "ascii":
        return _buffer(payload, entry["data"], dtype, entry["shape"])
    codes = _buffer(payload, entry["data"], np.uint8, entry["shape"], copy=False)
    wide = np.empty(codes.shape, np.uint32)
    wide[...] = codes
    return wide.view(dtype).reshape((rows, *entry["shape"]))


def _make_column(payload, entry, rows):
    shape = entry.get("shape", [])
    mask = None if entry.get("mask") is None else _buffer(payload, entry["mask"], bool, shape)
    if entry["kind"] == "Time":
        jd1 = _buffer(payload, entry["jd1"], np.float64, [])
        jd2 = _buffer(payload, entry["jd2"], np.float64, [])
        col = Time(
            jd1,
            jd2,
            format="jd",
            scale=entry["scale"],
            precision=entry["precision"],
            in_subfmt=entry["in_subfmt"],
            out_subfmt=entry["out_subfmt"],
        )
        col.format = entry["format"]
        if mask is not None:
            col[mask] = np.ma.masked
    else:
        data = _text(payload, entry, rows)
        unit = None if entry["unit"] is None else u.Unit(entry["unit"], parse_strict="silent")
        common = {
            "name": entry["name"],
            "unit": unit,
            "description": entry["description"],
            "format": entry["format"],
            "copy": False,
        }
        if entry["kind"] == "MaskedColumn":
            fill = (
                None
                if entry["fill_value"] is None
                else np.frombuffer(bytes.fromhex(entry["fill_value"]), dtype=data.dtype)[0]
            )
            col = MaskedColumn(
                data, mask=False if mask is None else mask, fill_value=fill, **common
            )
        else:
            col = Column(data, **common)
    if len(col) != rows:
        raise ValueError(f"column {entry['name']!r} has {len(col)} rows, not {rows}")
    col.info.name, col.info.description = entry["name"], entry["description"]
    if entry["meta"] is not None:
        col.info.meta = entry["meta"]
    return col


def read_table(handle, *, key, ttl=None):
    """
    Read a table written by `write_table`, checking everything on the way.

    Parameters
    ----------
    handle : file object
        Open for binary reading.
    key : str
        The key the entry must have been written under.
    ttl : float, optional
        Return None (without reading the columns) if older than this many seconds.

    Returns
    -------
    (astropy.table.Table, float) or None
        The table and when it was stored, or None if expired.

    Raises
    ------
    ValueError, KeyError, TypeError
        If the file is not a complete, intact entry of ``key``.
    """
    entry = Entry.read(handle, key=key, ttl=ttl)
    return None if entry is None else (entry.table(), entry.stored)


class QueryCache:
    """
    Disk cache of query results (astropy tables), keyed by hex digests.

    Parameters
    ----------
    directory : str or path-like, optional
        Where to keep the files; default `mastq.conf.cache_dir` read at each call.

    Examples
    --------
    >>> import tempfile
    >>> from astropy.table import Table
    >>> from mastq.cache import QueryCache
    >>> cache = QueryCache(tempfile.mkdtemp())
    >>> cache.put("ab12", Table({"id": [1, 2]}))
    True
    >>> QueryCache(cache.directory).get("ab12")["id"].tolist()
    [1, 2]
    """

    def __init__(self, directory=None):
        self._directory = Path(directory) if directory is not None else None
        self._memory = OrderedDict()  # key -> (stored at, table), most recent last
        self._lock = threading.Lock()

    @property
    def directory(self):
        """The cache folder (created on first write)."""
        if self._directory is not None:
            return self._directory
        settings = Settings.current()
        if settings.cache_dir:
            return Path(settings.cache_dir)
        return Path(get_cache_dir()) / "mastq" / "queries"

    def _path(self, key):
        if not key or not all(c in "0123456789abcdef-t" for c in key):
            raise ValueError(f"key must be a hex digest, got {key!r}")
        return self.directory / (key + _SUFFIX)

    def get(self, key, *, ttl=None):
        """
        Return the table stored under ``key``, or None if absent, expired or unreadable.

        An entry that fails a check (truncated, corrupt, another key, another
        format) is deleted and a warning logged, so the caller fetches it again.

        Parameters
        ----------
        key : str
            A hex digest.
        ttl : float, optional
            Seconds an entry stays valid; default `mastq.conf.cache_ttl`.

        Returns
        -------
        astropy.table.Table or None
        """
        path = self._path(key)
        ttl = float(Settings.current().cache_ttl if ttl is None else ttl)
        entry = self._from_memory(key, ttl) or self._from_disk(path, key, ttl)
        if entry is None:
            return None
        try:
            return entry.table()
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("dropping a damaged query cache entry %s: %s", path, exc)
            self._forget(key)
            _unlink(path)
            return None

    def _from_disk(self, path, key, ttl):
        try:
            with open(path, "rb") as handle:
                entry = Entry.read(handle, key=key, ttl=ttl)
        except (FileNotFoundError, NotADirectoryError):
            return None  # nothing stored (a folder that cannot hold entries warns on put)
        except OSError as exc:
            log.warning("cannot read the query cache entry %s (query sent again): %s", path, exc)
            return None
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("dropping a damaged query cache entry %s: %s", path, exc)
            _unlink(path)
            return None
        if entry is not None:
            self._remember(key, entry)
        return entry

    def _from_memory(self, key, ttl):
        with self._lock:
            entry = self._memory.get(key)
            if entry is None:
                return None
            if time.time() - entry.stored > ttl:
                del self._memory[key]
                return None
            self._memory.move_to_end(key)
            return entry

    def _remember(self, key, entry):
        """Keep ``entry`` (read-only) in memory, dropping the oldest beyond the row budget."""
        budget = Settings.current().cache_memory_rows
        with self._lock:
            self._memory.pop(key, None)
            if entry.rows > budget:
                return
            self._memory[key] = entry
            while sum(e.rows for e in self._memory.values()) > budget:
                self._memory.popitem(last=False)

    def _forget(self, key):
        with self._lock:
            self._memory.pop(key, None)

    def put(self, key, table):
        """
        Store ``table`` under ``key``, atomically replacing any older entry.

        A table that cannot be stored exactly (e.g. meta that JSON would change) is
        not cached; a folder that cannot be made or written, or a full disk, leaves
        the entry in memory only.  Each is logged as a warning and nothing is raised.

        Parameters
        ----------
        key : str
            A hex digest.
        table : astropy.table.Table
            A COMPLETE result.

        Returns
        -------
        bool
            True if the entry was written to disk.
        """
        path = self._path(key)
        try:
            entry = Entry.from_table(table, key=key)
        except Exception as exc:  # noqa: BLE001  (a result the cache cannot hold stays a result)
            log.warning("result not cached: %s", exc)
            self._forget(key)
            return False
        self._remember(key, entry)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=key[:16] + "-", suffix=".tmp")
        except OSError as exc:
            log.warning(
                "query cache folder %s unusable, result not kept on disk: %s", path.parent, exc
            )
            return False
        try:
            with os.fdopen(fd, "wb") as handle:
                entry.write(handle)
            os.replace(tmp, path)
        except BaseException as exc:
            _unlink(Path(tmp))
            if not isinstance(exc, OSError):
                raise
            log.warning("result not kept in the query cache %s: %s", path.parent, exc)
            return False
        return True

    def clear(self):
        """
        Remove every entry (and any file left by an interrupted write).

        Returns
        -------
        int
            The number of entries removed.
        """
        with self._lock:
            self._memory.clear()
        directory = self.directory
        if not directory.is_dir():
            return 0
        removed = 0
        for path in directory.iterdir():
            if path.suffix in (_SUFFIX, ".tmp", ".pickle") and path.is_file():
                removed += path.suffix == _SUFFIX
                _unlink(path)
        return removed


def _unlink(path):
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, exc)
