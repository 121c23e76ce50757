"""
MAST's server-side crossmatch: many positions against a catalog in a few requests.

``Mast.<Catalog>.Crossmatch`` takes ``{raColumn, decColumn, radius}`` (degrees) and the
positions as the request's top-level ``data``, a table in the json result shape
(``{"fields": [...], "data": [...]}``), and answers one row per (position, catalog row)
pair within the radius: the uploaded columns, the catalog's columns, and ``dstArcSec``.
Positions go up in chunks of ``conf.crossmatch_chunk`` rows, run concurrently through
`mastq.batch.run_calls`.

`crossmatch_chunks` serves the many-target cone searches of `mastq.batch`;
`crossmatch_table` serves `mastq.catalogs.CatalogsClass.crossmatch` (a user's own table).
"""

import logging

import astropy.units as u
import numpy as np
from astropy.table import MaskedColumn, Table, vstack

from .exceptions import InvalidQueryError, MastqError
from .inputs import parse_radius
from .settings import Settings

__all__ = ["DISTANCE", "MAX_RADIUS", "upload", "crossmatch_chunks", "crossmatch_table"]

log = logging.getLogger(__name__)

DISTANCE = "dstArcSec"
"""The separation column (arcsec) of a crossmatch answer."""

MAX_RADIUS = 1 * u.deg
"""The largest radius a crossmatch takes; many-target cones wider than it run one by one."""

_ROW = "_mastq_row"  # the uploaded row number, echoed back by MAST
_RA, _DEC = "_mastq_ra", "_mastq_dec"


def upload(rows, ra, dec):
    """
    The ``data`` property of a crossmatch: row numbers and positions, json result shape.

    Parameters
    ----------
    rows : array of int
    ra, dec : array of float
        Degrees.

    Returns
    -------
    dict
        ``{"fields": [...], "data": [{_mastq_row, _mastq_ra, _mastq_dec}...]}``.
    """
    fields = [
        {"name": _ROW, "type": "int"},
        {"name": _RA, "type": "float"},
        {"name": _DEC, "type": "float"},
    ]
    data = [
        {_ROW: int(i), _RA: float(r), _DEC: float(d)} for i, r, d in zip(rows, ra, dec, strict=True)
    ]
    return {"fields": fields, "data": data}


def _calls(service, rows, ra, dec, radius, settings, options):
    """One `ServiceCall` per chunk of ``conf.crossmatch_chunk`` positions."""
    from .batch import ServiceCall

    size = settings.crossmatch_chunk
    params = {"raColumn": _RA, "decColumn": _DEC, "radius": float(radius)}
    return [
        ServiceCall(
            service,
            params,
            settings,
            dict(
                options, data=upload(rows[lo : lo + size], ra[lo : lo + size], dec[lo : lo + size])
            ),
        )
        for lo in range(0, len(rows), size)
    ]


def _matches(client, service, rows, ra, dec, radius, *, settings, executor, progress, options):
    """Every chunk's answer: (list of tables, list of (chunk rows, error))."""
    from .batch import run_calls

    calls = _calls(service, rows, ra, dec, radius, settings, options)
    answers = run_calls(
        client, calls, executor=executor, settings=settings, desc=service, progress=progress
    )
    size = settings.crossmatch_chunk
    tables, errors = [], []
    for k, answer in enumerate(answers):
        if isinstance(answer, BaseException):
            if not isinstance(answer, (MastqError, OSError)):
                raise answer
            errors.append((rows[k * size : (k + 1) * size], answer))
        else:
            tables.append(answer)
    return tables, errors


def crossmatch_chunks(client, source, targets, *, settings, executor, progress, options):
    """
    Many-target cone searches by crossmatch, as `mastq.batch.query_many` wants them.

    Returns
    -------
    parts : list of (`~astropy.table.Table`, numpy.ndarray)
        The cone's columns (the separation named as the cone names it), and the target
        (position in ``targets``) of each row.
    failed : list of dict
        The targets of chunks that failed.
    """
    from .batch import _failure

    rows = np.arange(len(targets.ra))
    tables, errors = _matches(
        client,
        source.crossmatch_service,
        rows,
        targets.ra,
        targets.dec,
        targets.radius.max(),
        settings=settings,
        executor=executor,
        progress=progress,
        options=options,
    )
    parts = []
    for table in tables:
        which = np.asarray(table[_ROW], dtype=int)
        near = np.asarray(table[DISTANCE], dtype=float) <= targets.radius[which] * 3600 + 1e-9
        table = table[near]
        which = which[near]
        table.remove_columns([_ROW, _RA, _DEC])
        if source.distance != DISTANCE:
            table.rename_column(DISTANCE, source.distance)
        parts.append((table, which))
    failed = [_failure(targets, int(i), error) for chunk, error in errors for i in chunk]
    return parts, failed


