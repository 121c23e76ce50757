"""
The crossmatch services of the local MAST: ``Mast.<Catalog>.Crossmatch``.

A crossmatch takes the user's positions as the request's top-level ``data`` (the json
result shape ``{"fields": [{"name", "type"}...], "data": [{name: value}...]}``) and the
params ``{raColumn, decColumn, radius}`` (radius in degrees), and answers one row per
(user row, catalog row) pair closer than ``radius``: the user's columns as sent, then the
catalog's columns (one named like a user column is sent as ``match_<name>``), then
``dstArcSec``, the separation in arcsec.  Rows come in the user's row order, nearest
match first; a user row without a match sends no row.

Served for CAOM observations (``Mast.Caom.Crossmatch``) and the catalogs the local MAST
has (`CATALOG_CROSSMATCH`).  Positions are found through a declination-sorted index of
each catalog, so 10,000 positions against a million stars take a fraction of a second.
"""

import functools
import threading
import weakref

import numpy as np

from mastq.emulator.caom.archive import observation_table
from mastq.emulator.caom.observations import OBSERVATION_FIELDS
from mastq.emulator.model import Field, ServiceError, TableResult
from mastq.emulator.services.registry import SERVICES, Service, service
from mastq.emulator.services.sky import cone_select, parse_angle

__all__ = [
    "CATALOG_CROSSMATCH",
    "read_upload",
    "match_positions",
    "caom_crossmatch",
    "catalog_crossmatch",
]

CATALOG_CROSSMATCH = {
    "Mast.Tic.Crossmatch": "Tic",
    "Mast.Ctl.Crossmatch": "Ctl",
    "Mast.GaiaDR3.Crossmatch": "GaiaDR3",
    "Mast.Galex.Crossmatch": "Galex",
    "Mast.Hsc.Crossmatch": "HscV3",
}
"""Crossmatch service -> the catalog it matches against."""

DISTANCE = "dstArcSec"
"""The separation column of a crossmatch answer (arcsec)."""

_DTYPES = {"float": np.float64, "int": np.int64, "boolean": bool}
_INDEXES = {}  # id(declinations) -> (weakref to them, sort order, sorted values)
_INDEX_LOCK = threading.Lock()


def read_upload(params, *, service):
    """
    The user's table of a crossmatch, and its position columns.

    Parameters
    ----------
    params : dict
        The service params, with the request's ``data`` under ``"data"``.
    service : str
        The service name, for error messages.

    Returns
    -------
    fields : tuple of Field
        The user's columns.
    columns : dict
        Column name -> numpy array.
    ra, dec : numpy.ndarray of float
        The positions (degrees).
    radius : float
        Degrees.

    Raises
    ------
    mastq.emulator.model.ServiceError
        Naming what is missing or invalid.
    """
    data = params.get("data")
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("fields"), list)
        or not isinstance(data.get("data"), list)
    ):
        raise ServiceError(
            f"{service}: missing the table to match: send it as the request's "
            '\'data\' property, {"fields": [...], "data": [...]}'
        )
    try:
        fields = tuple(Field(str(f["name"]), str(f.get("type", "string"))) for f in data["fields"])
    except (TypeError, KeyError):
        raise ServiceError(
            f'{service}: \'data.fields\' must be a list of {{"name", "type"}} objects'
        ) from None
    names = [f.name for f in fields]
    ra_name, dec_name = (
        _column_param(params, key, names, service) for key in ("raColumn", "decColumn")
    )
    radius = parse_angle(params.get("radius"), name="radius", service=service, low=0.0, high=1.0)
    columns = {f.name: _column(data["data"], f, service) for f in fields}
    ra, dec = (np.asarray(columns[name], dtype=np.float64) for name in (ra_name, dec_name))
    if not (np.isfinite(ra).all() and np.isfinite(dec).all()) or (np.abs(dec) > 90).any():
        raise ServiceError(
            f"{service}: every {ra_name!r}/{dec_name!r} must be a position in degrees"
        )
    return fields, columns, ra % 360.0, dec, radius


def _column_param(params, key, names, service):
    value = params.get(key)
    if value not in names:
        raise ServiceError(
            f"{service}: parameter {key!r} must name a column of the uploaded "
            f"data ({', '.join(names)}), got {value!r}"
        )
    return value


