"""
One invoke answer (a *page*) decoded into numpy columns.

`parse_page` reads a body in any result format (``json``, ``extjs``, ``csv``,
``votable``) into a `Page`: status, message, paging and, for each declared field, the
values as numpy arrays with a null mask.  Json pages are decoded column-wise by
Arrow (`mastq.arrowjson`), so a 500,000-row page never exists as Python objects;
other formats go through orjson or astropy's readers.  Each column's kind follows the
type the answer's own ``fields`` declare (`mastq.columns.declared_kind`): a field declared
``string`` is text even when the json carries numbers (long ids such as ``obsid``).
Text columns are fixed-width numpy unicode (``U``) arrays, as astroquery's; UTF-8
bytestrings (``S``, a quarter of the memory) only when asked for with ``text="bytes"``.
`mastq.tables` assembles pages into an astropy Table.
"""

import dataclasses
import io
import logging
import operator
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import orjson

from . import arrowjson
from .columns import declared_kind
from .exceptions import ProtocolError

__all__ = [
    "ColumnData",
    "Page",
    "TEXT_MODES",
    "parse_page",
    "parse_document",
    "text_array",
    "SELECTED",
]

TEXT_MODES = arrowjson.TEXT_MODES

SELECTED = "_selected_"
"""The portal's selection column, dropped from every result."""

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ColumnData:
    """
    A slice of one column: ``kind`` in {'int', 'float', 'bool', 'str', 'null'}.

    ``values`` is a numpy array (None for kind 'null', a slice of nulls only; for kind
    'str' a fixed-width text array, numpy ``U`` or, with ``text="bytes"``, ``S``);
    ``mask`` is a boolean array True at nulls, or None when nothing is null.
    """

    kind: str
    length: int
    values: np.ndarray = None
    mask: np.ndarray = None


@dataclasses.dataclass(frozen=True)
class Page:
    """
    One decoded invoke answer.

    Parameters
    ----------
    status : str
        ``COMPLETE``, ``EXECUTING`` or ``ERROR``.
    msg : str
        The server's message.
    paging : Mapping
        ``page``, ``pageSize``, ``pagesFiltered``, ``rows``, ``rowsFiltered``, ``rowsTotal``.
    fields : tuple of (str, str)
        Declared (name, type) pairs, ``_selected_`` removed.
    columns : Mapping
        Column name -> tuple of `ColumnData` slices.
    nrows : int
        Rows in this page.
    document : Mapping
        The rest of the answer (e.g. extjs ``ExtendedProperties``), rows removed.
    percent : float or None
        ``percent complete`` of an EXECUTING answer.

    Examples
    --------
    >>> page = parse_page(b'{"status": "EXECUTING", "msg": "", "percentComplete": 40}')
    >>> page.status, page.nrows
    ('EXECUTING', 0)
    """

    status: str
    msg: str = ""
    paging: Mapping = dataclasses.field(default_factory=dict)
    fields: tuple = ()
    columns: Mapping = dataclasses.field(default_factory=dict)
    nrows: int = 0
    document: Mapping = dataclasses.field(default_factory=dict)
    percent: float = None


def _loads(data, what):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(
            f"{what} is not valid JSON ({exc}); the body is {len(data)} bytes", cause=exc
        ) from exc


def _masked(values, fill, dtype):
    obj = np.array(values, dtype=object)
    mask = np.equal(obj, None)
    obj[mask] = fill
    return obj.astype(dtype), (mask if mask.any() else None)


def text_array(values, *, text="str"):
    """
    A fixed-width numpy text array.

    Parameters
    ----------
    values : sequence of str
        No None (the caller masks nulls first).
    text : {'str', 'bytes'}, optional
        ``str``: numpy unicode (``U``); ``bytes``: UTF-8 bytestrings (``S``).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> text_array(["a", "bc"])
    array(['a', 'bc'], dtype='<U2')
    """
    if text not in TEXT_MODES:
        raise ValueError(f"text must be one of {TEXT_MODES}, got {text!r}")
    values = list(values)
    if text == "bytes":
        return np.array([v.encode("utf-8") for v in values] or [b""], dtype="S")[: len(values)]
    return np.array(values or [""], dtype=str)[: len(values)]


