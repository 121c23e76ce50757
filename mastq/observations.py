"""
`Observations`: the CAOM observation queries of MAST, as astronomers type them.

The names are astroquery.mast's (`ObservationsClass.query_region`, ``query_object``,
``query_criteria``, the ``*_count`` variants, ``get_metadata``, ``list_missions``,
``resolve_object``), so ``from mastq import Observations`` is a drop-in for the common
calls; the inputs follow `mastq.inputs` (any frame, any angular unit, quantities and
times in criteria) and the results carry units, descriptions and masks.

`PortalQueries` holds what observations and catalogs share: name resolution, the raw
column metadata behind the criteria, and running one or several filter sets.
"""

import logging
import warnings

import astropy.units as u
import numpy as np
import orjson
from astropy.coordinates import SkyCoord
from astropy.table import Table, vstack

from . import conf
from .columns import ConfigStore, config_id
from .exceptions import InvalidQueryError, NoResultsWarning, ProtocolError, ResolverError
from .inputs import build_filter_sets, column_specs, cone_params, parse_coordinates, parse_radius
from .polling import Deadline
from .products import product_list
from .request import MashupRequest
from .services import Mast
from .transport import columns_config_url

__all__ = ["PortalQueries", "ObservationsClass", "Observations", "MastClass"]

log = logging.getLogger(__name__)

DEFAULT_RADIUS = 0.2 * u.deg
"""Search radius used when none is given (as astroquery.mast)."""

COUNT = "COUNT_BIG(*)"
_META_NAMES = ("Column Name", "Column Label", "Data Type", "Units", "Description",
               "Examples/Valid Values")
# Configs without datatypes: the ``*.All.*`` histogram service that says which are numeric.
_HISTOGRAMS = {"Mast.Catalogs.Tess.Cone": "Mast.Catalogs.All.Tic",
               "Mast.Catalogs.Dd.Cone": "Mast.Catalogs.All.DiskDetective"}
_TYPE_NAMES = {"char": "string", "string": "string", "double": "float", "float": "float",
               "numeric": "float", "int": "int", "long": "int", "short": "int",
               "boolean": "boolean", "date": "date"}


class PortalQueries:
    """
    What every astronomer-facing client of the invoke API shares.

    Safe to share between threads: it holds a `mastq.services.Mast` (itself
    thread-safe) and a lock-protected store of raw column metadata; nothing per call.

    Parameters
    ----------
    mast : mastq.services.Mast, optional
        The service door to use; default a new one.
    """

    def __init__(self, *, mast=None):
        self.mast = mast if mast is not None else Mast()
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

    def _position(self, coordinates, objectname, radius):
        """``(SkyCoord, Angle)`` of a criteria query's position, or None when there is none."""
        if coordinates is not None and objectname is not None:
            raise InvalidQueryError("give coordinates or objectname, not both")
        if coordinates is None and objectname is None:
            if radius is not None:
                raise InvalidQueryError("radius needs coordinates or objectname")
            return None
        coord = (parse_coordinates(coordinates) if coordinates is not None
                 else self.resolve_object(objectname))
        return coord, parse_radius(DEFAULT_RADIUS if radius is None else radius)

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

    def _filter_sets(self, criteria, config_id, service):
        if not criteria:
            raise InvalidQueryError(f"{service}: give at least one criterion (a column=value "
                                    f"keyword); for a plain cone search use query_region")
        specs = column_specs(self._raw_config(config_id))
        return build_filter_sets(criteria, specs, service=service)

    def _run_sets(self, service, params_of, filter_sets, *, key, options):
        """Run one query per filter set; several (wildcards) are unioned on ``key``."""
        if len(filter_sets) == 1:
            return self.mast.service_request(service, params_of(filter_sets[0]), **options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoResultsWarning)
            parts = [self.mast.service_request(service, params_of(filters), **options)
                     for filters in filter_sets]
        table = _union(parts, key)
        if len(table) == 0:
            warnings.warn(f"{service} returned no rows", NoResultsWarning, stacklevel=3)
        return table

    def _count_sets(self, service, params_of, filter_sets, *, key):
        """Server-side count; with several filter sets, count the union of their keys."""
        if len(filter_sets) == 1:
            return _count_of(self.mast.service_request(
                service, dict(params_of(filter_sets[0]), columns=COUNT)))
        ids = set()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoResultsWarning)
            for filters in filter_sets:
                part = self.mast.service_request(service, dict(params_of(filters), columns=key))
                ids.update(np.asarray(part[key]).tolist())
        return len(ids)


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


_ID_COLUMNS = ("obsid", "ID", "source_id", "objID", "obsID")


def _union(tables, key):
    """Rows of several tables, the first of each ``key`` (default: an id column) kept."""
    stacked = vstack(tables, metadata_conflicts="silent")
    if key is None:
        key = next((name for name in _ID_COLUMNS if name in stacked.colnames), None)
    if len(stacked) == 0 or key not in stacked.colnames:
        return stacked
    _, first = np.unique(np.asarray(stacked[key]), return_index=True)
    return stacked[np.sort(first)]


