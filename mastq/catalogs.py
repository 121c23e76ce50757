"""
`Catalogs`: MAST's catalog cone and criteria queries (TIC, CTL, Gaia DR3 and others).

The names are astroquery.mast's (`CatalogsClass.query_region`, ``query_object``,
``query_criteria`` and their ``*_count`` variants); positions follow `mastq.inputs`,
criteria `mastq.criteria`, and results carry units from the catalog's column metadata,
exactly as for `mastq.observations.Observations`.
"""

import difflib
import logging
from dataclasses import dataclass

import astropy.units as u

from .auth import LoginMixin
from .exceptions import InvalidQueryError
from .inputs import cone_params
from .queries import DEFAULT_RADIUS, RegionQueries
from .split import RowQuery, check_max_rows, run_query

__all__ = ["CatalogSpec", "CATALOGS", "catalog_spec", "CatalogsClass", "Catalogs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogSpec:
    """
    How one catalog is served.

    Parameters
    ----------
    name : str
        The name of its services (``"Tic"`` in ``Mast.Catalogs.Tic.Cone``).
    config_id : str
        The columns config of its criteria.
    key : str
        Its unique id column.
    rows_variant : bool
        Use the faster ``.Rows`` variant for criteria rows (it cannot count).
    """

    name: str
    config_id: str
    key: str
    rows_variant: bool = False

    @property
    def cone_service(self):
        """``Mast.Catalogs.<name>.Cone``."""
        return f"Mast.Catalogs.{self.name}.Cone"

    def filtered_service(self, *, position, rows):
        """``Mast.Catalogs.Filtered.<name>[.Position][.Rows]``."""
        service = f"Mast.Catalogs.Filtered.{self.name}"
        if position:
            service += ".Position"
        return service + (".Rows" if rows and self.rows_variant else "")


CATALOGS = {
    "tic": CatalogSpec("Tic", "Mast.Catalogs.Tess.Cone", "ID", rows_variant=True),
    "ctl": CatalogSpec("Ctl", "Mast.Catalogs.Tess.Cone", "ID", rows_variant=True),
    "gaiadr3": CatalogSpec("GaiaDR3", "Mast.Catalogs.GaiaDR3.Cone", "source_id"),
    "diskdetective": CatalogSpec("DiskDetective", "Mast.Catalogs.Dd.Cone", "designation"),
}
"""Catalogs with criteria support, by lower-case name."""
_ALIASES = {"gaia": "gaiadr3", "tess": "tic", "dd": "diskdetective"}
_DEC_COLUMN = "dec"
"""The declination column of MAST's catalogs (the one a large query is split on)."""


def catalog_spec(catalog):
    """
    Find how ``catalog`` is served.

    Parameters
    ----------
    catalog : str
        ``"Tic"``, ``"Ctl"``, ``"GaiaDR3"`` (or ``"Gaia"``), ``"DiskDetective"``, in any
        case, or the name of another ``Mast.Catalogs.<name>.Cone`` service.

    Returns
    -------
    CatalogSpec

    Raises
    ------
    InvalidQueryError
        If ``catalog`` is not a name, or is a near miss of a known catalog.
    """
    if not isinstance(catalog, str) or not catalog.isidentifier():
        raise InvalidQueryError(f"catalog must be a catalog name such as 'Tic', 'Ctl' or "
                                f"'GaiaDR3', got {catalog!r}")
    key = _ALIASES.get(catalog.lower(), catalog.lower())
    if key in CATALOGS:
        return CATALOGS[key]
    close = difflib.get_close_matches(key, list(CATALOGS) + list(_ALIASES), n=1, cutoff=0.7)
    if close:
        name = CATALOGS[_ALIASES.get(close[0], close[0])].name
        raise InvalidQueryError(f"unknown catalog {catalog!r}; did you mean {name!r}?")
    return CatalogSpec(catalog, f"Mast.Catalogs.{catalog}.Cone", "ID")


class CatalogsClass(LoginMixin, RegionQueries):
    """
    Search MAST's catalogs.

    Parameters
    ----------
    client : mastq.services.ServiceClient, optional
        The service door to use; default a new one.

    Examples
    --------
    >>> from mastq.catalogs import Catalogs
    >>> stars = Catalogs.query_criteria("Tic", objectname="M101",
    ...                                 Tmag=(None, 12))  # doctest: +REMOTE_DATA
    """

    def query_region(self, coordinates, *, catalog="Tic", radius=DEFAULT_RADIUS,
                     pagesize=None, page=None, times=False, cache=None, max_rows=None):
        """
        Catalog rows within ``radius`` of a position (``Mast.Catalogs.<catalog>.Cone``).

        Parameters
        ----------
        coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec)
            Any frame (converted to ICRS); strings and bare numbers in degrees.
        catalog : str, optional
            ``"Tic"`` (default), ``"Ctl"``, ``"GaiaDR3"``... (see `catalog_spec`).
        radius : `~astropy.units.Quantity`, `~astropy.coordinates.Angle` or float
            Any angular unit; a bare number means degrees.  Default 0.2 deg.
        pagesize, page : int, optional
            Rows per page and one page to return (default: every page).
        times : bool, optional
            Return MJD columns as `~astropy.time.Time`.
        cache : bool, optional
            Use the persistent query cache; default `mastq.conf.cache`.
        max_rows : int, optional
            Return at most this many rows (the nearest); default every row, even beyond
            MAST's row limit (see `mastq.split`).

        Returns
        -------
        `~astropy.table.Table`
            With units from the catalog's column metadata and the separation in arcsec,
            named as MAST names it (``dstArcSec`` for TIC and CTL, ``distance`` for Gaia).
            ``meta["split_parts"]`` when it was run in parts; ``meta["truncated"]``.

        Raises
        ------
        InvalidQueryError
            If the position, radius, catalog or ``max_rows`` is not valid.

        Warns
        -----
        MaxResultsWarning
            When ``max_rows`` left rows out.
        """
        check_max_rows(max_rows)
        spec = catalog_spec(catalog)
        cone = cone_params(coordinates, radius)
        query = RowQuery(spec.cone_service, cone,
                         spec.filtered_service(position=True, rows=True),
                         spec.filtered_service(position=True, rows=False), ([],), spec.key,
                         _DEC_COLUMN, cone)
        return _distance_in_arcsec(run_query(self._client, query, max_rows=max_rows,
                                             options=self._options(pagesize, page, times, cache)))

    def query_region_async(self, coordinates, *, catalog="Tic", radius=DEFAULT_RADIUS,
                           pagesize=None, page=None):
        """
        The raw HTTP answers of `query_region` (as astroquery's ``query_region_async``).

        Parameters
        ----------
        coordinates, catalog, radius, pagesize, page
            As in `query_region`.

        Returns
        -------
        list of `requests.Response`
            One per page of the result.

        Raises
        ------
        InvalidQueryError
            If the position, radius or catalog is not valid.
        """
        return self._client.responses(catalog_spec(catalog).cone_service,
                                      cone_params(coordinates, radius),
                                      pagesize=pagesize, page=page)

    def query_region_count(self, coordinates, *, catalog="Tic", radius=DEFAULT_RADIUS):
        """
        Number of catalog rows within ``radius`` of a position (no rows transferred).

        Parameters
        ----------
        coordinates, catalog, radius
            As in `query_region`.

        Returns
        -------
        int

        Raises
        ------
        InvalidQueryError
            If the position, radius or catalog is not valid.
        """
        service = catalog_spec(catalog).filtered_service(position=True, rows=False)
        return self._count(service, {"filters": [], **cone_params(coordinates, radius)})

    def query_criteria(self, catalog, *, coordinates=None, objectname=None, radius=None,
                       resolver=None, pagesize=None, page=None, times=False, cache=None,
                       max_rows=None, **criteria):
        """
        Catalog rows matching column criteria, optionally around a position.

        Parameters
        ----------
        catalog : str
            ``"Tic"``, ``"Ctl"``, ``"GaiaDR3"``... (see `catalog_spec`).
        coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec), optional
            A position; or give ``objectname``.
        objectname : str, optional
            A name to resolve.
        radius : `~astropy.units.Quantity` or float, optional
            With a position; default 0.2 deg, a bare number means degrees.
        resolver : {'SIMBAD', 'NED'}, optional
            The resolver of ``objectname``; default MAST's order.
        pagesize, page, times, cache, max_rows
            As in `query_region` (``max_rows`` keeps the first rows).
        **criteria
            Column -> value(s), see `mastq.criteria.build_filter_sets`, e.g.
            ``Tmag=(None, 10)``, ``Teff=(5000 * u.K, 6000 * u.K)``, ``objType="STAR"``.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        InvalidQueryError
            Unknown criterion (with a did-you-mean), bad value, no criterion at all.
        ResolverError
            If ``objectname`` does not resolve.
        """
        check_max_rows(max_rows)
        spec, plan = self._criteria_plan(catalog, coordinates, objectname, radius, resolver,
                                         criteria, rows=True)
        counter = spec.filtered_service(position="ra" in plan.extra, rows=False)
        query = RowQuery(plan.service, {}, plan.service, counter, plan.filter_sets, spec.key,
                         _DEC_COLUMN, plan.extra)
        return _distance_in_arcsec(run_query(self._client, query, max_rows=max_rows,
                                             options=self._options(pagesize, page, times, cache)))

    def query_criteria_async(self, catalog, *, coordinates=None, objectname=None, radius=None,
                             resolver=None, pagesize=None, page=None, **criteria):
        """
        The raw HTTP answers of `query_criteria` (as astroquery's ``query_criteria_async``).

        Parameters
        ----------
        catalog, coordinates, objectname, radius, resolver, pagesize, page, **criteria
            As in `query_criteria`.

        Returns
        -------
        list of `requests.Response`
            One per page of each query (several wildcards of one column are several
            queries, whose rows the caller must union).

        Raises
        ------
        InvalidQueryError, ResolverError
            As in `query_criteria`.
        """
        _, plan = self._criteria_plan(catalog, coordinates, objectname, radius, resolver,
                                      criteria, rows=True)
        return self._run_plan_async(plan, pagesize=pagesize, page=page)

    def query_criteria_count(self, catalog, *, coordinates=None, objectname=None, radius=None,
                             resolver=None, **criteria):
        """
        Number of catalog rows matching criteria (server-side ``COUNT_BIG(*)``).

        Parameters
        ----------
        catalog, coordinates, objectname, radius, resolver, **criteria
            As in `query_criteria`.

        Returns
        -------
        int

        Raises
        ------
        InvalidQueryError, ResolverError
            As in `query_criteria`.
        """
        spec, plan = self._criteria_plan(catalog, coordinates, objectname, radius, resolver,
                                         criteria, rows=False)
        return self._count_plan(plan, key=spec.key)

    def _criteria_plan(self, catalog, coordinates, objectname, radius, resolver, criteria, *,
                       rows):
        spec = catalog_spec(catalog)
        cone = self._cone(coordinates, objectname, radius, resolver)
        service = spec.filtered_service(position=cone is not None, rows=rows)
        return spec, self._plan(criteria, service=service, config_id=spec.config_id,
                                extra=cone)


def _distance_in_arcsec(table):
    """Catalog cones give the separation in arcsec, which their column configs omit."""
    for name in ("distance", "dstArcSec"):
        if name in table.colnames and table[name].unit is None:
            table[name].unit = u.arcsec
    return table


Catalogs = CatalogsClass()
"""The shared `CatalogsClass` (thread-safe)."""
