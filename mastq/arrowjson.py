"""
Mashup json answers decoded column-wise by Apache Arrow.

A Mashup json page is one object whose ``data`` is a list of row objects.  Arrow's
JSON reader (C++, no Python object per cell) reads the whole document into a struct
column per field; each becomes a numpy array in one vectorized step.  This is what
makes a 500,000-row page parse several times faster than a plain ``json.loads`` and
in a fraction of its memory.

Text columns become fixed-width numpy unicode arrays (dtype ``U``, as astroquery's),
built slice by slice straight from Arrow's UTF-8 buffers, so no Python string and no
full-size intermediate copy is ever made; UTF-8 bytestrings (dtype ``S``, a quarter of
the memory) on request (``text="bytes"``).

`decode` raises `ArrowDecodeError` for what Arrow cannot read (a column mixing numbers
and strings, a body over 2 GiB, ...); the caller then decodes with orjson.
"""

import ctypes
import ctypes.util
import io
import re

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

__all__ = ["ArrowDecodeError", "TEXT_MODES", "decode", "text_from_arrow"]

TEXT_MODES = ("str", "bytes")
"""How text columns are built: numpy ``U`` (the default) or UTF-8 ``S`` (opt-in)."""

_MAX_BLOCK = (1 << 31) - 1
_THREADED_FROM = 8 << 20  # bodies from this size are read as row lines on several threads
_LINE_BLOCK = 1 << 20
_TRIM_FROM = 16 << 20  # freed memory is given back after Arrow columns of this size
_TEXT_SLICE = 1 << 16
# Arrow's default pool (jemalloc/mimalloc) keeps freed pages; the system allocator gives
# the large column buffers back as soon as each is converted, which lowers the peak.
_POOL = pa.system_memory_pool()
_DATA_RE = re.compile(rb'"data"\s*:\s*\[\s*\{')
_MAX_END_TRIES = 16


def _trimmer():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl...)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _trimmer()


def _release_free_memory():
    """
    Give the memory Arrow's reader threads freed back to the system (glibc only).

    Arrow's threads allocate in their own malloc arenas, which keep freed pages; once
    a large page is read, trimming them lowers the peak while text columns are built.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class ArrowDecodeError(Exception):
    """Arrow cannot decode this body; decode it another way."""


def _read(body, schema=None):
    if len(body) >= _MAX_BLOCK:
        raise ArrowDecodeError("body larger than one Arrow block")
    options = pj.ParseOptions(
        newlines_in_values=True, explicit_schema=schema, unexpected_field_behavior="infer"
    )
    try:
        return pj.read_json(
            io.BytesIO(body),
            parse_options=options,
            memory_pool=_POOL,
            read_options=pj.ReadOptions(block_size=len(body) + 1, use_threads=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ArrowDecodeError(str(exc)) from exc


def _rows(table):
    """The ``data`` list of the one-row document table, as a StructArray (or None)."""
    if "data" not in table.column_names or table.num_rows != 1:
        return None
    data = table.column("data").combine_chunks()
    if not pa.types.is_list(data.type):
        raise ArrowDecodeError("'data' is not a list")
    rows = data.flatten()
    if pa.types.is_null(rows.type):
        return rows
    if not pa.types.is_struct(rows.type):
        raise ArrowDecodeError("'data' is not a list of objects")
    return rows


def _text_schema(rows):
    """A schema forcing every column Arrow read as a timestamp back to text."""
    stamps = [f.name for f in rows.type if pa.types.is_timestamp(f.type)]
    if not stamps:
        return None
    return pa.schema([("data", pa.list_(pa.struct([(n, pa.string()) for n in stamps])))])


def text_from_arrow(array, *, text="str"):
    """
    A fixed-width numpy text array from Arrow strings, built slice by slice.

    Each slice of at most 65,536 strings is padded (ASCII) or decoded (other text) and
    written into the output, so no full-size intermediate copy ever exists.

    Parameters
    ----------
    array : pyarrow.StringArray or pyarrow.ChunkedArray
        Nulls become empty strings (the caller keeps the null mask).
    text : {'str', 'bytes'}, optional
        ``str`` (default): numpy unicode (``U``), as astroquery's text columns.
        ``bytes``: UTF-8 bytestrings (``S``), a quarter of the memory, opt-in.

    Returns
    -------
    numpy.ndarray
        Writable, one element per row.
    """
    if text not in TEXT_MODES:
        raise ValueError(f"text must be one of {TEXT_MODES}, got {text!r}")
    n = len(array)
    ascii_only = n == 0 or text == "bytes" or pc.all(pc.string_is_ascii(array)).as_py()
    if not ascii_only:
        return _unicode_from_arrow(array)
    width = max(pc.max(pc.binary_length(array)).as_py() or 0, 1) if n else 1
    if text == "bytes":
        out = _empty(n, f"S{width}")
        for lo, part in _slices(array):
            out[lo : lo + len(part)] = _padded(part, width)
        return out
    out = _empty(n, f"U{width}")
    codes = out.view(np.uint32).reshape(n, width)
    for lo, part in _slices(array):  # each ASCII byte widened to a code point
        codes[lo : lo + len(part)] = _padded(part, width).view(np.uint8).reshape(-1, width)
    return out


def _empty(n, dtype):
    """
    A writable numpy array of ``n`` items in memory from Arrow's system pool.

    Text columns are the bulk of a large result (a 500,000-row CAOM page holds about
    1.5 GB of ``U`` text).  numpy asks the kernel for transparent huge pages for big
    arrays, and where the kernel compacts memory on such a fault (THP ``defrag`` set to
    ``madvise``, a common default) first-touching them costs several times more than
    plain pages: measured here, 0.9 s against 0.15 s per 400 MB, which nearly halved
    the parse speed.  Plain ``malloc`` memory from Arrow's system pool avoids that; the
    array keeps its buffer alive.
    """
    dtype = np.dtype(dtype)
    buffer = pa.allocate_buffer(max(n * dtype.itemsize, 1), memory_pool=_POOL)
    return np.frombuffer(buffer, dtype=dtype, count=n)


def _slices(array):
    """(first row, slice without nulls) of ``array`` (an Array or a ChunkedArray)."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    start = 0
    for chunk in chunks:
        for lo in range(0, len(chunk), _TEXT_SLICE):
            part = chunk.slice(lo, _TEXT_SLICE)
            if part.null_count:
                part = pc.coalesce(part, "", memory_pool=_POOL)
            yield start + lo, part
        start += len(chunk)


