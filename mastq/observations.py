"""
`Observations`: the CAOM observation queries of MAST, as astronomers type them.

The names are astroquery.mast's (`ObservationsClass.query_region`, ``query_object``,
``query_criteria``, the ``*_count`` variants, ``get_metadata``, ``list_missions``,
``resolve_object``, ``get_product_list``), so ``Observations`` is a drop-in for the
common calls; positions follow `mastq.inputs` (any frame, any angular unit), criteria
`mastq.criteria` (quantities and times in ranges), and the results carry units,
descriptions and masks.
"""

import logging

from astropy.table import Table

from .auth import LoginMixin
from .batch import ConeSource, many_positions, position_targets
from .columns import type_name
from .exceptions import InvalidQueryError, ProtocolError
from .inputs import cone_params
from .products import ProductQueries
from .queries import DEFAULT_RADIUS, RegionQueries
from .split import RowQuery, cap_rows, check_max_rows, run_query

__all__ = ["ObservationsClass", "Observations", "CAOM_CROSSMATCH"]

CAOM_CROSSMATCH = "Mast.Caom.Crossmatch"
"""MAST's server-side crossmatch of positions with CAOM observations."""

log = logging.getLogger(__name__)

_META_NAMES = (
    "Column Name",
    "Column Label",
    "Data Type",
    "Units",
    "Description",
    "Examples/Valid Values",
)


