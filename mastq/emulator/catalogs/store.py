"""
The star catalogs of the local MAST: TIC, CTL, Gaia DR3 and user collections.

`Catalogs` answers the ``Mast.Catalogs.*`` invoke services over deterministic generated
catalogs (see `mastq.emulator.catalogs.tic`, `mastq.emulator.catalogs.gaia`) and tables
users add:

- ``Mast.Catalogs.<Cat>.Cone`` {ra, dec, radius}: rows within the cone plus a last
  separation column (arcsec: ``dstArcSec`` for TIC and CTL, as MAST names it, else
  ``distance``), nearest first;
- ``Mast.Catalogs.Filtered.<Cat>[.Position][.Rows]`` {columns, filters[, ra, dec,
  radius]}: rows passing the filters (and within the cone, with the separation, for
  ``.Position``); ``columns: "COUNT_BIG(*)"`` counts them, except in ``.Rows`` variants;
- ``Mast.Catalogs.All.<Cat>`` {} (TIC and CTL): no rows, the histograms of every column in
  the extjs ``ExtendedProperties``.
"""

import copy
import json
import logging
import re
import threading
from importlib import resources

import numpy as np

from mastq.emulator.catalogs.gaia import (
    GAIA_LIMIT,
    build_gaia,
    gaia_columns_config,
    gaia_source_ids,
)
from mastq.emulator.catalogs.stars import make_population
from mastq.emulator.catalogs.table import count_result
from mastq.emulator.catalogs.tic import build_tic, ctl_of
from mastq.emulator.catalogs.user_collections import COLLECTION_NAME, build_collection
from mastq.emulator.model import ServiceError, TableResult
from mastq.emulator.services.filters import Categorical, filter_mask, select_columns
from mastq.emulator.services.sky import cone_select, parse_cone

__all__ = ["Catalogs", "STARS_PER_SCALE"]

log = logging.getLogger(__name__)

STARS_PER_SCALE = 50_000
"""Stars of the generated population at ``scale=1`` (TIC ~ 51,500 rows, Gaia ~ 48,000)."""
_CONE = re.compile(r"Mast\.Catalogs\.(\w+)\.Cone", re.IGNORECASE)
_FILTERED = re.compile(r"Mast\.Catalogs\.Filtered\.(\w+?)(\.Position)?(\.Rows)?", re.IGNORECASE)
_ALL = re.compile(r"Mast\.Catalogs\.All\.(\w+)", re.IGNORECASE)
# Columns the real Mast.Catalogs.All.Tic gives no histogram.
_TIC_NO_HISTOGRAM = frozenset({"version", "TWOMflag", "disposition", "e_ebv"})
_RESERVED = frozenset({"filtered", "all"})
_CTL_PRIORITY = {"text": "Priority", "vot.datatype": "double",
                 "vot.description": "CTL priority of the target (0 to 1)"}


def _tic_columns_config():
    text = resources.files("mastq.emulator").joinpath("data/tic_columns.json").read_text()
    return json.loads(text)


def _check_centres(centres):
    try:
        pairs = [(float(ra), float(dec)) for ra, dec in centres]
    except (TypeError, ValueError):
        raise ValueError(f"centres: expected a sequence of (ra, dec) pairs in degrees, "
                         f"got {centres!r}") from None
    if any(not (np.isfinite(ra) and -90.0 <= dec <= 90.0) for ra, dec in pairs):
        raise ValueError(f"centres: each (ra, dec) must be finite with dec in [-90, 90] "
                         f"degrees, got {pairs!r}")
    return tuple(pairs)


