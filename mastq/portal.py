"""
What the astronomer-facing clients share, and astroquery's ``Mast`` door to any service.

`PortalQueries` holds what observations, catalogs and `MastClass` share: name resolution,
the raw column metadata behind the criteria, and running the queries of a `CriteriaPlan`
(one per filter set, see `mastq.criteria.build_filter_sets`).  `RegionQueries` adds the
named-object forms of cone searches.  `MastClass` is astroquery's
``Mast.service_request`` / ``mast_query``.
"""

import logging
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
import orjson
from astropy.coordinates import SkyCoord
from astropy.table import vstack

from . import conf
from .auth import LoginMixin
from .columns import ConfigStore, config_id
from .criteria import build_filter_sets, column_specs
from .exceptions import (
    InvalidQueryError,
    NoResultsWarning,
    ProtocolError,
    ResolverError,
    warn_user,
)
from .inputs import cone_params, parse_radius
from .polling import Deadline
from .request import MashupRequest
from .services import ServiceClient
from .transport import columns_config_url

__all__ = ["DEFAULT_RADIUS", "COUNT", "CriteriaPlan", "PortalQueries", "RegionQueries",
           "MastClass", "Mast"]

log = logging.getLogger(__name__)

DEFAULT_RADIUS = 0.2 * u.deg
"""Search radius used when none is given (as astroquery.mast)."""

COUNT = "COUNT_BIG(*)"
"""The ``columns`` of a server-side count."""

# Configs without datatypes: the ``*.All.*`` histogram service that says which are numeric.
_HISTOGRAMS = {"Mast.Catalogs.Tess.Cone": "Mast.Catalogs.All.Tic",
               "Mast.Catalogs.Dd.Cone": "Mast.Catalogs.All.DiskDetective"}
_ID_COLUMNS = ("obsid", "ID", "source_id", "objID", "obsID")


@dataclass(frozen=True)
class CriteriaPlan:
    """
    The queries of one criteria call: one service, one query per filter set.

    Parameters
    ----------
    service : str
        The ``Filtered`` service to run.
    filter_sets : tuple of list of dict
        From `mastq.criteria.build_filter_sets`; several when wildcards must be unioned.
    extra : dict, optional
        Params sent with every filter set (a position).
    columns : str, optional
        The ``columns`` param; default ``"*"``.
    """

    service: str
    filter_sets: tuple
    extra: dict = field(default_factory=dict)
    columns: str = "*"

    def params(self, filters, *, columns=None):
        """
        The params of the query of one filter set.

        Parameters
        ----------
        filters : list of dict
            One of `filter_sets`.
        columns : str, optional
            Overrides `columns` (e.g. a count or the key column).

        Returns
        -------
        dict
        """
        return {"columns": columns or self.columns, "filters": filters, **self.extra}