class ObservationsClass(LoginMixin, ProductQueries, RegionQueries):
    """
    Search MAST's CAOM observations (all missions).

    Parameters
    ----------
    client : mastq.services.ServiceClient, optional
        The service door to use; default a new one.
    mast_token : str, optional
        A MAST API token to log in with (see `login`).

    Examples
    --------
    >>> import astropy.units as u
    >>> from mastq.observations import Observations
    >>> obs = Observations.query_criteria(objectname="M101", obs_collection="HST",
    ...                                   t_exptime=(100 * u.s, None))
    >>> obs["t_exptime"].unit, bool((obs["t_exptime"] >= 100).all())
    (Unit("s"), True)
    """

    _cone_service = "Mast.Caom.Cone"
    _filtered_service = "Mast.Caom.Filtered"
    _position_service = "Mast.Caom.Filtered.Position"
    _crossmatch_service = CAOM_CROSSMATCH
    _columns_config_id = "Mast.Caom.Cone"
    _key = "obsid"
    _dec_column = "s_dec"

    def query_region(
        self,
        coordinates,
        *,
        radius=DEFAULT_RADIUS,
        pagesize=None,
        page=None,
        times=False,
        cache=None,
        executor=None,
        max_rows=None,
    ):
        """
        Observations within ``radius`` of a position (``Mast.Caom.Cone``).

        Parameters
        ----------
        coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec)
            Any frame (converted to ICRS); strings and bare numbers in degrees.  A
            SkyCoord array searches every position (by ``Mast.Caom.Crossmatch``, see
            `mastq.batch`).
        radius : `~astropy.units.Quantity`, `~astropy.coordinates.Angle` or float
            Any angular unit; a bare number means degrees.  Default 0.2 deg.  With a
            SkyCoord array, also a Quantity array of one radius per position.
        pagesize, page : int, optional
            Rows per page and one page to return (default: every page).
        times : bool, optional
            Return ``t_min``, ``t_max``, ``t_obs_release`` as `~astropy.time.Time`.
        cache : bool, optional
            Use the persistent query cache; default `mastq.conf.cache`.
        executor : `concurrent.futures.Executor`, optional
            Runs the requests of many positions (e.g. dask's ``Client.get_executor()``);
            default a thread pool of ``conf.batch_workers``.
        max_rows : int, optional
            Return at most this many rows (the nearest); default every row, even beyond
            MAST's row limit (see `mastq.split`).

        Returns
        -------
        `~astropy.table.Table`
            With units (``s_ra`` deg, ``t_min`` d, ``em_min`` nm, ``t_exptime`` s,
            ``distance`` arcsec) and masked nulls.  For many positions: one table in
            input order starting with ``target_index``, ``target_ra``, ``target_dec``;
            failed positions in ``meta["failed_targets"]``.
            ``distance`` arcsec) and masked nulls, sorted by distance (a result split
            in parts: by declination band, then distance; see `mastq.split`).
            ``meta["split_parts"]`` when it was run in parts; ``meta["truncated"]``.

        Raises
        ------
        InvalidQueryError
            If the position, radius or ``max_rows`` is not valid.

        Warns
        -----
        MaxResultsWarning
            When ``max_rows`` left rows out.

        Examples
        --------
        >>> import astropy.units as u
        >>> from astropy.coordinates import SkyCoord
        >>> from mastq import Observations
        >>> obs = Observations.query_region(SkyCoord(210.8, 54.35, unit="deg"),
        ...                                 radius=1 * u.arcmin)
        >>> len(obs), obs["distance"].unit
        (57, Unit("arcsec"))
        >>> obs["obsid"][:2].tolist()    # ids declared as text are str, as in astroquery
        ['2000009704', '2000049618']
        """
        check_max_rows(max_rows)
        if many_positions(coordinates):
            return cap_rows(
                self._many(
                    position_targets(coordinates, radius),
                    executor=executor,
                    pagesize=pagesize,
                    page=page,
                    times=times,
                    cache=cache,
                ),
                max_rows,
            )
        cone = cone_params(coordinates, radius)
        query = RowQuery(
            self._cone_service,
            cone,
            self._position_service,
            self._position_service,
            ([],),
            self._key,
            self._dec_column,
            {"position": _position(cone)},
        )
        return run_query(
            self._client,
            query,
            max_rows=max_rows,
            options=self._options(pagesize, page, times, cache),
        )

    def query_region_async(self, coordinates, *, radius=DEFAULT_RADIUS, pagesize=None, page=None):
        """
        The raw HTTP answers of `query_region` (as astroquery's ``query_region_async``).

        Parameters
        ----------
        coordinates, radius, pagesize, page
            As in `query_region`.

        Returns
        -------
        list of `requests.Response`
            One per page of the result.

        Raises
        ------
        InvalidQueryError
            If the position or radius is not valid.

        Examples
        --------
        >>> from mastq import Observations
        >>> responses = Observations.query_region_async("210.8 54.35", radius="1 arcmin")
        >>> len(responses), responses[0].json()["status"]
        (1, 'COMPLETE')
        """
        return self._client.responses(
            self._cone_service, cone_params(coordinates, radius), pagesize=pagesize, page=page
        )

    def query_criteria(
        self,
        *,
        coordinates=None,
        objectname=None,
        radius=None,
        resolver=None,
        pagesize=None,
        page=None,
        times=False,
        cache=None,
        max_rows=None,
        **criteria,
    ):
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
        resolver : {'SIMBAD', 'NED'}, optional
            The resolver of ``objectname``; default MAST's order.
        pagesize, page, times, cache, max_rows
            As in `query_region` (``max_rows`` keeps the first rows).
        **criteria
            Column name -> what to keep (names as in `get_metadata`; a few aliases such
            as ``mission``, ``instrument``, ``target``, ``exptime`` are accepted):

            - a value: ``obs_collection="HST"``, ``calib_level=3``;
            - a list (or set, array, Series...) means any of them (OR):
              ``obs_collection=["HST", "JWST"]``;
            - ``*`` is a wildcard in text: ``instrument_name="NIRCAM*"``,
              ``target_name=["*M101*", "NGC 5457"]``;
            - a ``(min, max)`` tuple (or MAST's ``{"min": a, "max": b}``) is an inclusive
              range, `None` for an open end: ``t_exptime=(100, None)``; on a continuous
              column a ``[min, max]`` list is a range too, as in astroquery; a list of
              ranges means any of them;
            - a `~astropy.units.Quantity` is converted to the column's unit:
              ``em_min=(500 * u.nm, 1 * u.um)``, ``t_exptime=(2 * u.min, None)``; a bare
              number is in the column's own unit (see ``Units`` in `get_metadata`);
            - a `~astropy.time.Time` (or an ISO date string) on a time column is converted
              to MJD: ``t_min=(Time("2023-01-01"), Time("2023-06-30"))``;
            - `mastq.criteria.Not` of a range keeps what lies outside it:
              ``t_exptime=Not((0, 200))``.

            Several criteria must all hold (AND).

        Returns
        -------
        `~astropy.table.Table`
            Every matching row, even beyond MAST's row limit (see `mastq.split`).

        Raises
        ------
        InvalidQueryError
            Unknown criterion (with a did-you-mean), a bad value, no criterion at all.
        ResolverError
            If ``objectname`` does not resolve.

        Examples
        --------
        >>> import astropy.units as u
        >>> from astropy.time import Time
        >>> from mastq import Observations
        >>> from mastq.criteria import Not
        >>> obs = Observations.query_criteria(objectname="M101", radius=3 * u.arcmin,
        ...                                   obs_collection=["HST", "JWST"],
        ...                                   t_exptime=(100 * u.s, None))
        >>> len(obs), sorted(set(obs["obs_collection"].tolist()))
        (45, ['HST', 'JWST'])
        >>> nircam = Observations.query_criteria(
        ...     obs_collection="JWST", instrument_name="NIRCAM*",
        ...     t_min=(Time("2023-01-01"), Time("2023-06-30")))
        >>> len(nircam), set(nircam["instrument_name"].tolist())
        (156, {'NIRCAM/IMAGE'})
        >>> long = Observations.query_criteria(obs_collection="TESS", t_exptime=Not((0, 200)))
        >>> bool((long["t_exptime"] > 200).all())
        True
        >>> Observations.query_criteria(obs_colection="HST")
        Traceback (most recent call last):
        ...
        mastq.exceptions.InvalidQueryError: ...obs_colection...obs_collection...
        """
        check_max_rows(max_rows)
        plan = self._criteria_plan(coordinates, objectname, radius, resolver, criteria)
        query = RowQuery(
            plan.service,
            {},
            plan.service,
            plan.service,
            plan.filter_sets,
            self._key,
            self._dec_column,
            plan.extra,
        )
        return run_query(
            self._client,
            query,
            max_rows=max_rows,
            options=self._options(pagesize, page, times, cache),
        )

    def query_criteria_async(
        self,
        *,
        coordinates=None,
        objectname=None,
        radius=None,
        resolver=None,
        pagesize=None,
        page=None,
        **criteria,
    ):
        """
        The raw HTTP answers of `query_criteria` (as astroquery's ``query_criteria_async``).

        Parameters
        ----------
        coordinates, objectname, radius, resolver, pagesize, page, **criteria
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

        Examples
        --------
        >>> from mastq import Observations
        >>> responses = Observations.query_criteria_async(obs_collection="JWST",
        ...                                               instrument_name="NIRCAM*")
        >>> [r.json()["status"] for r in responses]
        ['COMPLETE']
        """
        plan = self._criteria_plan(coordinates, objectname, radius, resolver, criteria)
        return self._run_plan_async(plan, pagesize=pagesize, page=page)

    def _cone_source(self):
        """The services of many-target cone searches (`mastq.batch.ConeSource`)."""
        return ConeSource(
            self._cone_service,
            self._position_service,
            "distance",
            self._crossmatch_service,
            position_string=True,
        )

    def _criteria_plan(self, coordinates, objectname, radius, resolver, criteria):
        cone = self._cone(coordinates, objectname, radius, resolver)
        if cone is None:
            return self._plan(
                criteria, service=self._filtered_service, config_id=self._columns_config_id
            )
        return self._plan(
            criteria,
            service=self._position_service,
            config_id=self._columns_config_id,
            extra={"position": _position(cone)},
        )

    def query_region_count(self, coordinates, *, radius=DEFAULT_RADIUS, executor=None):
        """
        Number of observations within ``radius`` of a position (no rows transferred).

        Parameters
        ----------
        coordinates, radius, executor
            As in `query_region`.

        Returns
        -------
        int or numpy.ndarray of int
            For a SkyCoord array, one count per position (masked where it failed).

        Raises
        ------
        InvalidQueryError
            If the position or radius is not valid.

        Examples
        --------
        >>> from mastq import Observations
        >>> Observations.query_region_count("210.8 54.35", radius=0.1)
        150
        """
        if many_positions(coordinates):
            return self._many(position_targets(coordinates, radius), count=True, executor=executor)
        position = _position(cone_params(coordinates, radius))
        return self._count(self._position_service, {"filters": [], "position": position})

    def query_criteria_count(
        self, *, coordinates=None, objectname=None, radius=None, resolver=None, **criteria
    ):
        """
        Number of observations matching criteria (server-side ``COUNT_BIG(*)``).

        Parameters
        ----------
        coordinates, objectname, radius, resolver, **criteria
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

        Examples
        --------
        >>> from mastq import Observations
        >>> Observations.query_criteria_count(obs_collection="HST", dataproduct_type="image")
        7118
        """
        plan = self._criteria_plan(coordinates, objectname, radius, resolver, criteria)
        return self._count_plan(plan, key=self._key)

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
            (astroquery's column names; as there, a property no column has is left out).

        Raises
        ------
        InvalidQueryError
            If ``query_type`` is neither.

        Examples
        --------
        >>> from mastq import Observations
        >>> meta = Observations.get_metadata("observations")
        >>> meta[meta["Column Name"] == "t_exptime"]["Units"].tolist()
        ['sec']
        """
        kinds = {"observations": "Mast.Caom.Cone", "products": "Mast.Caom.Products"}
        kind = str(query_type).lower()
        if kind not in kinds:
            raise InvalidQueryError(
                f"query_type must be 'observations' or 'products', got {query_type!r}"
            )
        return _metadata_table(self._client.column_entries(kinds[kind]))

    def list_missions(self):
        """
        The missions (``obs_collection`` values) MAST holds observations of.

        Returns
        -------
        list of str
            Sorted.

        Examples
        --------
        >>> from mastq import Observations
        >>> Observations.list_missions()[:4]
        ['GALEX', 'HST', 'IUE', 'JWST']
        """
        document = self._client.document("Mast.Caom.All", {}, format="extjs")
        for column in document.get("Columns") or []:
            if column.get("text") == "obs_collection":
                histogram = (column.get("ExtendedProperties") or {}).get("histObj") or {}
                return sorted(name for name in histogram if name != "hist")
        raise ProtocolError(
            "Mast.Caom.All has no obs_collection histogram", service="Mast.Caom.All"
        )


def _position(cone):
    """The ``position`` param (``"ra, dec, radius"`` in degrees) of a CAOM query."""
    return f"{cone['ra']}, {cone['dec']}, {cone['radius']}"


def _metadata_table(config):
    rows = []
    for name, entry in config.items():
        if name == "_selected_" or not isinstance(entry, dict) or entry.get("remove"):
            continue
        datatype = type_name(entry.get("type") or entry.get("vot.datatype"))
        rows.append(
            (
                name,
                entry.get("text", name),
                datatype,
                entry.get("unit") or entry.get("vot.unit") or "",
                entry.get("vot.description", ""),
                entry.get("example", ""),
            )
        )
    table = Table(rows=rows or None, names=_META_NAMES, dtype=[str] * len(_META_NAMES))
    # as astroquery: a property no column has (e.g. examples of products) is left out
    table.remove_columns([name for name in table.colnames if not any(table[name])])
    return table


Observations = ObservationsClass()
"""The shared `ObservationsClass` (thread-safe)."""