class Catalogs:
    """
    The ``Mast.Catalogs.*`` services of a local MAST.

    Parameters
    ----------
    seed : int, optional
        Seed of the generated catalogs (the same seed gives the same rows).
    scale : float, optional
        Size factor: ``scale=1`` makes 50,000 stars.
    centres : sequence of (float, float), optional
        ``(ra, dec)`` in degrees of well-known targets; 30% of the stars cluster around
        them (Gaussian, sigma 0.25 deg), the rest spread over the sphere.

    Raises
    ------
    ValueError
        If `seed`, `scale` or `centres` is not valid.
    """

    def __init__(self, *, seed=0, scale=1.0, centres=()):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        if not (isinstance(scale, (int, float)) and np.isfinite(scale) and scale > 0):
            raise ValueError(f"scale: expected a positive number, got {scale!r}")
        centres = _check_centres(centres)
        nstars = max(1, int(round(STARS_PER_SCALE * scale)))
        pop = make_population(np.random.default_rng([seed, 1]), nstars, centres=centres)
        in_gaia = pop.photometry()["G"] < GAIA_LIMIT
        source_ids = np.zeros(nstars, np.int64)
        source_ids[in_gaia] = gaia_source_ids(np.random.default_rng([seed, 2]),
                                              pop.ra[in_gaia], pop.dec[in_gaia])
        tic = build_tic(np.random.default_rng([seed, 3]), pop, source_ids, centres=centres)
        gaia = build_gaia(np.random.default_rng([seed, 4]), pop, source_ids)
        tic_config = _tic_columns_config()
        ctl_config = {**tic_config, "priority": dict(_CTL_PRIORITY)}
        self._builtin = {"tic": ("Tic", tic, tic_config), "ctl": ("Ctl", ctl_of(tic), ctl_config),
                         "gaiadr3": ("GaiaDR3", gaia, gaia_columns_config())}
        self._configs = {"mast.catalogs.tess.cone": tic_config}
        self._collections = {}
        self._lock = threading.Lock()
        log.debug("built catalogs: TIC %d rows, Gaia DR3 %d rows", tic.nrows, gaia.nrows)

    def table(self, name):
        """
        The catalog served under a name (``"Tic"``, ``"Ctl"``, ``"GaiaDR3"`` or a user's).

        Parameters
        ----------
        name : str
            The catalog name, case-insensitive.

        Returns
        -------
        CatalogTable or None
            None when no catalog has that name.
        """
        entry = self._entry(name)
        return None if entry is None else entry[1]

    def _entry(self, name):
        key = name.lower()
        with self._lock:
            return self._builtin.get(key) or self._collections.get(key)

    def handle(self, service, params):
        """
        Answer one ``Mast.Catalogs.*`` service request.

        Parameters
        ----------
        service : str
            The service name, e.g. ``"Mast.Catalogs.Filtered.Tic.Position.Rows"``.
        params : dict
            The request ``params``.

        Returns
        -------
        TableResult or None
            None when `service` is not a catalog service of a known catalog.

        Raises
        ------
        mastq.emulator.model.ServiceError
            Naming the missing or invalid parameter.
        """
        for pattern, method in ((_FILTERED, self._filtered), (_ALL, self._all),
                                (_CONE, self._cone)):
            match = pattern.fullmatch(service or "")
            if match is None:
                continue
            entry = self._entry(match.group(1))
            if entry is None:
                return None
            if not isinstance(params, dict):
                raise ServiceError(f"{service}: params must be an object, "
                                   f"got {type(params).__name__}")
            return method(service, params, entry[1], match)
        return None

    @staticmethod
    def _cone(service, params, table, match):
        ra, dec, radius = parse_cone(params, service=service)
        index, distance = cone_select(table.ra, table.dec, ra, dec, radius)
        return table.result(index, distance=distance)

    @staticmethod
    def _filtered(service, params, table, match):
        position, rows_only = bool(match.group(2)), bool(match.group(3))
        names = select_columns(params.get("columns"), table.names, service=service)
        if names == "COUNT" and rows_only:
            raise ServiceError(f"{service}: parameter 'columns' cannot be COUNT_BIG(*) in a "
                               ".Rows service; use the service without .Rows to count")
        if "filters" not in params:
            raise ServiceError(f"{service}: missing required parameter 'filters' "
                               "(a list of {paramName, values} objects, may be empty)")
        mask = filter_mask(params["filters"], table.filter_view(), nrows=table.nrows)
        distance = None
        if position:
            ra, dec, radius = parse_cone(params, service=service)
            index, distance = cone_select(table.ra, table.dec, ra, dec, radius)
            keep = mask[index]
            index, distance = index[keep], distance[keep]
        else:
            index = np.flatnonzero(mask)
        if names == "COUNT":
            return count_result(len(index))
        return table.result(index, names=names, distance=distance)

    @staticmethod
    def _all(service, params, table, match):
        exclude = _TIC_NO_HISTOGRAM if match.group(1).lower() in ("tic", "ctl") else ()
        return all_result(table, exclude=exclude)

    def columns_config(self, config_id):
        """
        The columns config (column metadata) of a catalog cone service.

        Parameters
        ----------
        config_id : str
            ``Mast.Catalogs.Tess.Cone`` or ``Mast.Catalogs.Tic.Cone`` (TIC),
            ``Mast.Catalogs.<Cat>.Cone`` for the other catalogs.

        Returns
        -------
        dict or None
            A new dict (column -> properties), None when the id is not a catalog's.
        """
        key = (config_id or "").lower()
        config = self._configs.get(key)
        match = _CONE.fullmatch(config_id or "")
        if config is None and match is not None:
            entry = self._entry(match.group(1))
            config = None if entry is None else entry[2]
        return None if config is None else copy.deepcopy(config)

    def add_collection(self, name, table):
        """
        Serve a user's table as ``Mast.Catalogs.<name>.Cone`` and ``Filtered.<name>[...]``.

        Parameters
        ----------
        name : str
            The collection name: a letter then letters, digits or ``_``; not a built-in
            catalog.  Adding a name again replaces the collection.
        table : astropy.table.Table
            The sources, with ``ra``/``dec`` (or ``RA``/``DEC``, ``s_ra``/``s_dec``) in
            degrees; masked values are served as null.

        Raises
        ------
        ValueError
            If `name` is not valid or taken by a built-in catalog, or `table` is not
            valid (see `mastq.emulator.catalogs.user_collections.build_collection`).
        """
        if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
            raise ValueError(f"name: expected a letter followed by letters, digits or '_', "
                             f"got {name!r}")
        if name.lower() in self._builtin or name.lower() in _RESERVED:
            raise ValueError(f"name: {name!r} is a built-in catalog or reserved word; "
                             "choose another name")
        catalog, config = build_collection(table)
        with self._lock:
            self._collections[name.lower()] = (name, catalog, config)
        log.info("added collection %s (%d rows)", name, catalog.nrows)


