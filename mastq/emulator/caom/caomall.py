"""
``Mast.Caom.All`` (no rows, a histogram per column) and ``Mast.Missions.List``.

The histograms are computed from the archive, in the shapes of the recorded
``missions.extjs``: a discrete column's ``histObj`` holds ``hist`` (a list of
``{count, key}``) plus one entry per key; a numeric column's holds ``hist`` (145 bins of
``{key: lower edge, count}``), ``min``, ``max`` and ``type: "numeric"``.
"""

import numpy as np

from mastq.emulator.caom.caomtext import MISSION_NAMES
from mastq.emulator.caom.observations import CONE_FIELDS
from mastq.emulator.model import Field, TableResult
from mastq.emulator.services.registry import service

__all__ = ["caom_all", "missions_list", "ALL_FIELDS", "NUMERIC_BINS"]

ALL_FIELDS = tuple(f for f in CONE_FIELDS if f.name not in ("distance", "obs_title"))
"""Fields of ``Mast.Caom.All``: today's Cone fields without ``distance`` and ``obs_title``, as
the recorded ``missions.extjs`` leaves those two out of its (older) Cone fields."""

NUMERIC_BINS = 145
_DISCRETE = (
    "dataproduct_type",
    "obs_collection",
    "instrument_name",
    "project",
    "filters",
    "wavelength_region",
    "target_classification",
    "calib_level",
    "intentType",
    "provenance_name",
    "proposal_type",
    "dataRights",
)
_NUMERIC = (
    "s_ra",
    "s_dec",
    "t_min",
    "t_max",
    "t_exptime",
    "em_min",
    "em_max",
    "t_obs_release",
    "srcDen",
)


def _discrete_hist(column):
    """histObj of a Categorical (codes into a vocabulary) or an integer array."""
    if hasattr(column, "codes"):
        counts = np.bincount(column.codes + 1, minlength=len(column.categories) + 1)
        keys = [""] + [str(c) for c in column.categories]
    else:
        values, counts = np.unique(column, return_counts=True)
        keys = [str(v) for v in values.tolist()]
    totals = {}
    for key, count in zip(keys, counts.tolist(), strict=True):
        if count:
            totals[key] = totals.get(key, 0) + count
    hist = [{"count": count, "key": key} for key, count in totals.items()]
    return {"hist": hist, **{entry["key"]: entry for entry in hist}}


def _numeric_hist(values):
    values = np.ma.compressed(np.ma.masked_invalid(values))
    if len(values) == 0:
        return {"hist": [], "min": 0, "max": 0, "type": "numeric"}
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=NUMERIC_BINS, range=(low, max(high, low + 1e-9)))
    hist = [{"key": float(k), "count": int(c)} for k, c in zip(edges[:-1], counts, strict=True)]
    return {"hist": hist, "min": low, "max": high, "type": "numeric"}


@service("Mast.Caom.All")
def caom_all(params, archive):
    """
    ``Mast.Caom.All``: zero rows, CAOM fields, each column's histogram.

    Parameters
    ----------
    params : dict
        Ignored (the service takes none).
    archive : mastq.emulator.caom.archive.Archive
        The archive to describe.

    Returns
    -------
    mastq.emulator.model.TableResult
        No rows; ``column_properties`` maps column -> ``{"histObj": ...}``.
    """
    columns = archive.observations.filter_columns()
    properties = {name: {"histObj": _discrete_hist(columns[name])} for name in _DISCRETE}
    properties.update({name: {"histObj": _numeric_hist(columns[name])} for name in _NUMERIC})
    empty = {f.name: np.array([]) for f in ALL_FIELDS}
    return TableResult.from_arrays(ALL_FIELDS, empty, column_properties=properties)


@service("Mast.Missions.List")
def missions_list(params, archive):
    """
    ``Mast.Missions.List``: one row per mission of the archive, ``distinctValue``.

    Parameters
    ----------
    params : dict
        Ignored (the service takes none).
    archive : mastq.emulator.caom.archive.Archive
        The archive.

    Returns
    -------
    mastq.emulator.model.TableResult
    """
    present = np.unique(archive.observations.mission)
    names = sorted(MISSION_NAMES[m] for m in present)
    return TableResult.from_arrays(
        (Field("distinctValue", "string"),), {"distinctValue": np.array(names)}
    )