def _column(rows, fld, service):
    try:
        values = [row.get(fld.name) for row in rows]
    except AttributeError:
        raise ServiceError(f"{service}: 'data.data' must be a list of row objects") from None
    dtype = _DTYPES.get(fld.type)
    if dtype is None:
        return np.array(values, dtype=object)
    try:
        return (
            np.array([np.nan if v is None else v for v in values], dtype=np.float64)
            if dtype is np.float64
            else np.array(values, dtype=dtype)
        )
    except (TypeError, ValueError):
        raise ServiceError(
            f"{service}: column {fld.name!r} of the uploaded data must hold {fld.type} values"
        ) from None


def _dec_index(dec):
    """A catalog's rows sorted by declination (built once per declination array)."""
    with _INDEX_LOCK:
        held = _INDEXES.get(id(dec))
        if held is None or held[0]() is not dec:
            order = np.argsort(dec, kind="stable")
            held = _INDEXES[id(dec)] = (weakref.ref(dec), order, dec[order])
            for key in [k for k, v in _INDEXES.items() if v[0]() is None]:
                del _INDEXES[key]
    return held[1], held[2]


def match_positions(cat_ra, cat_dec, ra, dec, radius):
    """
    Every (position, catalog row) pair closer than ``radius``.

    Parameters
    ----------
    cat_ra, cat_dec : numpy.ndarray of float
        The catalog positions (degrees).
    ra, dec : numpy.ndarray of float
        The user's positions (degrees).
    radius : float
        Degrees.

    Returns
    -------
    user, row : numpy.ndarray of int64
        The pairs, in user order, nearest first for each user row.
    distance : numpy.ndarray of float64
        Their separations (arcsec).
    """
    order, sorted_dec = _dec_index(cat_dec)
    user, rows, distance = [], [], []
    for i, (ra0, dec0) in enumerate(zip(ra, dec, strict=True)):
        lo, hi = np.searchsorted(sorted_dec, [dec0 - radius - 1e-9, dec0 + radius + 1e-9])
        band = order[lo:hi]
        found, sep = cone_select(cat_ra[band], cat_dec[band], ra0, dec0, radius)
        user.append(np.full(len(found), i, dtype=np.int64))
        rows.append(band[found])
        distance.append(sep)
    if not user:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return np.concatenate(user), np.concatenate(rows).astype(np.int64), np.concatenate(distance)


def _joined(user_fields, user_columns, user, matched, distance):
    """The crossmatch answer: user columns, catalog columns (``matched``), ``dstArcSec``."""
    taken = {f.name for f in user_fields}
    renamed = {f.name: f"match_{f.name}" if f.name in taken else f.name for f in matched.fields}
    fields = (
        user_fields
        + tuple(Field(renamed[f.name], f.type) for f in matched.fields)
        + (Field(DISTANCE, "float"),)
    )

    def make_chunk(start, stop):
        rows = user[start:stop]
        chunk = {f.name: user_columns[f.name][rows] for f in user_fields}
        part = matched.make_chunk(start, stop)
        chunk.update({renamed[name]: values for name, values in part.items()})
        chunk[DISTANCE] = distance[start:stop]
        return chunk

    return TableResult(fields=fields, nrows=len(user), make_chunk=make_chunk, cost=matched.cost)


@service("Mast.Caom.Crossmatch")
def caom_crossmatch(params, archive):
    """``Mast.Caom.Crossmatch``: the user's positions matched to CAOM observations."""
    fields, columns, ra, dec, radius = read_upload(params, service="Mast.Caom.Crossmatch")
    obs = archive.observations
    user, rows, distance = match_positions(obs.s_ra, obs.s_dec, ra, dec, radius)
    matched = observation_table(obs, rows, OBSERVATION_FIELDS)
    return _joined(fields, columns, user, matched, distance)


def catalog_crossmatch(service_name, catalog, params, archive):
    """``Mast.<Catalog>.Crossmatch``: the user's positions matched to a catalog's rows."""
    fields, columns, ra, dec, radius = read_upload(params, service=service_name)
    table = getattr(archive, "catalogs", archive).table(catalog)
    user, rows, distance = match_positions(table.ra, table.dec, ra, dec, radius)
    return _joined(fields, columns, user, table.result(rows), distance)


for _name, _catalog in CATALOG_CROSSMATCH.items():
    SERVICES.add(
        Service(_name, functools.partial(catalog_crossmatch, _name, _catalog), catalog=_catalog)
    )
