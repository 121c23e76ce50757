"""
Every catalog of the local MAST, each declared once as a `CatalogDef`.

A catalog is a builder (``build(sky) -> CatalogTable``) plus its columns config; from its
name the registry derives its services and columns-config ids:

- ``Mast.Catalogs.<Name>.Cone`` {ra, dec, radius}: rows in the cone, nearest first, plus
  the separation column (arcsec);
- ``Mast.Catalogs.Filtered.<Name>[.Position][.Rows]`` {columns, filters[, ra, dec,
  radius]}: rows passing the filters; ``columns: "COUNT_BIG(*)"`` counts them (not in
  ``.Rows`` variants);
- ``Mast.Catalogs.All.<Name>`` {} (when ``histograms``): no rows, every column's histogram;
- ``extra_services``: services MAST names otherwise (``Mast.Hsc.Db.v3``...), each a
  ``handler(service, params, table)``.

Adding a catalog is one call::

    register(CatalogDef("Toy", build=build_toy, columns=toy_columns))

`register` puts every derived service in `mastq.emulator.services.registry.SERVICES`.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mastq.emulator.catalogs.table import count_result
from mastq.emulator.model import ServiceError, TableResult
from mastq.emulator.services.filters import Categorical, filter_mask, select_columns
from mastq.emulator.services.registry import SERVICES, Service
from mastq.emulator.services.sky import cone_select, parse_cone

__all__ = [
    "CatalogDef",
    "CATALOGS",
    "register",
    "unregister",
    "catalog_services",
    "config_owner",
    "all_result",
]


@dataclass(frozen=True)
class CatalogDef:
    """
    One catalog of the local MAST.

    Parameters
    ----------
    name : str
        The name in MAST's service names (``"Tic"``, ``"GaiaDR3"``, ``"DiskDetective"``).
    build : callable
        ``build(sky) -> CatalogTable`` (`mastq.emulator.catalogs.store.Sky` gives the
        shared population, seeds and the other catalogs); called once, on first use.
    columns : callable
        ``columns() -> dict``: the columns config (column -> properties).
    config_ids : tuple of str
        Other columns-config ids of the catalog (``"Mast.Catalogs.Tess.Cone"``).
    cone, filtered, histograms : bool
        Whether the catalog serves the ``Cone``, ``Filtered.*`` and ``All`` services.
    no_histogram : frozenset of str
        Columns ``Mast.Catalogs.All.<Name>`` gives no histogram.
    extra_services : tuple of (str, callable)
        Services named otherwise: ``(name, handler(service, params, table))``.
    position_distance : bool
        Whether ``Filtered.<Name>.Position`` adds the separation column (Disk Detective's
        does not).
    """

    name: str
    build: Callable
    columns: Callable
    config_ids: tuple = ()
    cone: bool = True
    filtered: bool = True
    histograms: bool = False
    no_histogram: frozenset = frozenset()
    extra_services: tuple = field(default=())
    position_distance: bool = True

    @property
    def cone_service(self):
        """``Mast.Catalogs.<Name>.Cone``, also the catalog's main columns-config id."""
        return f"Mast.Catalogs.{self.name}.Cone"

    def service_handlers(self):
        """Every service name of the catalog -> ``handler(service, params, table)``."""
        handlers = {}
        if self.cone:
            handlers[self.cone_service] = cone_handler
        if self.filtered:
            base = f"Mast.Catalogs.Filtered.{self.name}"
            for suffix in ("", ".Position", ".Rows", ".Position.Rows"):
                handlers[base + suffix] = functools.partial(
                    filtered_handler, with_distance=self.position_distance
                )
        if self.histograms:
            no_histogram = self.no_histogram
            handlers[f"Mast.Catalogs.All.{self.name}"] = lambda service, params, table: all_result(
                table, exclude=no_histogram
            )
        handlers.update(dict(self.extra_services))
        return handlers

    def all_config_ids(self):
        """The columns-config ids answered with this catalog's config."""
        return ((self.cone_service,) if self.cone else ()) + tuple(self.config_ids)


CATALOGS = {}
"""The registered catalogs: lower-case name -> `CatalogDef`."""
_CONFIG_IDS = {}


