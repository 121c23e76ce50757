"""
Rendering of `TableResult` pages as MAST sends them: json, csv, votable and extjs.

json, csv and extjs are generators of bytes chunks (one chunk per slice of rows), so a
result of 500,000 rows streams out without being held as one string.  The json shape is
the one of the recordings (``caom.json``): ``status, msg, data, fields, paging``, rows as
objects, nulls and NaN as ``null``, 64-bit ids as JSON numbers (their field type stays
whatever the service declared, ``"string"`` for ids as MAST does).  votable is built with
`astropy.io.votable` (it needs the whole page) and carries the units, UCDs and descriptions
of the service's column configuration.

json rows are rendered column-wise by `mastq.emulator.http.jsonrows`; while one chunk is
rendered, the next is made in a helper thread (`page_chunks`).
"""

import csv
import io
import math
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import astropy.units as u
import numpy as np
import orjson
from astropy.io import votable
from astropy.table import MaskedColumn, Table

from mastq.emulator.http.jsonrows import json_rows, row_tuples

__all__ = [
    "paging_for",
    "null_columns",
    "page_chunks",
    "render_json",
    "render_csv",
    "render_votable",
    "render_extjs",
    "status_body",
    "CONTENT_TYPES",
]

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "extjs": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "votable": "application/x-votable+xml; charset=utf-8",
}
_ORJSON = orjson.OPT_SERIALIZE_NUMPY
_CHUNK_ROWS = 20000


def paging_for(nrows, page, pagesize):
    """
    Page bounds and the ``paging`` object of a result.

    Parameters
    ----------
    nrows : int
        Rows of the whole result.
    page : int or None
        1-based page asked for (None: 1).
    pagesize : int or None
        Rows per page (None: all rows in one page).

    Returns
    -------
    start, stop : int
        Row slice of the page.
    paging : dict
        ``page, pageSize, pagesFiltered, rows, rowsFiltered, rowsTotal``.
    """
    page = page or 1
    size = pagesize or max(nrows, 1)
    start = min((page - 1) * size, nrows)
    stop = min(start + size, nrows)
    paging = {
        "page": page,
        "pageSize": size,
        "pagesFiltered": math.ceil(nrows / size),
        "rows": stop - start,
        "rowsFiltered": nrows,
        "rowsTotal": nrows,
    }
    return start, stop, paging


def _null_mask(array):
    mask = np.ma.getmaskarray(array).copy()
    data = np.ma.getdata(array)
    if data.dtype.kind == "f":
        mask |= np.isnan(data)
    elif data.dtype.kind == "O":
        mask |= np.array([v is None for v in data], dtype=bool)
    return mask


def null_columns(result, names):
    """Return the set of ``names`` whose values are null in every row of ``result``."""
    candidates = set(names)
    for chunk in page_chunks(result, 0, result.nrows, ahead=2):
        candidates = {n for n in candidates if _null_mask(chunk[n]).all()}
        if not candidates:
            break
    return candidates if result.nrows else set()


def page_chunks(result, start, stop, *, size=_CHUNK_ROWS, ahead=1):
    """
    The chunks of rows ``start:stop``, the next ones made in helper threads meanwhile.

    While the caller renders and sends one chunk, ``ahead`` worker threads (of a pool
    owned by this generator, ended with it) make the next ones, so that the numpy work
    overlaps on several cores; at most ``ahead + 1`` chunks are alive at once.  A page of
    a single chunk is made in the calling thread.

    Parameters
    ----------
    result : TableResult
        Its ``make_chunk`` must be thread-safe (as `TableResult` requires).
    start, stop : int
        Row slice of the page (``stop`` is clipped to the result).
    size : int
        Rows per chunk.
    ahead : int
        Chunks made in advance, each in its own thread.

    Yields
    ------
    dict
        One chunk (column name -> array) after the other, in row order.
    """
    stop = min(stop, result.nrows)
    bounds = [(lo, min(lo + size, stop)) for lo in range(start, stop, size)]
    if len(bounds) < 2:
        yield from (result.make_chunk(lo, hi) for lo, hi in bounds)
        return
    pool = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="mastq-chunks")
    try:
        pending = deque(pool.submit(result.make_chunk, lo, hi) for lo, hi in bounds[:ahead])
        for lo, hi in bounds[ahead:]:
            chunk = pending.popleft().result()
            pending.append(pool.submit(result.make_chunk, lo, hi))
            yield chunk
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def status_body(status, msg="", **extra):
    """A bare Mashup status document (EXECUTING or ERROR answers) as bytes."""
    return orjson.dumps({"status": status, "msg": msg, **extra})


def render_json(result, fields, *, start, stop, paging):
    """
    Yield the Mashup json document of rows ``start:stop`` as bytes chunks.

    Parameters
    ----------
    result : TableResult
    fields : sequence of Field
        The columns to send (after ``removenullcolumns``).
    start, stop : int
        Row slice of the page.
    paging : dict
        The ``paging`` object.

    Yields
    ------
    bytes
    """
    names = [f.name for f in fields]
    yield b'{"status":"COMPLETE","msg":"","data":['
    first = True
    for chunk in page_chunks(result, start, stop):
        body = json_rows(chunk, names)
        if body:
            if not first:
                yield b","
            yield body
            first = False
    field_list = [{"name": f.name, "type": f.type} for f in fields]
    yield (b'],"fields":' + orjson.dumps(field_list) + b',"paging":' + orjson.dumps(paging) + b"}")