def _unicode_from_arrow(array):
    """`text_from_arrow` of text that is not all ASCII: UTF-8 decoded slice by slice."""
    n = len(array)
    width = max(pc.max(pc.utf8_length(array)).as_py() or 0, 1)
    out = _empty(n, f"U{width}")
    codes = out.view(np.uint32).reshape(n, width)
    codes.fill(0)
    slots = np.arange(width)
    for lo, part in _slices(array):
        sizes = pc.utf8_length(part).to_numpy(zero_copy_only=False)
        codes[lo : lo + len(part)][slots < sizes[:, None]] = _code_points(part)
    return out


def _code_points(part):
    """The characters of ``part`` (no nulls) end to end, as one array of code points."""
    wide = pa.types.is_large_string(part.type)
    offsets = np.frombuffer(
        part.buffers()[1],
        np.int64 if wide else np.int32,
        count=len(part) + 1,
        offset=part.offset * (8 if wide else 4),
    )
    data = part.buffers()[2]
    if data is None:
        return np.zeros(0, np.uint32)
    chars = memoryview(data)[int(offsets[0]) : int(offsets[-1])]
    return np.frombuffer(str(chars, "utf-8").encode("utf-32-le"), np.uint32)


def _padded(part, width):
    """A view of ``part`` (no nulls) padded with NULs to ``width`` bytes, as numpy S."""
    padded = pc.ascii_rpad(part, width=width, padding="\0", memory_pool=_POOL)
    start = int(np.frombuffer(padded.buffers()[1], np.int32, count=1, offset=padded.offset * 4)[0])
    return np.frombuffer(padded.buffers()[2], dtype=f"S{width}", count=len(part), offset=start)


def _numbers(array, fill, dtype):
    filled = array.fill_null(fill) if array.null_count else array
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=dtype).copy()


def _column(array, text):
    """(kind, values, mask) of one Arrow column; kind in int/float/bool/str/null."""
    kind_of = array.type
    if pa.types.is_null(kind_of) or array.null_count == len(array):
        return "null", None, None
    mask = array.is_null().to_numpy(zero_copy_only=False) if array.null_count else None
    if pa.types.is_string(kind_of) or pa.types.is_large_string(kind_of):
        return "str", text_from_arrow(array, text=text), mask
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks(memory_pool=_POOL)
    if pa.types.is_boolean(kind_of):
        return "bool", _numbers(array, False, bool), mask
    if pa.types.is_integer(kind_of) and not pa.types.is_uint64(kind_of):
        return "int", _numbers(array, 0, np.int64), mask
    if pa.types.is_floating(kind_of):
        return "float", _numbers(array, np.nan, np.float64), mask
    raise ArrowDecodeError(f"unexpected column type {kind_of}")


