"""
What the astronomer-facing clients share.

`PortalQueries` holds what `mastq.observations.ObservationsClass`,
`mastq.catalogs.CatalogsClass` and `mastq.mast.MastClass` share: name resolution, the
column metadata behind the criteria, running the queries of a `CriteriaPlan` (one per
filter set, see `mastq.criteria.build_filter_sets`) as tables or as raw HTTP answers
(the ``*_async`` variants), and the cache.  `RegionQueries` adds the named-object forms
of cone searches.
"""

import inspect
import logging
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy.table import vstack

from . import registry
from .batch import count_many, many_names, name_targets, query_many
from .criteria import build_filter_sets, column_specs
from .exceptions import InvalidQueryError, NoResultsWarning, ProtocolError, warn_user
from .inputs import cone_params
from .resolver import resolve_names
from .services import ServiceClient
from .settings import one_call

__all__ = ["DEFAULT_RADIUS", "COUNT", "CriteriaPlan", "PortalQueries", "RegionQueries"]

log = logging.getLogger(__name__)

DEFAULT_RADIUS = 0.2 * u.deg
"""Search radius used when none is given (as astroquery.mast)."""

COUNT = "COUNT_BIG(*)"
"""The ``columns`` of a server-side count."""

_CAOM_KEYS = ("obsid", "obsID")  # the id columns of CAOM rows; catalogs: mastq.registry


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
    thread-safe, with the column metadata store); nothing per call.

    Parameters
    ----------
    client : mastq.services.ServiceClient, optional
        The service door to use; default a new one.
    """

    def __init__(self, *, client=None):
        self._client = client if client is not None else ServiceClient()

    def __init_subclass__(cls, **kwargs):
        """Every public method of a client class reads `mastq.conf` once per call."""
        super().__init_subclass__(**kwargs)
        for name in dir(cls):
            method = inspect.getattr_static(cls, name)
            if (
                not name.startswith("_")
                and inspect.isfunction(method)
                and not getattr(method, "one_call", False)
            ):
                setattr(cls, name, one_call(method))

    def __dir__(self):
        return sorted(name for name in super().__dir__() if not name.startswith("_"))

    def resolve_object(self, objectname, *, resolver=None, resolve_all=False):
        """
        Resolve object names to sky positions with ``Mast.Name.Lookup`` (as astroquery).

        Parameters
        ----------
        objectname : str or list of str
            E.g. ``"M101"``, ``"Vega"`` or ``["M101", "NGC 1068"]`` (one request for all).
        resolver : {'SIMBAD', 'NED'}, optional
            The resolver to use (any case); default MAST's order.  Ignored, with an
            `~mastq.exceptions.InputWarning`, when ``resolve_all`` is True.
        resolve_all : bool, optional
            Return the position given by every resolver that knows the name.

        Returns
        -------
        `~astropy.coordinates.SkyCoord` or dict
            One name: its ICRS position, or with ``resolve_all`` a dict resolver ->
            position.  Several names: a dict name -> (position, or with ``resolve_all``
            a dict resolver -> position); a name that does not resolve is left out with
            an `~mastq.exceptions.InputWarning`.

        Raises
        ------
        ResolverError
            If the resolver is unknown or the name (every name) does not resolve.
        InvalidQueryError
            If ``objectname`` is not a name or a non-empty list of names.

        Examples
        --------
        >>> from mastq import Observations
        >>> Observations.resolve_object("M101")
        <SkyCoord (ICRS): (ra, dec) in deg
            (210.802429, 54.34875)>
        """
        return resolve_names(self._client, objectname, resolver=resolver, resolve_all=resolve_all)

    def clear_cache(self):
        """
        Empty mastq's persistent query cache and forget the fetched column metadata.

        Returns
        -------
        int
            The number of cached results removed.
        """
        return self._client.clear_cache()

    def _position_of(self, objectname, resolver):
        """The one position of ``objectname`` (a name, never a list)."""
        if not isinstance(objectname, str):
            raise InvalidQueryError(
                f"objectname must be one object name (a string), got {objectname!r}"
            )
        return self.resolve_object(objectname, resolver=resolver)

    @staticmethod
    def _options(pagesize, page, times, cache):
        """The request options every row query passes on to `Mast.service_request`."""
        return {"pagesize": pagesize, "page": page, "times": times, "cache": cache}

    def _cone(self, coordinates, objectname, radius, resolver=None):
        """The ``{ra, dec, radius}`` (degrees) of a criteria query, or None without one."""
        if coordinates is not None and objectname is not None:
            raise InvalidQueryError("give coordinates or objectname, not both")
        if coordinates is None and objectname is None:
            if radius is not None or resolver is not None:
                raise InvalidQueryError(
                    f"{'radius' if radius is not None else 'resolver'} "
                    f"needs coordinates or objectname"
                )
            return None
        if coordinates is None:
            coordinates = self._position_of(objectname, resolver)
        elif resolver is not None:
            raise InvalidQueryError("resolver applies to objectname, not to coordinates")
        return cone_params(coordinates, DEFAULT_RADIUS if radius is None else radius)

    def _plan(self, criteria, *, service, config_id, extra=None, columns="*", mast_form=False):
        """The `CriteriaPlan` of ``criteria`` on ``service`` (columns of ``config_id``)."""
        if not criteria:
            raise InvalidQueryError(
                f"{service}: give at least one criterion (a column=value "
                f"keyword); for a plain cone search use query_region"
            )
        specs = column_specs(self._client.column_entries(config_id))
        if not specs:
            self._check_service(service)
        sets = build_filter_sets(criteria, specs, service=service, mast_form=mast_form)
        return CriteriaPlan(service, tuple(sets), dict(extra or {}), columns)

    def _check_service(self, service):
        """Raise what MAST says of ``service`` (an unknown one), or that it has no columns."""
        self._client.document(service, {"columns": COUNT, "filters": []})
        raise InvalidQueryError(
            f"{service}: MAST publishes no column metadata for it, so "
            f"criteria cannot be checked; use service_request with "
            f"the filters in MAST's form",
            service=service,
        )

    def _run_plan_async(self, plan, *, pagesize=None, page=None):
        """The raw HTTP answers of every query of ``plan`` (one list, in order)."""
        return [
            response
            for filters in plan.filter_sets
            for response in self._client.responses(
                plan.service, plan.params(filters), pagesize=pagesize, page=page
            )
        ]

    def _run_plan(self, plan, *, key, options):
        """Run one query per filter set; several (wildcards) are unioned on ``key``."""
        if len(plan.filter_sets) == 1:
            return self._client.service_request(
                plan.service, plan.params(plan.filter_sets[0]), **options
            )
        parts = [
            self._client.service_request(
                plan.service, plan.params(filters), warn_empty=False, **options
            )
            for filters in plan.filter_sets
        ]
        table = _union(parts, key or registry.key_column_of(plan.service))
        if len(table) == 0:
            warn_user(f"{plan.service} returned no rows", NoResultsWarning)
        return table

    def _count_plan(self, plan, *, key):
        """Server-side count; with several filter sets, count the union of their keys."""
        if len(plan.filter_sets) == 1:
            return self._count(plan.service, plan.params(plan.filter_sets[0]))
        ids = set()
        for filters in plan.filter_sets:
            part = self._client.service_request(
                plan.service, plan.params(filters, columns=key), warn_empty=False
            )
            ids.update(_key_values(part[key]).tolist())
        return len(ids)

    def _count(self, service, params):
        """The server-side ``COUNT_BIG(*)`` of one ``Filtered`` query."""
        table = self._client.service_request(service, dict(params, columns=COUNT))
        if len(table) != 1 or not table.colnames:
            raise ProtocolError(f"a count answers one row, got {len(table)} rows", service=service)
        return int(table[table.colnames[0]][0])


class RegionQueries(PortalQueries):
    """
    Clients with cone searches: a named object is searched around its resolved position.

    Subclasses define ``query_region``, ``query_region_async`` and
    ``query_region_count``, each ``(coordinates, *, radius, ...)``.

    Parameters
    ----------
    client : mastq.services.ServiceClient, optional
        The service door to use; default a new one.
    """

    def query_object(self, objectname, *, radius=DEFAULT_RADIUS, resolver=None, **options):
        """
        Rows within ``radius`` of a named object: ``query_region`` at its position.

        Parameters
        ----------
        objectname : str or list of str
            Resolved with ``Mast.Name.Lookup`` (see `resolve_object`); a list of names
            is resolved in one request and searched as many targets (see `mastq.batch`).
        radius : `~astropy.units.Quantity`, `~astropy.coordinates.Angle` or float
            Any angular unit; a bare number means degrees.  Default 0.2 deg.  With a
            list of names, also a Quantity array of one radius per name.
        resolver : {'SIMBAD', 'NED'}, optional
            The resolver of ``objectname``; default MAST's order.
        **options
            The other keywords of ``query_region`` (``pagesize``, ``page``, ``times``,
            ``cache``, ``executor``; ``catalog`` for catalogs).

        Returns
        -------
        `~astropy.table.Table`
            With a list of names: one table in input order, starting with
            ``target_index``, ``target_name``, ``target_ra``, ``target_dec``; names that
            did not resolve or failed are in ``meta["failed_targets"]``.

        Raises
        ------
        ResolverError
            If the name does not resolve, or the resolver is unknown.
        InvalidQueryError
            If the radius or an option is not valid.
        """
        if many_names(objectname):
            return self._many(
                name_targets(self._client, objectname, radius, resolver=resolver), **options
            )
        return self.query_region(self._position_of(objectname, resolver), radius=radius, **options)

    def query_object_async(self, objectname, *, radius=DEFAULT_RADIUS, resolver=None, **options):
        """
        The raw HTTP answers of `query_object` (as astroquery's ``query_object_async``).

        Parameters
        ----------
        objectname, radius, resolver
            As in `query_object`.
        **options
            The other keywords of ``query_region_async``.

        Returns
        -------
        list of `requests.Response`
            One per page of the result.

        Raises
        ------
        ResolverError, InvalidQueryError
            As in `query_object`.
        """
        return self.query_region_async(
            self._position_of(objectname, resolver), radius=radius, **options
        )

    def query_object_count(self, objectname, *, radius=DEFAULT_RADIUS, resolver=None, **options):
        """
        Number of rows within ``radius`` of a named object (no rows transferred).

        Parameters
        ----------
        objectname, radius, resolver
            As in `query_object`.
        **options
            The other keywords of ``query_region_count`` (``catalog`` for catalogs,
            ``executor``).

        Returns
        -------
        int or numpy.ndarray of int
            With a list of names, one count per name (masked where it failed).

        Raises
        ------
        ResolverError
            If the name does not resolve, or the resolver is unknown.
        InvalidQueryError
            If the radius or an option is not valid.
        """
        if many_names(objectname):
            return self._many(
                name_targets(self._client, objectname, radius, resolver=resolver),
                count=True,
                **options,
            )
        return self.query_region_count(
            self._position_of(objectname, resolver), radius=radius, **options
        )

    def _many(
        self,
        targets,
        *,
        count=False,
        executor=None,
        pagesize=None,
        page=None,
        times=False,
        cache=None,
        **source,
    ):
        """Cone searches (or counts) of many `mastq.batch.Targets`, one answer."""
        if page is not None:
            raise InvalidQueryError(
                "page applies to one target; give one position or name, "
                "or leave page out for many targets"
            )
        source = self._cone_source(**source)
        if count:
            return count_many(self._client, source, targets, executor=executor)
        options = {"times": times, "cache": cache}
        if pagesize is not None:
            options["pagesize"] = pagesize
        return query_many(self._client, source, targets, executor=executor, options=options)


def _key_values(column):
    """A key column as an array; bytestring text decoded, so ``b"x"`` and ``"x"`` agree."""
    values = np.asarray(column)
    return np.char.decode(values, "utf-8") if values.dtype.kind == "S" else values


def _union(tables, key):
    """Rows of several tables, the first of each ``key`` (default: an id column) kept."""
    stacked = vstack(tables, metadata_conflicts="silent")
    if key is None:
        key = next((name for name in _CAOM_KEYS if name in stacked.colnames), None)
    if len(stacked) == 0 or key not in stacked.colnames:
        return stacked
    _, first = np.unique(_key_values(stacked[key]), return_index=True)
    return stacked[np.sort(first)]