def crossmatch_table(
    client, table, *, service, radius, ra_col, dec_col, nearest, executor=None, progress=None
):
    """
    A user's table crossmatched server-side: every input row kept.

    Parameters
    ----------
    client : mastq.services.ServiceClient
    table : `~astropy.table.Table`
    service : str
        ``Mast.<Catalog>.Crossmatch``.
    radius : `~astropy.units.Quantity` or float
        Degrees when a bare number.
    ra_col, dec_col : str
        The position columns of ``table`` (degrees, or angular quantities).
    nearest : bool
        Keep only the nearest match of each row.
    executor, progress
        See `mastq.batch.run_calls`.

    Returns
    -------
    `~astropy.table.Table`
        ``table``'s columns, the catalog's (masked where nothing matched; a name taken by
        ``table`` gets the suffix ``_match``), and ``separation`` (arcsec); ``meta``
        adds ``service`` and ``server``.

    Raises
    ------
    InvalidQueryError
        If the table or its position columns are not valid.
    MastqError
        If a chunk of the crossmatch fails.
    """
    ra, dec = _positions(table, ra_col, dec_col)
    settings = Settings.current()
    tables, errors = _matches(
        client,
        service,
        np.arange(len(table)),
        ra,
        dec,
        parse_radius(radius).deg,
        settings=settings,
        executor=executor,
        progress=progress,
        options={},
    )
    if errors:
        raise errors[0][1]
    out = _joined(table, tables, nearest)
    answered = tables[0].meta if tables else {}
    out.meta.update(
        {k: answered[k] for k in ("server", "fetched", "from_cache") if k in answered},
        service=service,
    )
    return out


def _positions(table, ra_col, dec_col):
    if not isinstance(table, Table):
        raise InvalidQueryError(f"table must be an astropy Table, got {type(table).__name__}")
    values = []
    for name, col in (("ra_col", ra_col), ("dec_col", dec_col)):
        if col not in table.colnames:
            raise InvalidQueryError(
                f"{name}={col!r} is not a column of the table (columns: "
                f"{', '.join(table.colnames[:10])})"
            )
        column = table[col]
        try:
            degrees = (
                column.quantity.to_value(u.deg)
                if column.unit is not None
                else np.asarray(column, dtype=float)
            )
        except (TypeError, ValueError, u.UnitsError) as err:
            raise InvalidQueryError(
                f"{name}={col!r} must hold positions in degrees (or an "
                f"angular unit), got {column.dtype} in {column.unit}",
                cause=err,
            ) from err
        if np.ma.is_masked(column) or not np.isfinite(degrees).all():
            raise InvalidQueryError(
                f"{name}={col!r} must hold finite positions in degrees in every row"
            )
        values.append(np.asarray(degrees, dtype=float))
    if len(table) == 0:
        raise InvalidQueryError("table must have at least one row")
    return values


def _joined(table, tables, nearest):
    """``table`` left-joined to the matches (all, or the nearest of each row)."""
    matches = vstack(tables, metadata_conflicts="silent") if tables else Table()
    if len(matches):
        order = np.lexsort((np.asarray(matches[DISTANCE]), np.asarray(matches[_ROW])))
        matches = matches[order]
    row = np.asarray(matches[_ROW], dtype=int) if len(matches) else np.empty(0, int)
    if nearest and len(row):
        first = np.r_[True, row[1:] != row[:-1]]
        matches, row = matches[first], row[first]
    counts = np.bincount(row, minlength=len(table))
    slots = np.maximum(counts, 1)
    left = np.repeat(np.arange(len(table)), slots)
    right = np.full(len(left), -1)
    starts = np.r_[0, np.cumsum(slots)[:-1]]
    rank = np.arange(len(row)) - np.searchsorted(row, row)  # row is sorted
    right[starts[row] + rank] = np.arange(len(row))
    return _assembled(table, matches, left, right)


def _assembled(table, matches, left, right):
    out = Table(table[left], masked=False)
    out.meta.update(table.meta)
    missing = right < 0
    take = np.maximum(right, 0)
    for name in matches.colnames:
        if name in (_ROW, _RA, _DEC, DISTANCE):
            continue
        target = name[len("match_") :] if name.startswith("match_") else name
        target = target + "_match" if target in out.colnames else target
        out[target] = _taken(matches[name], take, missing)
    distance = matches[DISTANCE] if DISTANCE in matches.colnames else np.zeros(0)
    out["separation"] = _taken(MaskedColumn(distance, unit=u.arcsec), take, missing)
    out["separation"].unit = u.arcsec
    return out


def _taken(column, take, missing):
    """The rows ``take`` of a match column, masked where a row has no match."""
    if len(column) == 0:
        values = np.zeros(len(take), dtype=column.dtype)
        return MaskedColumn(values, mask=np.ones(len(take), bool), unit=column.unit)
    mask = missing | np.ma.getmaskarray(column)[take]
    values = np.asarray(column)[take]
    fill = np.nan if values.dtype.kind == "f" else None
    return MaskedColumn(
        values,
        mask=mask,
        unit=column.unit,
        fill_value=fill,
        description=getattr(column, "description", None),
    )
