"""
Decoded pages in, one astropy Table out.

`build_table` concatenates the column slices of every page once per column, masks
nulls (and the ``ignoreValue`` sentinels the column metadata declares, nothing
else), attaches units, descriptions and UCDs from a `mastq.columns.ColumnsConfig`
and, on request, turns MJD and date columns into `astropy.time.Time`.
`decode_table` does all of it for one answer body of any format.
"""

import logging

import numpy as np
from astropy.table import MaskedColumn, Table
from astropy.time import Time

from .columns import declared_kind
from .exceptions import ProtocolError
from .pages import parse_page

__all__ = ["build_table", "decode_table", "merge_parts", "to_time"]

log = logging.getLogger(__name__)

_DTYPES = {"int": np.int64, "float": np.float64, "bool": bool}
_FILL = {"int": 0, "float": np.nan, "bool": False, "str": ""}


def _target_kind(kinds, declared, hint=None):
    """
    The kind every slice is cast to: the widest kind seen, else the declared type.

    The answer's own ``declared`` type decides an all-null column; the columns
    config's ``hint`` only when the answer declares no type mastq knows.
    """
    kinds = set(kinds) - {"null"}
    if not kinds:
        kind = declared_kind(declared) or declared_kind(hint) or "str"
        return "str" if kind == "time" else kind
    if len(kinds) == 1:
        return kinds.pop()
    if "str" in kinds:
        return "str"
    if "float" in kinds:
        return "float"
    return "int"


def _cast(part, kind, text_dtype):
    if part.kind == "null":
        dtype = text_dtype if kind == "str" else _DTYPES[kind]
        return np.full(part.length, _FILL[kind], dtype=dtype), np.ones(part.length, bool)
    if part.kind == kind:
        return part.values, part.mask
    if kind == "str":
        return part.values.astype(text_dtype), part.mask
    return part.values.astype(_DTYPES[kind]), part.mask


def merge_parts(parts, declared, *, hint=None):
    """
    Concatenate the slices of one column into (values, mask, kind).

    Parameters
    ----------
    parts : sequence of mastq.pages.ColumnData
        The column's slices, in row order.
    declared : str
        The declared type, used when every slice is null.
    hint : str, optional
        The columns config's ``vot.datatype``, used when every slice is null and
        ``declared`` is not a type mastq knows.

    Returns
    -------
    values : numpy.ndarray
    mask : numpy.ndarray or None
        True at nulls; None when nothing is null.
    kind : str
    """
    kind = _target_kind((p.kind for p in parts), declared, hint)
    bytes_text = any(p.kind == "str" and p.values.dtype.kind == "S" for p in parts)
    text_dtype = "S" if bytes_text else "U"  # bytes only when the parser was asked for them
    if not parts:
        return np.zeros(0, dtype=text_dtype if kind == "str" else _DTYPES[kind]), None, kind
    cast = [_cast(p, kind, text_dtype) for p in parts]
    values = cast[0][0] if len(cast) == 1 else np.concatenate([v for v, _ in cast])
    if all(m is None for _, m in cast):
        return values, None, kind
    mask = np.concatenate([np.zeros(len(v), bool) if m is None else m for v, m in cast])
    return values, mask, kind


def _sentinel_mask(values, kind, ignore_value):
    if ignore_value is None or kind == "bool":
        return None
    try:
        target = str(ignore_value) if kind == "str" else float(ignore_value)
    except (TypeError, ValueError):
        return None
    if values.dtype.kind == "S":
        target = target.encode()
    hits = values == target
    return hits if hits.any() else None


def _make_column(name, values, mask, kind, info):
    if info is not None:
        extra = _sentinel_mask(values, kind, info.ignore_value)
        if extra is not None:
            mask = extra if mask is None else (mask | extra)
    meta = {}
    unit = None
    if info is not None:
        meta = {
            k: v
            for k, v in (("ucd", info.ucd), ("label", info.label), ("mast_unit", info.unit_string))
            if v
        }
        unit = info.unit if kind in ("int", "float") else None
    column = MaskedColumn(
        values,
        name=name,
        mask=False if mask is None else mask,
        unit=unit,
        description=info.description if info is not None else None,
        meta=meta,
        copy=False,
    )
    if kind == "float":
        column.fill_value = np.nan  # .filled() gives NaN, as astroquery's float columns
    return column


def build_table(pages, *, columns_config=None, times=False, meta=None):
    """
    Assemble decoded pages into one table.

    Parameters
    ----------
    pages : sequence of mastq.pages.Page
        The COMPLETE pages of one result, in order.
    columns_config : mastq.columns.ColumnsConfig, optional
        Units, descriptions, UCDs and null sentinels of the columns.
    times : bool, optional
        Turn MJD and date columns (``isMjd``/``isDate`` in the config) into `Time`.
    meta : dict, optional
        Put in ``table.meta``.

    Returns
    -------
    astropy.table.Table
        One `MaskedColumn` per declared field (``_selected_`` dropped), nulls masked.

    Examples
    --------
    >>> body = (b'{"status": "COMPLETE", "msg": "", "fields": [{"name": "obsid", "type": "string"},'
    ...         b' {"name": "s_ra", "type": "float"}, {"name": "t_min", "type": "float"}],'
    ...         b' "data": [{"obsid": "2003585980", "s_ra": 210.8, "t_min": 58000.5},'
    ...         b' {"obsid": "2003585981", "s_ra": null, "t_min": null}],'
    ...         b' "paging": {"page": 1, "pageSize": 2, "rows": 2, "pagesFiltered": 1,'
    ...         b' "rowsFiltered": 2, "rowsTotal": 2}}')
    >>> from mastq.columns import ColumnsConfig
    >>> config = ColumnsConfig({"s_ra": {"vot.unit": "deg", "vot.datatype": "double"},
    ...                         "t_min": {"vot.unit": "d", "isMjd": True}})
    >>> from mastq.pages import parse_page
    >>> table = build_table([parse_page(body)], columns_config=config)
    >>> len(table), table["s_ra"].unit
    (2, Unit("deg"))
    """
    pages = list(pages)
    fields = pages[0].fields if pages else ()
    config = columns_config or {}
    columns = []
    for name, declared in fields:
        parts = [part for page in pages for part in page.columns.get(name, ())]
        info = config.get(name)
        values, mask, kind = merge_parts(
            parts, declared, hint=info.datatype if info is not None else None
        )
        columns.append(_make_column(name, values, mask, kind, info))
    table = Table(columns, copy=False, meta=dict(meta or {}))
    if times and columns_config is not None:
        to_time(table, columns_config)
    return table