class PortalQueries:
    """
    What every astronomer-facing client of the invoke API shares.

    Safe to share between threads: it holds a `mastq.services.ServiceClient` (itself
    thread-safe) and a lock-protected store of raw column metadata; nothing per call.

    Parameters
    ----------
    mast : mastq.services.ServiceClient, optional
        The service door to use; default a new one.
    """

    def __init__(self, *, mast=None):
        self.mast = mast if mast is not None else ServiceClient()
        self._raw_configs = ConfigStore()

    def resolve_object(self, objectname):
        """
        Resolve an object name to its position with ``Mast.Name.Lookup``.

        Parameters
        ----------
        objectname : str
            E.g. ``"M101"``, ``"Vega"``, ``"NGC 5457"``.

        Returns
        -------
        `~astropy.coordinates.SkyCoord`
            The ICRS position of the first resolver's answer.

        Raises
        ------
        ResolverError
            If the name does not resolve (never an empty table).
        InvalidQueryError
            If ``objectname`` is not a non-empty string.
        """
        if not isinstance(objectname, str) or not objectname.strip():
            raise InvalidQueryError(f"objectname must be a non-empty string, got {objectname!r}")
        request = MashupRequest("Mast.Name.Lookup", {"input": objectname, "format": "json"},
                                timeout=conf.service_timeout)
        page = self.mast.transport.invoke(request, fmt="document")
        found = page.document.get("resolvedCoordinate") or []
        if not found:
            raise ResolverError(f"objectname={objectname!r} could not be resolved to a sky "
                                f"position (Mast.Name.Lookup found nothing)",
                                service="Mast.Name.Lookup")
        first = found[0]
        log.debug("%r resolved by %s to %s %s", objectname, first.get("resolver"),
                  first.get("ra"), first.get("decl"))
        return SkyCoord(float(first["ra"]), float(first["decl"]), unit="deg", frame="icrs")

    @staticmethod
    def _options(pagesize, page, times, cache):
        """The request options every row query passes on to `Mast.service_request`."""
        return {"pagesize": pagesize, "page": page, "times": times, "cache": cache}

    def _cone(self, coordinates, objectname, radius):
        """The ``{ra, dec, radius}`` (degrees) of a criteria query, or None without one."""
        if coordinates is not None and objectname is not None:
            raise InvalidQueryError("give coordinates or objectname, not both")
        if coordinates is None and objectname is None:
            if radius is not None:
                raise InvalidQueryError("radius needs coordinates or objectname")
            return None
        if coordinates is None:
            coordinates = self.resolve_object(objectname)
        return cone_params(coordinates, DEFAULT_RADIUS if radius is None else radius)

    def _raw_config(self, config_id):
        """The raw columnsconfig of ``config_id``, merged with histogram column types."""
        histograms = _HISTOGRAMS.get(config_id)

        def fetch():
            deadline = Deadline.after()
            config = self.mast.transport.exchange(
                columns_config_url(), {"colConfigId": config_id}, parse=_json_object,
                deadline=deadline, context={"service": config_id})
            if histograms:
                _merge_histogram_types(config, self._histograms(histograms, deadline))
            return config
        return self._raw_configs.get((conf.server, config_id, histograms), fetch)

    def _histograms(self, service, deadline):
        request = MashupRequest(service, {}, format="extjs", timeout=conf.service_timeout)
        page = self.mast.transport.invoke(request, deadline=deadline)
        return page.document.get("ExtendedProperties") or {}

    def _plan(self, criteria, *, service, config_id, extra=None, columns="*"):
        """The `CriteriaPlan` of ``criteria`` on ``service`` (columns of ``config_id``)."""
        if not criteria:
            raise InvalidQueryError(f"{service}: give at least one criterion (a column=value "
                                    f"keyword); for a plain cone search use query_region")
        specs = column_specs(self._raw_config(config_id))
        sets = build_filter_sets(criteria, specs, service=service)
        return CriteriaPlan(service, tuple(sets), dict(extra or {}), columns)

    def _run_plan(self, plan, *, key, options):
        """Run one query per filter set; several (wildcards) are unioned on ``key``."""
        if len(plan.filter_sets) == 1:
            return self.mast.service_request(plan.service, plan.params(plan.filter_sets[0]),
                                             **options)
        parts = [self.mast.service_request(plan.service, plan.params(filters), warn_empty=False,
                                           **options)
                 for filters in plan.filter_sets]
        table = _union(parts, key)
        if len(table) == 0:
            warn_user(f"{plan.service} returned no rows", NoResultsWarning)
        return table

    def _count_plan(self, plan, *, key):
        """Server-side count; with several filter sets, count the union of their keys."""
        if len(plan.filter_sets) == 1:
            return self._count(plan.service, plan.params(plan.filter_sets[0]))
        ids = set()
        for filters in plan.filter_sets:
            part = self.mast.service_request(plan.service, plan.params(filters, columns=key),
                                             warn_empty=False)
            ids.update(_key_values(part[key]).tolist())
        return len(ids)

    def _count(self, service, params):
        """The server-side ``COUNT_BIG(*)`` of one ``Filtered`` query."""
        table = self.mast.service_request(service, dict(params, columns=COUNT))
        if len(table) != 1 or not table.colnames:
            raise ProtocolError(f"a count answers one row, got {len(table)} rows",
                                service=service)
        return int(table[table.colnames[0]][0])


class RegionQueries(PortalQueries):
    """
    Clients with cone searches: a named object is searched around its resolved position.

    Subclasses define ``query_region(coordinates, *, radius, ...)`` and
    ``query_region_count(coordinates, *, radius, ...)``.

    Parameters
    ----------
    mast : mastq.services.ServiceClient, optional
        The service door to use; default a new one.
    """

    def query_object(self, objectname, *, radius=DEFAULT_RADIUS, **options):
        """
        Rows within ``radius`` of a named object: ``query_region`` at its position.

        Parameters
        ----------
        objectname : str
            Resolved with ``Mast.Name.Lookup`` (see `resolve_object`).
        radius : `~astropy.units.Quantity`, `~astropy.coordinates.Angle` or float
            Any angular unit; a bare number means degrees.  Default 0.2 deg.
        **options
            The other keywords of ``query_region`` (``pagesize``, ``page``, ``times``,
            ``cache``; ``catalog`` for catalogs).

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        ResolverError
            If the name does not resolve.
        InvalidQueryError
            If the radius or an option is not valid.
        """
        return self.query_region(self.resolve_object(objectname), radius=radius, **options)

    def query_object_count(self, objectname, *, radius=DEFAULT_RADIUS, **options):
        """
        Number of rows within ``radius`` of a named object (no rows transferred).

        Parameters
        ----------
        objectname, radius
            As in `query_object`.
        **options
            The other keywords of ``query_region_count`` (``catalog`` for catalogs).

        Returns
        -------
        int

        Raises
        ------
        ResolverError
            If the name does not resolve.
        InvalidQueryError
            If the radius or an option is not valid.
        """
        return self.query_region_count(self.resolve_object(objectname), radius=radius,
                                       **options)


