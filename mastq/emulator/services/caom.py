"""
The CAOM services of the local MAST: cone, filtered (with and without a position), products.

Each registers itself in `mastq.emulator.services.registry`.  Every service validates its
parameters and raises `~mastq.emulator.model.ServiceError` naming the one that is missing
or invalid.
"""

import numpy as np

from mastq.emulator.caom.archive import observation_table
from mastq.emulator.caom.observations import (
    CONE_FIELDS,
    FILTERED_FIELDS,
    POSITION_FIELDS,
    SEPARATORS,
)
from mastq.emulator.caom.products import PRODUCT_FIELDS, product_rows
from mastq.emulator.model import Field, ServiceError, TableResult
from mastq.emulator.services.filters import filter_mask, select_columns
from mastq.emulator.services.registry import service
from mastq.emulator.services.sky import cone_select, parse_cone, parse_position

__all__ = ["caom_cone", "caom_filtered", "caom_filtered_position", "caom_products"]
_COUNT_FIELDS = (Field("Column1", "string"),)


@service("Mast.Caom.Cone")
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

    return ([f for f in filters if on_distance(f)], [f for f in filters if not on_distance(f)])


def _filtered_rows(params, archive, service):
    """The rows passing the filters, and the filters on ``distance`` (not yet applied)."""
    obs = archive.observations
    if "filters" not in params:
        raise ServiceError(
            f"{service}: missing required parameter 'filters' (a list of "
            "{paramName, values} objects, possibly empty)"
        )
    on_distance, others = _split_distance(params["filters"])
    mask = filter_mask(others, obs.filter_columns(), nrows=obs.nrows, separators=SEPARATORS)
    return mask, on_distance


def _columns(params, service, fields):
    if "columns" not in params:
        raise ServiceError(
            f"{service}: missing required parameter 'columns' "
            '("*", "COUNT_BIG(*)" or a comma-separated list)'
        )
    chosen = select_columns(params["columns"], [f.name for f in fields], service=service)
    if chosen == "COUNT":
        return chosen
    by_name = {f.name: f for f in fields}
    return tuple(by_name[name] for name in chosen)


@service("Mast.Caom.Filtered")
def caom_filtered(params, archive):
    """``Mast.Caom.Filtered`` {columns, filters}: observations matching every filter."""
    service = "Mast.Caom.Filtered"
    fields = _columns(params, service, FILTERED_FIELDS)
    mask, on_distance = _filtered_rows(params, archive, service)
    if on_distance:
        raise ServiceError(
            f"{service}: a filter on 'distance' needs a position (use Mast.Caom.Filtered.Position)"
        )
    rows = np.flatnonzero(mask)
    if fields == "COUNT":
        return _count(len(rows))
    return observation_table(archive.observations, rows, fields)


@service("Mast.Caom.Filtered.Position")
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
        raise ServiceError(
            "Mast.Caom.Products: parameter 'obsid' must be one or more integer "
            f'observation ids, comma-separated ("id1,id2"), got {value!r}'
        )
    ids = [int(p) if len(p) <= 20 else 2**63 for p in parts]
    if not all(-(2**63) <= i < 2**63 for i in ids):
        raise ServiceError(
            "Mast.Caom.Products: parameter 'obsid' holds an id outside the "
            f"64-bit range of observation ids, got {value!r}"
        )
    return ids


@service("Mast.Caom.Products")
def caom_products(params, archive):
    """``Mast.Caom.Products`` {obsid: "id1,id2"}: products of the observations, in order."""
    if "obsid" not in params:
        raise ServiceError(
            "Mast.Caom.Products: missing required parameter 'obsid' "
            "(comma-separated observation ids)"
        )
    ids = np.array(_obsids(params["obsid"]), dtype=np.int64)
    rows = archive.observations.row_of_obsid(ids)
    rows = rows[rows >= 0]
    _, first = np.unique(rows, return_index=True)
    rows = rows[np.sort(first)]
    return TableResult.from_arrays(
        PRODUCT_FIELDS, product_rows(archive.observations, rows), cost=len(rows) * 1e-5
    )