def catalog_services(definition, table_of):
    """
    The `Service` entries of a catalog.

    Parameters
    ----------
    definition : CatalogDef
    table_of : callable
        ``table_of(archive) -> CatalogTable``: where the catalog's rows live.

    Returns
    -------
    list of Service
    """

    def bind(name, handler):
        return Service(
            name,
            lambda params, archive: handler(name, params, table_of(archive)),
            catalog=definition.name,
        )

    return [bind(name, handler) for name, handler in definition.service_handlers().items()]


def _archive_table(name):
    def table_of(archive):
        return getattr(archive, "catalogs", archive).table(name)

    return table_of


def register(definition):
    """
    Register a catalog: its services, its columns-config ids.

    Parameters
    ----------
    definition : CatalogDef

    Returns
    -------
    CatalogDef
        `definition`, so a module can keep it under a name.

    Raises
    ------
    ValueError
        If the name, a service or a columns-config id is already taken.
    """
    key = definition.name.lower()
    if key in CATALOGS or key in ("filtered", "all"):
        raise ValueError(f"catalog {definition.name!r} is already registered or reserved")
    entries = catalog_services(definition, _archive_table(definition.name))
    taken = [e.name for e in entries if SERVICES.get(e.name) is not None]
    taken += [c for c in definition.all_config_ids() if c.lower() in _CONFIG_IDS]
    if taken:
        raise ValueError(f"catalog {definition.name!r}: already registered: {taken}")
    for entry in entries:
        SERVICES.add(entry)
    for config_id in definition.all_config_ids():
        _CONFIG_IDS[config_id.lower()] = definition
    CATALOGS[key] = definition
    return definition


def unregister(name):
    """Forget the catalog `name` and its services (for tests that add a toy catalog)."""
    definition = CATALOGS.pop(name.lower(), None)
    if definition is None:
        return
    for service_name in definition.service_handlers():
        SERVICES.remove(service_name)
    for config_id in definition.all_config_ids():
        _CONFIG_IDS.pop(config_id.lower(), None)


def config_owner(config_id):
    """The `CatalogDef` whose columns config has the id `config_id`, or None."""
    return _CONFIG_IDS.get((config_id or "").strip().lower())


def cone_handler(service, params, table):
    """``Mast.Catalogs.<Name>.Cone``: rows in the cone, nearest first, plus the separation."""
    ra, dec, radius = parse_cone(params, service=service)
    index, distance = cone_select(table.ra, table.dec, ra, dec, radius)
    return table.result(index, distance=distance)


def filtered_handler(service, params, table, *, with_distance=True):
    """``Mast.Catalogs.Filtered.<Name>[.Position][.Rows]``: rows passing the filters."""
    parts = service.lower().split(".")
    position, rows_only = "position" in parts[4:], parts[-1] == "rows"
    # Without 'columns' MAST sends every column (astroquery asks Disk Detective so).
    names = select_columns(params.get("columns", "*"), table.names, service=service)
    if names == "COUNT" and rows_only:
        raise ServiceError(
            f"{service}: parameter 'columns' cannot be COUNT_BIG(*) in a "
            ".Rows service; use the service without .Rows to count"
        )
    if "filters" not in params:
        raise ServiceError(
            f"{service}: missing required parameter 'filters' "
            "(a list of {paramName, values} objects, may be empty)"
        )
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
    return table.result(index, names=names, distance=distance if with_distance else None)


def all_result(table, *, exclude=()):
    """
    The extjs answer of ``Mast.Catalogs.All.<Name>``: no rows, every column's histogram.

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
    for fld in sorted(table.fields, key=lambda f: f.name.lower()):
        stored = table.columns[fld.name]
        if fld.name in exclude:
            continue
        if isinstance(stored, Categorical):
            discrete[fld.name] = table.discrete_histogram(fld.name)
        elif isinstance(stored, np.ndarray) and stored.dtype.kind in "iuf":
            continuous[fld.name] = table.continuous_histogram(fld.name)
    for fld in table.fields:
        properties[fld.name] = {"ignoreValue": {"float": "NaN", "int": None}.get(fld.type, "")}
    result = table.result(np.empty(0, np.int64))
    return TableResult(
        fields=result.fields,
        nrows=0,
        make_chunk=result.make_chunk,
        extended={"discreteHistogram": discrete, "continuousHistogram": continuous},
        column_properties=properties,
    )