def _count_of(table):
    if len(table) != 1 or not table.colnames:
        raise ProtocolError(f"a count answers one row, got {len(table)} rows")
    return int(table[table.colnames[0]][0])


def _options(pagesize, page, times, cache):
    return {"pagesize": pagesize, "page": page, "times": times, "cache": cache}


class ObservationsClass(PortalQueries):
    """
    Search MAST's CAOM observations (all missions).

    Parameters
    ----------
    mast : mastq.services.Mast, optional
        The service door to use; default a new one.

    Examples
    --------
    >>> from mastq import Observations  # doctest: +REMOTE_DATA
    >>> obs = Observations.query_criteria(objectname="M101", obs_collection="HST",
    ...                                   t_exptime=(100 * u.s, None))  # doctest: +SKIP
    """

    cone_service = "Mast.Caom.Cone"
    filtered_service = "Mast.Caom.Filtered"
    position_service = "Mast.Caom.Filtered.Position"
    columns_config_id = "Mast.Caom.Cone"
    key = "obsid"

    def query_region(self, coordinates, *, radius=DEFAULT_RADIUS, pagesize=None, page=None,
                     times=False, cache=None):
        """
        Observations within ``radius`` of a position (``Mast.Caom.Cone``).

        Parameters
        ----------
        coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec)
            Any frame (converted to ICRS); strings and bare numbers in degrees.
        radius : `~astropy.units.Quantity`, `~astropy.coordinates.Angle` or float
            Any angular unit; a bare number means degrees.  Default 0.2 deg.
        pagesize, page : int, optional
            Rows per page and one page to return (default: every page).
        times : bool, optional
            Return ``t_min``, ``t_max``, ``t_obs_release`` as `~astropy.time.Time`.
        cache : bool, optional
            Use the persistent query cache; default `mastq.conf.cache`.

        Returns
        -------
        `~astropy.table.Table`
            With units (``s_ra`` deg, ``t_min`` d, ``em_min`` nm, ``t_exptime`` s,
            ``distance`` arcsec) and masked nulls.

        Raises
        ------
        InvalidQueryError
            If the position or radius is not valid.
        """
        return self.mast.service_request(self.cone_service, cone_params(coordinates, radius),
                                         **_options(pagesize, page, times, cache))

    def query_object(self, objectname, *, radius=DEFAULT_RADIUS, pagesize=None, page=None,
                     times=False, cache=None):
        """
        Observations within ``radius`` of a named object.

        Parameters
        ----------
        objectname : str
            Resolved with ``Mast.Name.Lookup`` (see `resolve_object`).
        radius, pagesize, page, times, cache
            As in `query_region`.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        ResolverError
            If the name does not resolve.
        """
        return self.query_region(self.resolve_object(objectname), radius=radius,
                                 pagesize=pagesize, page=page, times=times, cache=cache)

    def query_criteria(self, *, coordinates=None, objectname=None, radius=None, pagesize=None,
                       page=None, times=False, cache=None, **criteria):
        """
        Observations matching column criteria, optionally around a position.

        Parameters
        ----------
        coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec), optional
            A position (see `query_region`); or give ``objectname``.
        objectname : str, optional
            A name to resolve.
        radius : `~astropy.units.Quantity` or float, optional
            With a position; default 0.2 deg, a bare number means degrees.
        pagesize, page, times, cache
            As in `query_region`.
        **criteria
            Column -> value(s), see `mastq.inputs.build_filter_sets`: lists mean OR,
            ``*`` wildcards, ``(min, max)`` ranges with None for an open end, quantities
            and times, e.g. ``em_min=(500 * u.nm, 1 * u.um)``,
            ``t_min=(Time("2020-01-01"), None)``.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        InvalidQueryError
            Unknown criterion (with a did-you-mean), a bad value, no criterion at all.
        ResolverError
            If ``objectname`` does not resolve.
        """
        service, params_of, sets = self._criteria_plan(coordinates, objectname, radius,
                                                       criteria)
        return self._run_sets(service, params_of, sets, key=self.key,
                              options=_options(pagesize, page, times, cache))

    def _criteria_plan(self, coordinates, objectname, radius, criteria):
        position = self._position(coordinates, objectname, radius)
        service = self.filtered_service if position is None else self.position_service
        sets = self._filter_sets(criteria, self.columns_config_id, service)
        extra = {}
        if position is not None:
            coord, angle = position
            extra["position"] = f"{coord.ra.deg}, {coord.dec.deg}, {angle.deg}"

        def params_of(filters):
            return {"columns": "*", "filters": filters, **extra}
        return service, params_of, sets

    def query_region_count(self, coordinates, *, radius=DEFAULT_RADIUS):
        """
        Number of observations within ``radius`` of a position (no rows transferred).

        Parameters
        ----------
        coordinates, radius
            As in `query_region`.

        Returns
        -------
        int

        Raises
        ------
        InvalidQueryError
            If the position or radius is not valid.
        """
        cone = cone_params(coordinates, radius)
        params = {"columns": COUNT, "filters": [],
                  "position": f"{cone['ra']}, {cone['dec']}, {cone['radius']}"}
        return _count_of(self.mast.service_request(self.position_service, params))

    def query_object_count(self, objectname, *, radius=DEFAULT_RADIUS):
        """
        Number of observations within ``radius`` of a named object.

        Parameters
        ----------
        objectname : str
            Resolved with ``Mast.Name.Lookup``.
        radius
            As in `query_region`.

        Returns
        -------
        int

        Raises
        ------
        ResolverError
            If the name does not resolve.
        """
        return self.query_region_count(self.resolve_object(objectname), radius=radius)

    def query_criteria_count(self, *, coordinates=None, objectname=None, radius=None,
                             **criteria):
        """
        Number of observations matching criteria (server-side ``COUNT_BIG(*)``).

        Parameters
        ----------
        coordinates, objectname, radius, **criteria
            As in `query_criteria`.

        Returns
        -------
        int
            With several wildcards of one column (several filter sets), the ids of each
            set are fetched and the distinct ones counted.

        Raises
        ------
        InvalidQueryError, ResolverError
            As in `query_criteria`.
        """
        service, params_of, sets = self._criteria_plan(coordinates, objectname, radius,
                                                       criteria)
        return self._count_sets(service, params_of, sets, key=self.key)

    def get_metadata(self, query_type):
        """
        Describe the columns of observation or product results.

        Parameters
        ----------
        query_type : {'observations', 'products'}
            Which results to describe.

        Returns
        -------
        `~astropy.table.Table`
            One row per column: name, label, data type, unit, description, examples
            (astroquery's column names).

        Raises
        ------
        InvalidQueryError
            If ``query_type`` is neither.
        """
        kinds = {"observations": "Mast.Caom.Cone", "products": "Mast.Caom.Products"}
        kind = str(query_type).lower()
        if kind not in kinds:
            raise InvalidQueryError(f"query_type must be 'observations' or 'products', "
                                    f"got {query_type!r}")
        return _metadata_table(self._raw_config(kinds[kind]))

    def list_missions(self):
        """
        The missions (``obs_collection`` values) MAST holds observations of.

        Returns
        -------
        list of str
            Sorted.
        """
        request = MashupRequest("Mast.Caom.All", {}, format="extjs",
                                timeout=conf.service_timeout)
        page = self.mast.transport.invoke(request)
        for column in page.document.get("Columns") or []:
            if column.get("text") == "obs_collection":
                histogram = (column.get("ExtendedProperties") or {}).get("histObj") or {}
                return sorted(name for name in histogram if name != "hist")
        raise ProtocolError("Mast.Caom.All has no obs_collection histogram",
                            service="Mast.Caom.All")

    def get_product_list(self, observations, *, cache=None):
        """
        The data products of observations (``Mast.Caom.Products``).

        Parameters
        ----------
        observations : `~astropy.table.Table`, `~astropy.table.Row`, int, str or list
            Rows of a query result (their ``obsid``), or obsids.
        cache : bool, optional
            Use the persistent query cache; default `mastq.conf.cache`.

        Returns
        -------
        `~astropy.table.Table`
            One row per product (``obsID``, ``dataURI``, ``productFilename``, ``size``...).

        Raises
        ------
        InvalidQueryError
            If no obsid can be read from ``observations``.
        """
        return product_list(self.mast, observations, cache=cache)