def _time_of(col, info):
    mask = np.asarray(col.mask) if np.any(col.mask) else None
    if info.is_mjd and col.dtype.kind in "if":
        data = np.asarray(col, dtype=float)
        values = np.ma.MaskedArray(
            np.where(mask, 0.0, data) if mask is not None else data,
            mask=mask if mask is not None else False,
        )
        return Time(values, format="mjd", scale="utc")
    if info.is_date and col.dtype.kind in "US":
        data = np.asarray(col).astype(str)
        if mask is not None:
            data = np.where(mask, "2000-01-01T00:00:00", data)
        time = Time(np.char.replace(data, " ", "T"), format="isot", scale="utc")
        if mask is not None:
            time[mask] = np.ma.masked
        return time
    return None


def to_time(table, columns_config, *, names=None):
    """
    Replace the MJD and date columns of ``table`` by `~astropy.time.Time` columns, in place.

    Parameters
    ----------
    table : astropy.table.Table
        A table made by `build_table`.
    columns_config : mastq.columns.ColumnsConfig
        Says which columns are MJD (``isMjd``) or dates (``isDate``).
    names : iterable of str, optional
        Only these columns (default: every flagged column present).

    Returns
    -------
    list of str
        The names of the columns converted.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from mastq.columns import ColumnsConfig
    >>> table = Table({"t_min": [58000.5, 58001.0]}, masked=True)  # as build_table makes
    >>> to_time(table, ColumnsConfig({"t_min": {"isMjd": True}}))
    ['t_min']
    >>> table["t_min"].iso.tolist()
    ['2017-09-04 12:00:00.000', '2017-09-05 00:00:00.000']
    """
    done = []
    for name in list(names if names is not None else table.colnames):
        info = columns_config.get(name)
        if info is None or name not in table.colnames:
            continue
        try:
            time = _time_of(table[name], info)
        except ValueError as exc:
            log.warning(
                "column %s is flagged as a date but could not be read as one: %s", name, exc
            )
            continue
        if time is not None:
            time.info.description = table[name].info.description
            table.replace_column(name, time)
            done.append(name)
    return done


def decode_table(body, *, fmt="json", columns_config=None, times=False, text="str"):
    """
    Decode one COMPLETE answer body of any format straight into a table.

    Parameters
    ----------
    body : bytes
        The answer body.
    fmt : {'json', 'extjs', 'csv', 'votable'}, optional
        The body's format (``json`` by default).
    columns_config : mastq.columns.ColumnsConfig, optional
        Column metadata (units, descriptions, sentinels).
    times : bool, optional
        Turn MJD/date columns into `Time`.
    text : {'str', 'bytes'}, optional
        Text columns as numpy ``U`` (default, as astroquery's) or UTF-8 ``S`` (opt-in,
        a quarter of the memory).

    Returns
    -------
    astropy.table.Table

    Raises
    ------
    mastq.exceptions.ProtocolError
        If the body is not a COMPLETE answer of that format.

    Examples
    --------
    >>> body = (b'{"status": "COMPLETE", "msg": "", "fields": [{"name": "obsid", "type": "string"},'
    ...         b' {"name": "s_ra", "type": "float"}, {"name": "t_min", "type": "float"}],'
    ...         b' "data": [{"obsid": "2003585980", "s_ra": 210.8, "t_min": 58000.5},'
    ...         b' {"obsid": "2003585981", "s_ra": null, "t_min": null}],'
    ...         b' "paging": {"page": 1, "pageSize": 2, "rows": 2, "pagesFiltered": 1,'
    ...         b' "rowsFiltered": 2, "rowsTotal": 2}}')
    >>> from mastq.columns import ColumnsConfig
    >>> config = ColumnsConfig({"s_ra": {"vot.unit": "deg", "vot.datatype": "double"},
    ...                         "t_min": {"vot.unit": "d", "isMjd": True}})
    >>> table = decode_table(body, columns_config=config, times=True)
    >>> table["s_ra"].unit, table["s_ra"].mask.tolist(), table["obsid"].tolist()
    (Unit("deg"), [False, True], ['2003585980', '2003585981'])
    >>> table["t_min"][0]
    <Time object: scale='utc' format='mjd' value=58000.5>
    """
    page = parse_page(body, fmt=fmt, text=text)
    if page.status != "COMPLETE":
        raise ProtocolError(
            f"expected a COMPLETE answer, got status {page.status!r}", server_message=page.msg
        )
    meta = {"paging": dict(page.paging)}
    return build_table([page], columns_config=columns_config, times=times, meta=meta)