class MastClass(LoginMixin, PortalQueries):
    """
    Any MAST invoke service: astroquery's ``Mast.service_request`` and ``mast_query``.

    Parameters
    ----------
    mast : mastq.services.ServiceClient, optional
        The service door to use; default a new one.
    """

    def service_request(self, service, params, **request_props):
        """
        Run a service with its params as given (see `mastq.services.ServiceClient`).

        Parameters
        ----------
        service : str
            E.g. ``"Mast.Caom.Cone"``.
        params : dict
            Its parameters.
        **request_props
            ``pagesize``, ``page``, ``format``, ``cache``, ``times`` and MashupRequest
            properties.

        Returns
        -------
        `~astropy.table.Table`
        """
        return self.mast.service_request(service, params, **request_props)

    def mast_query(self, service, *, columns=None, **kwargs):
        """
        Run a service from keywords; for ``Filtered`` services build the filters.

        Parameters
        ----------
        service : str
            E.g. ``"Mast.Caom.Filtered"`` or ``"Mast.Catalogs.Tic.Cone"``.
        columns : str, optional
            Comma-separated columns of a ``Filtered`` service (default ``"*"``).
        **kwargs
            ``ra``, ``dec``, ``radius`` (quantities or degrees) and ``position`` go to
            the params as they are; request properties (``pagesize``, ``page``,
            ``format``, ``timeout``, ``cache``, ``times``...) to the request; for a
            ``Filtered`` service every other keyword is a criterion (see
            `mastq.criteria.build_filter_sets`), for other services a parameter.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        InvalidQueryError
            Unknown criterion, no criterion for a Filtered service, ``columns`` for a
            service that has none.
        """
        params = {k: _degrees(k, kwargs.pop(k)) for k in list(kwargs) if k in _POSITION_KEYS}
        props = {k: kwargs.pop(k) for k in list(kwargs) if k in _REQUEST_KEYS}
        if ".filtered" not in service.lower():
            if columns is not None:
                raise InvalidQueryError(f"columns applies to Filtered services, not {service}")
            return self.mast.service_request(service, {**kwargs, **params}, **props)
        plan = self._plan(kwargs, service=service, config_id=config_id(service), extra=params,
                          columns=columns or "*")
        return self._run_plan(plan, key=None, options=props)


_POSITION_KEYS = frozenset({"ra", "dec", "radius", "position"})
_REQUEST_KEYS = frozenset({"pagesize", "page", "format", "timeout", "clearcache", "cache",
                           "times", "removenullcolumns", "removecache", "cachebreaker",
                           "data", "filename", "columnsconfigid"})


Mast = MastClass()
"""The shared `MastClass` instance: ``from mastq import Mast`` (as in astroquery.mast)."""


def _degrees(name, value):
    """A position parameter in degrees (quantities converted, strings left alone)."""
    if isinstance(value, u.Quantity):
        return float(parse_radius(value, name=name).deg) if name == "radius" else \
            float(value.to_value(u.deg))
    return value


def _json_object(body):
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"columns config is not JSON: {exc}", cause=exc) from exc
    if not isinstance(doc, dict):
        raise ProtocolError(f"columns config must be a JSON object, got {type(doc).__name__}")
    return doc


def _merge_histogram_types(config, properties):
    """Give the columns of a ``*.All.*`` histogram answer their ``type`` (numeric...)."""
    for kind in ("continuousHistogram", "discreteHistogram"):
        for name, entry in (properties.get(kind) or {}).items():
            if isinstance(entry, dict) and "type" in entry:
                config.setdefault(name, {})
                config[name] = dict(config[name], type=entry["type"])


def _key_values(column):
    """A key column as an array; bytestring text decoded, so ``b"x"`` and ``"x"`` agree."""
    values = np.asarray(column)
    return np.char.decode(values, "utf-8") if values.dtype.kind == "S" else values


def _union(tables, key):
    """Rows of several tables, the first of each ``key`` (default: an id column) kept."""
    stacked = vstack(tables, metadata_conflicts="silent")
    if key is None:
        key = next((name for name in _ID_COLUMNS if name in stacked.colnames), None)
    if len(stacked) == 0 or key not in stacked.colnames:
        return stacked
    _, first = np.unique(_key_values(stacked[key]), return_index=True)
    return stacked[np.sort(first)]