def _metadata_table(config):
    rows = []
    for name, entry in config.items():
        if name == "_selected_" or not isinstance(entry, dict) or entry.get("remove"):
            continue
        datatype = str(entry.get("type") or entry.get("vot.datatype") or "").lower()
        rows.append((name, entry.get("text", name), _TYPE_NAMES.get(datatype, datatype),
                     entry.get("unit") or entry.get("vot.unit") or "",
                     entry.get("vot.description", ""), entry.get("example", "")))
    return Table(rows=rows or None, names=_META_NAMES, dtype=[str] * len(_META_NAMES))


class MastClass(PortalQueries):
    """
    Any MAST invoke service: astroquery's ``Mast.service_request`` and ``mast_query``.

    Parameters
    ----------
    mast : mastq.services.Mast, optional
        The service door to use; default a new one.
    """

    def service_request(self, service, params, **request_props):
        """
        Run a service with its params as given; see `mastq.services.Mast.service_request`.

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
            `mastq.inputs.build_filter_sets`), for other services a parameter.

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
        sets = self._filter_sets(kwargs, config_id(service), service)
        return self._run_sets(service, lambda f: {"columns": columns or "*", "filters": f,
                                                  **params}, sets, key=None, options=props)


_POSITION_KEYS = frozenset({"ra", "dec", "radius", "position"})
_REQUEST_KEYS = frozenset({"pagesize", "page", "format", "timeout", "clearcache", "cache",
                           "times", "removenullcolumns", "removecache", "cachebreaker",
                           "data", "filename", "columnsconfigid"})


def _degrees(name, value):
    """A position parameter in degrees (quantities converted, strings left alone)."""
    if isinstance(value, u.Quantity):
        return float(parse_radius(value, name=name).deg) if name == "radius" else \
            float(value.to_value(u.deg))
    return value


Observations = ObservationsClass()
"""The shared `ObservationsClass` (thread-safe)."""