class _RowLines(io.RawIOBase):
    """
    The rows ``{...},{...}`` of a data array, read as one row per line (``},{`` -> ``}\\n{``).

    The replacement keeps every byte's position, so it is done window by window on
    the fly; a ``},{`` inside a string becomes a raw newline there, which no JSON reader
    accepts, so a wrong cut is an error, never a wrong value.
    """

    def __init__(self, body, start, stop):
        super().__init__()
        self._view, self._pos, self._stop = memoryview(body), start, stop
        self._start = start

    def readable(self):
        return True

    def readinto(self, buffer):
        size = min(len(buffer), self._stop - self._pos)
        if size <= 0:
            return 0
        lo, hi = max(self._pos - 2, self._start), min(self._pos + size + 2, self._stop)
        window = bytes(self._view[lo:hi]).replace(b"},{", b"}\n{")
        skip = self._pos - lo
        buffer[:size] = window[skip : skip + size]
        self._pos += size
        return size


def _last_brace(body, close, start):
    """Index of the ``}`` just before ``close`` (whitespace skipped), or -1."""
    j = close - 1
    while j > start and body[j] in b" \t\r\n":
        j -= 1
    return j if body[j : j + 1] == b"}" else -1


def _split(body):
    """(envelope dict, start, stop) of the rows ``{...},...,{...}`` in ``body``, or None.

    The rows end at the ``]`` (found from the end) whose removal, with the rows, leaves
    a valid envelope holding ``fields`` and an empty ``data``.
    """
    match = _DATA_RE.search(body)
    if match is None:
        return None
    start, close = match.end() - 1, len(body)
    for _ in range(_MAX_END_TRIES):
        close = body.rfind(b"]", start, close)
        end = _last_brace(body, close, start) if close > start else -1
        if close <= start:
            return None
        if end < 0:
            continue
        try:
            envelope = orjson.loads(body[:start] + b"]" + body[close + 1 :])
        except orjson.JSONDecodeError:
            continue
        if isinstance(envelope, dict) and envelope.get("data") == [] and "fields" in envelope:
            return envelope, start, end + 1
    return None


def _read_lines(body, start, stop, schema=None):
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    try:
        return pj.read_json(
            _RowLines(body, start, stop),
            parse_options=options,
            memory_pool=_POOL,
            read_options=pj.ReadOptions(use_threads=True, block_size=_LINE_BLOCK),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ArrowDecodeError(str(exc)) from exc


def _decode_threaded(body, text):
    """Large bodies: the rows read as lines by Arrow's threads; None if not possible."""
    found = _split(body)
    if found is None:
        return None
    envelope, start, stop = found
    envelope.pop("data")
    try:
        rows = _read_lines(body, start, stop)
        stamps = [f.name for f in rows.schema if pa.types.is_timestamp(f.type)]
        if stamps:
            rows = _read_lines(body, start, stop, pa.schema([(n, pa.string()) for n in stamps]))
    except ArrowDecodeError:
        return None
    nrows, columns = rows.num_rows, {}
    _release_free_memory()
    for name in rows.column_names:  # drop each Arrow column once converted: lower peak memory
        column = rows.column(name)
        columns[name], size = _column(column, text), column.nbytes
        del column
        rows = rows.drop_columns([name])
        if size >= _TRIM_FROM:
            _release_free_memory()
    return envelope, nrows, columns


def decode(body, *, text="str"):
    """
    Decode a Mashup json answer.

    Parameters
    ----------
    body : bytes
        The answer body.
    text : {'str', 'bytes'}, optional
        Text columns as numpy ``U`` (default) or UTF-8 ``S`` (see `text_from_arrow`).

    Returns
    -------
    envelope : dict
        Every top-level key but ``data`` (``status``, ``msg``, ``fields``, ``paging``...).
    nrows : int or None
        Rows in ``data``; None when the answer has no ``data`` key.
    columns : dict
        Key -> ``(kind, values, mask)`` for every key seen in the rows; ``values`` is
        None for an all-null column, ``mask`` None when nothing is null.

    Raises
    ------
    ArrowDecodeError
        If Arrow cannot read the body (the caller falls back to another decoder).
    """
    if len(body) >= _THREADED_FROM:
        done = _decode_threaded(body, text)
        if done is not None:
            return done
    table = _read(body)
    rows = _rows(table)
    schema = _text_schema(rows) if rows is not None and pa.types.is_struct(rows.type) else None
    if schema is not None:
        table = _read(body, schema)
        rows = _rows(table)
    envelope = table.drop_columns([c for c in ("data",) if c in table.column_names])
    envelope = envelope.to_pylist()[0] if envelope.num_columns else {}
    if rows is None or pa.types.is_null(rows.type):
        return envelope, None if rows is None else len(rows), {}
    del table
    columns = {
        field.name: _column(child, text)
        for field, child in zip(rows.type, rows.flatten(), strict=True)
    }
    return envelope, len(rows), columns
