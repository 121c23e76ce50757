"""
The services of the local MAST: ``run_service(service, params, archive)``.

CAOM and name services are answered here; any other service is offered to the archive's
catalogs (``archive.catalogs.handle``), and is unknown when they decline it.  Every
service validates its parameters and raises `~mastq.emulator.model.ServiceError` naming
the one that is missing or invalid.
"""

import logging

import numpy as np

from mastq.emulator import caomall
from mastq.emulator.archive import observation_table
from mastq.emulator.caom import CONE_FIELDS, FILTERED_FIELDS, POSITION_FIELDS, SEPARATORS
from mastq.emulator.filters import filter_mask, select_columns
from mastq.emulator.model import Field, ServiceError, TableResult
from mastq.emulator.names import name_lookup
from mastq.emulator.products import PRODUCT_FIELDS, product_rows
from mastq.emulator.sky import cone_select, parse_cone, parse_position

__all__ = ["run_service", "SERVICES"]

log = logging.getLogger(__name__)
_COUNT_FIELDS = (Field("Column1", "string"),)


def _params(params, service):
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ServiceError(f"{service}: 'params' must be an object, got {params!r}")
    return params


def caom_cone(params, archive):
    """``Mast.Caom.Cone`` {ra, dec, radius}: observations sorted by distance (arcsec)."""
    obs = archive.observations
    ra, dec, radius = parse_cone(params, service="Mast.Caom.Cone")
    rows, distance = cone_select(obs.s_ra, obs.s_dec, ra, dec, radius)
    return observation_table(obs, rows, CONE_FIELDS, extra={"distance": distance})


def _count(n):
    return TableResult.from_arrays(_COUNT_FIELDS, {"Column1": np.array([n], dtype=np.int64)})


def _split_distance(filters):
    """The filters on ``distance`` (known only once a position is searched) and the others."""
    if not isinstance(filters, (list, tuple)):
        return [], filters

    def on_distance(item):
        return isinstance(item, dict) and str(item.get("paramName")).strip().lower() == "distance"

    return ([f for f in filters if on_distance(f)],
            [f for f in filters if not on_distance(f)])


def _filtered_rows(params, archive, service):
    """The rows passing the filters, and the filters on ``distance`` (not yet applied)."""
    obs = archive.observations
    if "filters" not in params:
        raise ServiceError(f"{service}: missing required parameter 'filters' (a list of "
                           "{paramName, values} objects, possibly empty)")
    on_distance, others = _split_distance(params["filters"])
    mask = filter_mask(others, obs.filter_columns(), nrows=obs.nrows, separators=SEPARATORS)
    return mask, on_distance


def _columns(params, service, fields):
    if "columns" not in params:
        raise ServiceError(f"{service}: missing required parameter 'columns' "
                           "(\"*\", \"COUNT_BIG(*)\" or a comma-separated list)")
    chosen = select_columns(params["columns"], [f.name for f in fields], service=service)
    if chosen == "COUNT":
        return chosen
    by_name = {f.name: f for f in fields}
    return tuple(by_name[name] for name in chosen)


def caom_filtered(params, archive):
    """``Mast.Caom.Filtered`` {columns, filters}: observations matching every filter."""
    service = "Mast.Caom.Filtered"
    fields = _columns(params, service, FILTERED_FIELDS)
    mask, on_distance = _filtered_rows(params, archive, service)
    if on_distance:
        raise ServiceError(f"{service}: a filter on 'distance' needs a position "
                           "(use Mast.Caom.Filtered.Position)")
    rows = np.flatnonzero(mask)
    if fields == "COUNT":
        return _count(len(rows))
    return observation_table(archive.observations, rows, fields)


def caom_filtered_position(params, archive):
    """``Mast.Caom.Filtered.Position`` {columns, filters, position}: + ``distance``."""
    service = "Mast.Caom.Filtered.Position"
    obs = archive.observations
    fields = _columns(params, service, POSITION_FIELDS)
    ra, dec, radius = parse_position(params.get("position"), service=service)
    mask, on_distance = _filtered_rows(params, archive, service)
    rows, distance = cone_select(obs.s_ra, obs.s_dec, ra, dec, radius)
    keep = mask[rows] & filter_mask(on_distance, {"distance": distance}, nrows=len(rows))
    rows, distance = rows[keep], distance[keep]
    if fields == "COUNT":
        return _count(len(rows))
    if "distance" not in {f.name for f in fields}:
        fields = fields + (Field("distance", "float"),)
    return observation_table(obs, rows, fields, extra={"distance": distance})


def _obsids(value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = str(int(value))
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = [str(p).strip() for p in value]
    else:
        parts = None
    if not parts or not all(p.lstrip("-").isdigit() for p in parts):
        raise ServiceError("Mast.Caom.Products: parameter 'obsid' must be one or more integer "
                           f"observation ids, comma-separated (\"id1,id2\"), got {value!r}")
    ids = [int(p) if len(p) <= 20 else 2**63 for p in parts]
    if not all(-2**63 <= i < 2**63 for i in ids):
        raise ServiceError("Mast.Caom.Products: parameter 'obsid' holds an id outside the "
                           f"64-bit range of observation ids, got {value!r}")
    return ids


def caom_products(params, archive):
    """``Mast.Caom.Products`` {obsid: "id1,id2"}: products of the observations, in order."""
    if "obsid" not in params:
        raise ServiceError("Mast.Caom.Products: missing required parameter 'obsid' "
                           "(comma-separated observation ids)")
    ids = np.array(_obsids(params["obsid"]), dtype=np.int64)
    rows = archive.observations.row_of_obsid(ids)
    rows = rows[rows >= 0]
    _, first = np.unique(rows, return_index=True)
    rows = rows[np.sort(first)]
    return TableResult.from_arrays(PRODUCT_FIELDS, product_rows(archive.observations, rows),
                                   cost=len(rows) * 1e-5)


_BY_NAME = {
    "Mast.Name.Lookup": name_lookup,
    "Mast.Caom.Cone": caom_cone,
    "Mast.Caom.Filtered": caom_filtered,
    "Mast.Caom.Filtered.Position": caom_filtered_position,
    "Mast.Caom.Products": caom_products,
    "Mast.Caom.All": caomall.caom_all,
    "Mast.Missions.List": caomall.missions_list,
}
SERVICES = {name.lower(): function for name, function in _BY_NAME.items()}
"""The services answered by the archive itself (lower-case name -> function)."""


def run_service(service, params, archive):
    """
    Run one service of the local MAST.

    Parameters
    ----------
    service : str
        The service name (``"Mast.Caom.Cone"``...), case-insensitive.
    params : dict
        Its parameters.
    archive : mastq.emulator.archive.Archive
        The archive to query.

    Returns
    -------
    mastq.emulator.model.TableResult or mastq.emulator.model.DocumentResult

    Raises
    ------
    mastq.emulator.model.ServiceError
        For an unknown service, or missing/invalid parameters (naming them).
    """
    if not isinstance(service, str) or not service.strip():
        raise ServiceError(f"'service' must be a service name such as 'Mast.Caom.Cone', "
                           f"got {service!r}")
    params = _params(params, service)
    function = SERVICES.get(service.strip().lower())
    if function is not None:
        log.debug("running %s", service)
        return function(params, archive)
    catalogs = getattr(archive, "catalogs", None)
    result = None if catalogs is None else catalogs.handle(service, params)
    if result is None:
        raise ServiceError(f"Unknown service: {service!r}; known services include "
                           f"{', '.join(_BY_NAME)} and the Mast.Catalogs.* family "
                           f"(Tic, Ctl, GaiaDR3 and added collections)")
    return result