def all_result(table, *, exclude=()):
    """
    The extjs answer of ``Mast.Catalogs.All.<Cat>``: no rows, every column's histogram.

    Parameters
    ----------
    table : CatalogTable
        The catalog.
    exclude : collection of str, optional
        Columns given no histogram.

    Returns
    -------
    TableResult
        Zero rows; ``extended`` holds ``discreteHistogram`` (string columns) and
        ``continuousHistogram`` (numeric columns), keys sorted case-insensitively.
    """
    discrete, continuous, properties = {}, {}, {}
    for field in sorted(table.fields, key=lambda f: f.name.lower()):
        stored = table.columns[field.name]
        if field.name in exclude:
            continue
        if isinstance(stored, Categorical):
            discrete[field.name] = table.discrete_histogram(field.name)
        elif isinstance(stored, np.ndarray) and stored.dtype.kind in "iuf":
            continuous[field.name] = table.continuous_histogram(field.name)
    for field in table.fields:
        properties[field.name] = {"ignoreValue": {"float": "NaN", "int": None}.get(field.type, "")}
    empty = np.empty(0, np.int64)
    result = table.result(empty)
    return TableResult(fields=result.fields, nrows=0, make_chunk=result.make_chunk,
                       extended={"discreteHistogram": discrete, "continuousHistogram": continuous},
                       column_properties=properties)