def _as_str(values, text):
    if None not in values:
        return ColumnData("str", len(values), text_array(map(_text_of, values), text=text))
    mask = np.fromiter((v is None for v in values), bool, len(values))
    if mask.all():
        return ColumnData("null", len(values))
    return ColumnData(
        "str",
        len(values),
        text_array(("" if v is None else _text_of(v) for v in values), text=text),
        mask,
    )


def _text_of(value):
    """A json scalar as text, exactly (``2003585980`` -> ``"2003585980"``)."""
    return value if isinstance(value, str) else str(value)


def _as_int(values, text):
    try:
        return ColumnData("int", len(values), np.array(values, dtype=np.int64))
    except TypeError:
        pass
    except (OverflowError, ValueError):
        return _infer(values, text, allow_int=False)
    try:
        arr, mask = _masked(values, 0, np.int64)
    except (OverflowError, ValueError, TypeError):
        return _infer(values, text, allow_int=False)
    if mask is not None and mask.all():
        return ColumnData("null", len(values))
    return ColumnData("int", len(values), arr, mask)


def _as_float(values, text):
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        return _infer(values, text)
    mask = np.isnan(arr)
    if mask.all() and len(values):
        return ColumnData("null", len(values))
    return ColumnData("float", len(values), arr, mask if mask.any() else None)


def _as_bool(values, text):
    try:
        arr, mask = _masked(values, False, bool)
    except (TypeError, ValueError):
        return _infer(values, text)
    if mask is not None and mask.all():
        return ColumnData("null", len(values))
    return ColumnData("bool", len(values), arr, mask)