def _csv_text(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def render_csv(result, fields, *, start, stop):
    """
    Yield rows ``start:stop`` as CSV (header line of column names, csv-module quoting).

    Parameters
    ----------
    result : TableResult
    fields : sequence of Field
    start, stop : int

    Yields
    ------
    bytes
    """
    names = [f.name for f in fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    yield buffer.getvalue().encode()
    for chunk in page_chunks(result, start, stop):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_text(v) for v in row] for row in row_tuples(chunk, names))
        yield buffer.getvalue().encode()


def _page_column(result, name, start, stop):
    parts = [chunk[name] for chunk in result.chunks(start, stop)]
    if not parts:
        return np.array([], dtype=float)
    if any(np.ma.isMaskedArray(p) for p in parts):
        return np.ma.concatenate(parts)
    return np.concatenate(parts)


# VOTable has no int8, uint16, uint32 or uint64: the next signed type that holds them all.
_VOTABLE_WIDER = {
    np.dtype(np.int8): np.int16,
    np.dtype(np.uint16): np.int32,
    np.dtype(np.uint32): np.int64,
}


def _as_table_column(name, array):
    data = np.ma.getdata(array)
    mask = _null_mask(array)
    if data.dtype in _VOTABLE_WIDER:
        data = data.astype(_VOTABLE_WIDER[data.dtype])
    elif data.dtype == np.uint64:
        fits = not data.size or int(data.max()) < 2**63
        data = data.astype(np.int64) if fits else data.astype(str)
    if data.dtype.kind == "O":
        data = np.array(["" if v is None else str(v) for v in data])
    elif data.dtype.kind == "M":
        data = np.datetime_as_string(data)
    return MaskedColumn(data, name=name, mask=mask)


def _vo_unit(text):
    if not text:
        return None
    unit = u.Unit(str(text), format="vounit", parse_strict="silent")
    return None if isinstance(unit, u.UnrecognizedUnit) else unit


def _describe_fields(table_element, colconfig):
    for fld in table_element.fields:
        conf = colconfig.get(fld.name) or {}
        unit = _vo_unit(conf.get("vot.unit") or conf.get("unit"))
        if unit is not None:
            fld.unit = unit
        if conf.get("vot.ucd"):
            fld.ucd = conf["vot.ucd"]
        if conf.get("vot.description"):
            fld.description = conf["vot.description"]


def render_votable(result, fields, *, start, stop, colconfig):
    """
    Yield rows ``start:stop`` as one VOTable document.

    Parameters
    ----------
    result : TableResult
    fields : sequence of Field
    start, stop : int
    colconfig : dict
        The columns config of the service (units, UCDs, descriptions).

    Yields
    ------
    bytes
    """
    table = Table(
        [_as_table_column(f.name, _page_column(result, f.name, start, stop)) for f in fields],
        masked=True,
    )
    document = votable.from_table(table)
    _describe_fields(document.get_first_table(), colconfig or {})
    out = io.BytesIO()
    document.to_xml(out)
    yield out.getvalue()


def _extjs_properties(name, colconfig, extra):
    props = {"vot.name": name, "vot.ID": name}
    for key, value in (colconfig.get(name) or {}).items():
        props[key if key.startswith("vot.") else f"cc.{key}"] = value
    props.update(extra.get(name) or {})
    return props


def render_extjs(result, fields, *, start, stop, paging, colconfig):
    """
    Yield rows ``start:stop`` in the extjs shape of ``missions.extjs`` as bytes chunks.

    Parameters
    ----------
    result : TableResult
    fields : sequence of Field
    start, stop : int
    paging : dict
    colconfig : dict
        The columns config of the service, merged under ``result.column_properties``.

    Yields
    ------
    bytes
    """
    names = [f.name for f in fields]
    colconfig = colconfig or {}
    columns = [
        {
            "text": n,
            "dataIndex": n,
            "ExtendedProperties": _extjs_properties(n, colconfig, result.column_properties),
        }
        for n in names
    ]
    head = {
        "name": "Table",
        "ExtendedProperties": {"Paging": paging, **result.extended},
        "Columns": columns,
        "Fields": [{"name": f.name, "type": f.type} for f in fields],
    }
    yield (
        b'{"status":"COMPLETE","msg":"","data":{"name":"NewDataSet","Tables":['
        + orjson.dumps(head, option=_ORJSON)[:-1]
        + b',"Rows":['
    )
    first = True
    for chunk in page_chunks(result, start, stop):
        rows = [list(row) for row in row_tuples(chunk, names)]
        if rows:
            body = orjson.dumps(rows, option=_ORJSON)[1:-1]
            yield body if first else b"," + body
            first = False
    yield b']}],"ExtendedProperties":{}}}'