def _infer(values, text, *, allow_int=True):
    """Decide the kind from the Python types present (for undeclared or mistyped fields)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds:
        return ColumnData("null", len(values))
    if kinds == {int} and allow_int:
        return _as_int(values, text)
    if kinds == {bool}:
        return _as_bool(values, text)
    if kinds <= {int, float} and allow_int:
        return _as_float(values, text)
    return _as_str(values, text)


_CONVERTERS = MappingProxyType(
    {"float": _as_float, "int": _as_int, "bool": _as_bool, "str": _as_str, "time": _as_str}
)


def convert(values, declared, *, text="str"):
    """
    Convert one column's values (a tuple of JSON scalars) to a `ColumnData`.

    Parameters
    ----------
    values : tuple
        The cells, ``None`` for nulls.
    declared : str
        The declared Mashup type (``string``, ``int``, ``float``, ``boolean``...); a
        ``string`` field is text whatever the json carries; an unknown type is inferred
        from the values.
    text : {'str', 'bytes'}, optional
        How text is stored (see `text_array`).

    Returns
    -------
    ColumnData
    """
    return _CONVERTERS.get(declared_kind(declared), _infer)(values, text)


def _columns_of_rows(rows, fields, text):
    """Turn a list of row dicts into {name: ColumnData} with C-level transposition."""
    names = [name for name, _ in fields]
    if not rows or not names:
        return {}
    try:
        getter = operator.itemgetter(*names)
        cells = list(map(getter, rows))
        cols = [tuple(cells)] if len(names) == 1 else list(zip(*cells, strict=True))
    except KeyError:
        cols = [tuple(row.get(name) for row in rows) for name in names]
    except TypeError as exc:
        raise ProtocolError(
            "json 'data' must be a list of objects (one per row)", cause=exc
        ) from exc
    return {
        name: convert(col, kind, text=text) for (name, kind), col in zip(fields, cols, strict=True)
    }


def _parse_fields(raw):
    if not isinstance(raw, list) or not all(isinstance(f, Mapping) and "name" in f for f in raw):
        raise ProtocolError("json 'fields' must be a list of {name, type} objects")
    return tuple((f["name"], f.get("type", "string")) for f in raw if f["name"] != SELECTED)


def _page(doc, fields, slices, document=None):
    paging = doc.get("paging") or {}
    if not isinstance(paging, Mapping):
        raise ProtocolError(f"json 'paging' must be an object, got {type(paging).__name__}")
    columns = {name: tuple(cols[name] for n, cols in slices if n) for name, _ in fields}
    return Page(
        status=str(doc.get("status", "COMPLETE")),
        msg=str(doc.get("msg") or ""),
        paging=MappingProxyType(dict(paging)),
        fields=fields,
        columns=MappingProxyType(columns),
        nrows=sum(n for n, _ in slices),
        document=MappingProxyType(document or {}),
        percent=doc.get("percent complete"),
    )


def _status_only(doc):
    status = doc.get("status")
    if status is None or status == "COMPLETE":
        return None
    return Page(
        status=str(status),
        msg=str(doc.get("msg") or ""),
        document=MappingProxyType(doc),
        percent=doc.get("percent complete"),
    )


def _arrow_slices(fields, nrows, raw, text):
    """
    ColumnData per declared field from `mastq.arrowjson.decode` output, or None.

    None when a field declared as text holds json numbers Arrow read as floats
    (``1`` and ``1.0`` are then indistinguishable): the orjson decoder keeps them exact.
    """
    columns = {}
    for name, declared in fields:
        kind, values, mask = raw.pop(name, ("null", None, None))
        want = declared_kind(declared)
        if kind == "int" and want == "float":
            kind, values = "float", values.astype(np.float64)
        elif kind in ("int", "bool") and want in ("str", "time"):
            kind, values = "str", _numbers_as_text(values, mask, text)
        elif kind == "float" and want in ("str", "time"):
            return None
        columns[name] = ColumnData(kind, nrows, values, mask)
    return [(nrows, columns)]


def _numbers_as_text(values, mask, text):
    """Integers (or booleans) as exact text, nulls as empty strings."""
    if values.dtype.kind == "b":
        width = 5
    else:
        width = max(len(str(values.min())), len(str(values.max())), 1)
    out = values.astype(f"{'S' if text == 'bytes' else 'U'}{width}")
    if mask is not None:
        out[mask] = ""
    return out


def _parse_json_python(body, text):
    """The orjson decoder: for what Arrow cannot read (e.g. a column of numbers and text)."""
    doc = _loads(body, "the json answer")
    if not isinstance(doc, Mapping):
        raise ProtocolError("the json answer must be an object")
    early = _status_only(doc)
    if early is not None:
        return early
    _require_table(doc, isinstance(doc.get("data"), list))
    fields = _parse_fields(doc["fields"])
    rows = doc.pop("data")
    return _page(doc, fields, [(len(rows), _columns_of_rows(rows, fields, text))])


def _require_table(doc, has_rows):
    if "fields" not in doc or not has_rows:
        raise ProtocolError(
            f"a COMPLETE json answer needs 'fields' and a 'data' list; got keys {sorted(doc)}"
        )


def parse_json(body, *, text="str"):
    """
    Decode a Mashup json answer into a `Page`.

    Arrow (`mastq.arrowjson`) decodes it column-wise; a body Arrow cannot read is
    decoded with orjson instead, with the same result.

    Parameters
    ----------
    body : bytes
        The answer body.
    text : {'str', 'bytes'}, optional
        Text columns as numpy ``U`` (default) or UTF-8 ``S`` (opt-in, less memory).

    Returns
    -------
    Page

    Raises
    ------
    mastq.exceptions.ProtocolError
        If the body is not JSON or lacks ``fields``/``data`` in a COMPLETE answer.
    """
    try:
        doc, nrows, raw = arrowjson.decode(body, text=text)
    except arrowjson.ArrowDecodeError as exc:
        log.debug("Arrow could not decode the answer (%s); using orjson", exc)
        return _parse_json_python(body, text)
    early = _status_only(doc)
    if early is not None:
        return early
    _require_table(doc, nrows is not None)
    fields = _parse_fields(doc["fields"])
    slices = _arrow_slices(fields, nrows, raw, text)
    if slices is None:
        del raw
        log.debug("a text field holds json floats; decoding with orjson to keep them exact")
        return _parse_json_python(body, text)
    return _page(doc, fields, slices)


def parse_extjs(body, *, text="str"):
    """Decode an extjs answer (``data.Tables[0]``, rows as lists) into a `Page`."""
    doc = _loads(body, "the extjs answer")
    early = _status_only(doc) if isinstance(doc, Mapping) else None
    if early is not None:
        return early
    try:
        table = dict(doc["data"]["Tables"][0])
        raw_fields = table["Fields"]
        rows = table.pop("Rows")
    except (KeyError, IndexError, TypeError) as exc:
        raise ProtocolError(
            "an extjs answer needs data.Tables[0] with Fields and Rows", cause=exc
        ) from exc
    keep = [i for i, f in enumerate(raw_fields) if f.get("name") != SELECTED]
    fields = _parse_fields([raw_fields[i] for i in keep])
    try:
        cols = list(zip(*rows, strict=True)) if rows else []
    except (TypeError, ValueError) as exc:
        raise ProtocolError("extjs Rows must be lists of one value per field", cause=exc) from exc
    columns = (
        {
            name: convert(cols[i], kind, text=text)
            for i, (name, kind) in zip(keep, fields, strict=True)
        }
        if cols
        else {}
    )
    props = table.get("ExtendedProperties") or {}
    doc = {"status": doc.get("status"), "msg": doc.get("msg"), "paging": props.get("Paging")}
    return _page(doc, fields, [(len(rows), columns)], document=table)


def _from_astropy(table, text):
    fields, columns = [], {}
    for name in table.colnames:
        col = table[name]
        kind = {"i": "int", "u": "int", "f": "float", "b": "bool"}.get(col.dtype.kind, "str")
        mask = np.asarray(col.mask) if getattr(col, "mask", None) is not None else None
        values = np.asarray(col)
        if kind == "str":
            values = (
                values.astype(str) if text == "str" else np.char.encode(values.astype(str), "utf-8")
            )
        fields.append((name, kind))
        columns[name] = ColumnData(
            kind, len(col), values, mask if mask is not None and mask.any() else None
        )
    fields = tuple(f for f in fields if f[0] != SELECTED)
    doc = {"status": "COMPLETE", "paging": {"rows": len(table), "rowsFiltered": len(table)}}
    return _page(doc, fields, [(len(table), columns)])


def _json_status(body):
    """
    The status `Page` of a json wrapper answered in place of a csv/votable body, or None.

    MAST answers ``{"status": "EXECUTING", ...}`` (json) while a job runs, whatever format
    was asked for; such a body must be polled again, never read as rows.
    """
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, Mapping) or "status" not in doc:
        return None
    if doc["status"] == "COMPLETE":
        raise ProtocolError("asked for csv or votable rows, got a COMPLETE json answer")
    return Page(
        status=str(doc["status"]),
        msg=str(doc.get("msg") or ""),
        document=MappingProxyType(doc),
        percent=doc.get("percent complete"),
    )


def parse_csv(body, *, text="str"):
    """Decode a csv answer (header line, then rows) into a `Page` (a json status too)."""
    from astropy.table import Table

    status = _json_status(body)
    if status is not None:
        return status
    if not body.strip():
        return Page(status="COMPLETE")
    try:
        table = Table.read(io.BytesIO(body), format="ascii.csv", fast_reader=True)
    except Exception as exc:  # astropy raises many types for unreadable text
        raise ProtocolError(f"the csv answer cannot be read: {exc}", cause=exc) from exc
    return _from_astropy(table, text)


def parse_votable(body, *, text="str"):
    """Decode a VOTable answer into a `Page` (a json status answer too)."""
    from astropy.io.votable import parse_single_table

    status = _json_status(body)
    if status is not None:
        return status
    try:
        table = parse_single_table(io.BytesIO(body)).to_table()
    except Exception as exc:  # the VOTable parser raises many types for bad XML
        raise ProtocolError(f"the votable answer cannot be read: {exc}", cause=exc) from exc
    return _from_astropy(table, text)


def parse_document(body, *, text="str"):
    """
    Decode a json answer that is not a table (e.g. ``Mast.Name.Lookup``) into a `Page`.

    The whole object is in `Page.document`; an empty or missing ``status`` reads as
    ``COMPLETE``.  ``text`` is accepted for a uniform signature (a document has no
    columns).

    Examples
    --------
    >>> dict(parse_document(b'{"resolvedCoordinate": [{"ra": 1.0}], "status": ""}').document)
    {'resolvedCoordinate': [{'ra': 1.0}], 'status': ''}
    """
    doc = _loads(body, "the json answer")
    if not isinstance(doc, Mapping):
        raise ProtocolError(f"the json answer must be an object, got {type(doc).__name__}")
    return Page(
        status=str(doc.get("status") or "COMPLETE"),
        msg=str(doc.get("msg") or ""),
        document=MappingProxyType(doc),
        percent=doc.get("percent complete"),
    )


_PARSERS = MappingProxyType(
    {
        "json": parse_json,
        "document": parse_document,
        "extjs": parse_extjs,
        "csv": parse_csv,
        "votable": parse_votable,
    }
)


def parse_page(body, *, fmt="json", text="str"):
    """
    Decode one invoke answer.

    Parameters
    ----------
    body : bytes
        The answer body.
    fmt : {'json', 'extjs', 'csv', 'votable', 'document'}
        The format asked for; ``document`` is a json answer that is not a table.
    text : {'str', 'bytes'}, optional
        Text columns as numpy unicode ``U`` (default, as astroquery's) or as UTF-8
        bytestrings ``S`` (an opt-in for memory: a quarter of the size).

    Returns
    -------
    Page

    Raises
    ------
    ValueError
        If ``fmt`` or ``text`` is not a known value.
    mastq.exceptions.ProtocolError
        If the body is not what the format promises.

    Examples
    --------
    >>> body = (b'{"status": "COMPLETE", "msg": "", "fields": [{"name": "obsid", "type": "string"},'
    ...         b' {"name": "s_ra", "type": "float"}, {"name": "t_min", "type": "float"}],'
    ...         b' "data": [{"obsid": "2003585980", "s_ra": 210.8, "t_min": 58000.5},'
    ...         b' {"obsid": "2003585981", "s_ra": null, "t_min": null}],'
    ...         b' "paging": {"page": 1, "pageSize": 2, "rows": 2, "pagesFiltered": 1,'
    ...         b' "rowsFiltered": 2, "rowsTotal": 2}}')
    >>> page = parse_page(body)
    >>> page.status, page.nrows, page.paging["rowsFiltered"]
    ('COMPLETE', 2, 2)
    >>> page.fields
    (('obsid', 'string'), ('s_ra', 'float'), ('t_min', 'float'))
    """
    try:
        parser = _PARSERS[fmt]
    except KeyError:
        raise ValueError(f"fmt must be one of {sorted(_PARSERS)}, got {fmt!r}") from None
    if text not in TEXT_MODES:
        raise ValueError(f"text must be one of {TEXT_MODES}, got {text!r}")
    return parser(bytes(body) if not isinstance(body, bytes) else body, text=text)
