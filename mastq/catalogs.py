"""
`Catalogs`: MAST's catalog queries, as astroquery.mast's ``CatalogsClass``.

Which catalogs exist, and how MAST serves each, is declared once in `mastq.registry`;
this module only reads it.  The defaults are astroquery's (``catalog="Hsc"``, Gaia's
DR2 without ``version``), positions follow `mastq.inputs`, criteria `mastq.criteria`
(or, for PanSTARRS, the catalogs REST API: `mastq.catalogs_rest`), and results carry
units from the catalog's column metadata.
"""

import difflib
import logging
import numbers
import shlex
import time
from pathlib import Path
from urllib.parse import quote

import astropy.units as u
from astropy.table import MaskedColumn, Row, Table

from . import conf, registry
from .auth import LoginMixin
from .batch import ConeSource, many_positions, position_targets
from .catalogs_rest import RestCatalogs
from .crossmatch import crossmatch_table
from .download import Downloader, Transfer, manifest, safe_name
from .exceptions import InvalidQueryError, TruncatedResultWarning, warn_user
from .inputs import cone_params
from .observations import CAOM_CROSSMATCH
from .queries import DEFAULT_RADIUS, RegionQueries
from .split import RowQuery, cap_rows, check_max_rows, run_query

__all__ = ["CatalogsClass", "Catalogs"]

log = logging.getLogger(__name__)

_SPECTRUM_COLUMNS = ("DatasetName", "SpectrumType")
_DEC_COLUMN = "dec"
"""The declination column of MAST's criteria catalogs (a large query is split on it)."""


class CatalogsClass(LoginMixin, RegionQueries):
    """
    Search MAST's catalogs (`list_catalogs` says which).

    Parameters
    ----------
    client : mastq.services.ServiceClient, optional
        The service door to use; default a new one.
    mast_token : str, optional
        A MAST API token to log in with at once (see `login`).

    Examples
    --------
    >>> from mastq.catalogs import Catalogs
    >>> stars = Catalogs.query_criteria("Tic", objectname="M101",
    ...                                 Tmag=(None, 12))
    >>> len(stars), bool(stars["Tmag"].max() <= 12)
    (37, True)
    """

    def __init__(self, *, client=None, mast_token=None):
        super().__init__(client=client, mast_token=mast_token)
        self._rest = RestCatalogs(self._client.transport)

    @staticmethod
    def list_catalogs():
        """
        The catalogs mastq reaches, from `mastq.registry`.

        Returns
        -------
        `~astropy.table.Table`
            ``name`` (what ``catalog=`` takes), ``versions``, ``default_version`` (what
            no ``version`` means), ``criteria`` (whether `query_criteria` applies) and
            ``description``.

        Examples
        --------
        >>> from mastq.catalogs import Catalogs
        >>> "Gaia" in Catalogs.list_catalogs()["name"]
        True
        """
        rows = registry.catalogs()
        return Table(
            {
                "name": [r["name"] for r in rows],
                "versions": [", ".join(map(str, r["versions"])) for r in rows],
                "default_version": [
                    "" if r["default_version"] is None else str(r["default_version"]) for r in rows
                ],
                "criteria": [r["criteria"] for r in rows],
                "description": [r["description"] for r in rows],
            }
        )

    def query_region(
        self,
        coordinates,
        *,
        radius=DEFAULT_RADIUS,
        catalog="Hsc",
        version=None,
        pagesize=None,
        page=None,
        times=False,
        cache=None,
        executor=None,
        max_rows=None,
        **criteria,
    ):
        """
        Catalog rows within ``radius`` of a position.

        Parameters
        ----------
        coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec)
            Any frame (converted to ICRS); strings and bare numbers in degrees.  A
            SkyCoord array searches every position (by ``Mast.<catalog>.Crossmatch``
            where MAST has one, else one cone each; see `mastq.batch`).
        radius : `~astropy.units.Quantity`, `~astropy.coordinates.Angle` or float
            Any angular unit; a bare number means degrees.  Default 0.2 deg.  With a
            SkyCoord array, also a Quantity array of one radius per position.
        catalog : str, optional
            Default ``"Hsc"`` (as astroquery); see `list_catalogs`.
        version : int or str, optional
            The release (``catalog="Gaia", version=3``); default the catalog's
            (astroquery's: Gaia DR2, HSC v3, PanSTARRS dr2).
        pagesize, page : int, optional
            Rows per page and one page to return (default: every page).
        times : bool, optional
            Return MJD columns as `~astropy.time.Time`.
        cache : bool, optional
            Use the persistent query cache; default `mastq.conf.cache`.
        executor : `concurrent.futures.Executor`, optional
            Runs the requests of many positions (e.g. dask's ``Client.get_executor()``);
            default a thread pool of ``conf.batch_workers``.
        max_rows : int, optional
            Return at most this many rows (the nearest); default every row, even beyond
            MAST's row limit for the criteria catalogs (see `mastq.split`).
        **criteria
            The catalog's own parameters: HSC ``nr`` (row cap, 50000), ``ni``,
            ``magtype``; GALEX ``maxrecords`` (row cap, 50000); PanSTARRS ``table``
            (mean, stack, detection), ``data_release``, ``columns``, ``sort_by`` and
            column criteria (see `query_criteria`).

        Returns
        -------
        `~astropy.table.Table`
            With units from the catalog's column metadata.  For a capped service
            ``meta["row_cap"]`` is the cap and ``meta["truncated"]`` tells whether the
            rows reached it (then a `~mastq.exceptions.TruncatedResultWarning`, a
            ``MaxResultsWarning``, says the result is probably incomplete).  For many
            positions: one table in input order starting with ``target_index``,
            ``target_ra``, ``target_dec``; failed positions in ``meta["failed_targets"]``.
            ``MaxResultsWarning``, says the result is probably incomplete).
            ``meta["split_parts"]`` when it was run in parts (see `mastq.split`).

        Raises
        ------
        InvalidQueryError
            If the position, radius, catalog, version, ``max_rows`` or a parameter is
            not valid.
        """
        check_max_rows(max_rows)
        if many_positions(coordinates):
            return cap_rows(
                self._many(
                    position_targets(coordinates, radius),
                    catalog=catalog,
                    version=version,
                    executor=executor,
                    pagesize=pagesize,
                    page=page,
                    times=times,
                    cache=cache,
                    **criteria,
                ),
                max_rows,
            )
        release, criteria = _release(catalog, version, criteria)
        cone = cone_params(coordinates, radius)
        if release.catalog.rest:
            return cap_rows(
                self._rest.query(
                    release, cone, criteria, pagesize=pagesize, page=page, position_only=True
                ),
                max_rows,
            )
        params = {**cone, **_cone_extras(release, criteria)}
        options = self._options(pagesize, page, times, cache)
        if not release.catalog.criteria or release.catalog.cap is not None:
            table = self._client.service_request(release.cone_service, params, **options)
            return cap_rows(self._finish(table, release, params), max_rows)
        query = RowQuery(
            release.cone_service,
            params,
            release.filtered_service(position=True, rows=True),
            release.filtered_service(position=True),
            ([],),
            release.key,
            _DEC_COLUMN,
            cone,
        )
        table = run_query(self._client, query, options=options, max_rows=max_rows)
        return self._finish(table, release, params)

    def query_region_async(
        self,
        coordinates,
        *,
        radius=DEFAULT_RADIUS,
        catalog="Hsc",
        version=None,
        pagesize=None,
        page=None,
        **criteria,
    ):
        """
        The raw HTTP answers of `query_region` (as astroquery's ``query_region_async``).

        Parameters
        ----------
        coordinates, radius, catalog, version, pagesize, page, **criteria
            As in `query_region`.

        Returns
        -------
        list of `requests.Response`
            One per page of the result.

        Raises
        ------
        InvalidQueryError
            If the position, radius, catalog or a parameter is not valid.
        """
        release, criteria = _release(catalog, version, criteria)
        cone = cone_params(coordinates, radius)
        if release.catalog.rest:
            return [
                self._rest.query(
                    release,
                    cone,
                    criteria,
                    pagesize=pagesize,
                    page=page,
                    position_only=True,
                    with_response=True,
                )[1]
            ]
        return self._client.responses(
            release.cone_service,
            {**cone, **_cone_extras(release, criteria)},
            pagesize=pagesize,
            page=page,
        )

    def query_region_count(
        self,
        coordinates,
        *,
        radius=DEFAULT_RADIUS,
        catalog="Hsc",
        version=None,
        executor=None,
        **criteria,
    ):
        """
        Number of catalog rows within ``radius`` of a position.

        Catalogs with criteria services count on the server (no rows transferred);
        the others (HSC, GALEX, PanSTARRS) count the rows of the cone.

        Parameters
        ----------
        coordinates, radius, catalog, version, executor, **criteria
            As in `query_region`.

        Returns
        -------
        int or numpy.ndarray of int
            For a SkyCoord array, one count per position (masked where it failed).

        Raises
        ------
        InvalidQueryError
            If the position, radius, catalog or a parameter is not valid.
        """
        if many_positions(coordinates):
            return self._many(
                position_targets(coordinates, radius),
                count=True,
                catalog=catalog,
                version=version,
                executor=executor,
                **criteria,
            )
        release, criteria = _release(catalog, version, criteria)
        cone = cone_params(coordinates, radius)
        if release.catalog.criteria and not criteria:
            service = release.filtered_service(position=True)
            return self._count(service, {"filters": [], **cone})
        if release.catalog.rest:
            criteria.setdefault("columns", [release.key])
            return len(
                self._rest.query(release, cone, criteria, position_only=True, warn_empty=False)
            )
        params = {**cone, **_cone_extras(release, criteria)}
        return len(self._client.service_request(release.cone_service, params, warn_empty=False))

    def query_criteria(
        self,
        catalog,
        *,
        coordinates=None,
        objectname=None,
        radius=None,
        resolver=None,
        version=None,
        pagesize=None,
        page=None,
        times=False,
        cache=None,
        max_rows=None,
        **criteria,
    ):
        """
        Catalog rows matching column criteria, optionally around a position.

        Parameters
        ----------
        catalog : str
            A catalog with criteria (TIC, CTL, Gaia, Disk Detective, PanSTARRS; see
            `list_catalogs`).
        coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec), optional
            A position; or give ``objectname``.
        objectname : str, optional
            A name to resolve.
        radius : `~astropy.units.Quantity` or float, optional
            With a position; default 0.2 deg, a bare number means degrees.
        resolver : {'SIMBAD', 'NED'}, optional
            The resolver of ``objectname``; default MAST's order.
        version : int or str, optional
            The release, as in `query_region`.
        pagesize, page, times, cache, max_rows
            As in `query_region` (``max_rows`` keeps the first rows).
        **criteria
            Column -> value(s), see `mastq.criteria.build_filter_sets`, e.g.
            ``Tmag=(None, 10)``, ``Teff=(5000 * u.K, 6000 * u.K)``, ``objType="STAR"``.
            PanSTARRS takes the catalogs API's forms (``nDetections=[("gte", 10)]``)
            and ``table``, ``data_release``, ``columns``, ``sort_by``; every name is
            checked against the table's metadata.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        InvalidQueryError
            Unknown criterion (with a did-you-mean), bad value, no criterion at all,
            or a catalog MAST takes no criteria for.
        ResolverError
            If ``objectname`` does not resolve.
        """
        check_max_rows(max_rows)
        release, criteria = _release(catalog, version, criteria)
        cone = self._cone(coordinates, objectname, radius, resolver)
        if release.catalog.rest:
            return cap_rows(
                self._rest.query(release, cone, criteria, pagesize=pagesize, page=page), max_rows
            )
        plan = self._criteria_plan(release, cone, criteria, rows=True)
        query = RowQuery(
            plan.service,
            {},
            plan.service,
            release.filtered_service(position=cone is not None),
            plan.filter_sets,
            release.key,
            _DEC_COLUMN,
            plan.extra,
        )
        table = run_query(
            self._client,
            query,
            max_rows=max_rows,
            options=self._options(pagesize, page, times, cache),
        )
        return self._finish(table, release, {})

    def query_criteria_async(
        self,
        catalog,
        *,
        coordinates=None,
        objectname=None,
        radius=None,
        resolver=None,
        version=None,
        pagesize=None,
        page=None,
        **criteria,
    ):
        """
        The raw HTTP answers of `query_criteria` (as astroquery's ``query_criteria_async``).

        Parameters
        ----------
        catalog, coordinates, objectname, radius, resolver, version, pagesize, page, **criteria
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
        release, criteria = _release(catalog, version, criteria)
        cone = self._cone(coordinates, objectname, radius, resolver)
        if release.catalog.rest:
            return [
                self._rest.query(
                    release, cone, criteria, pagesize=pagesize, page=page, with_response=True
                )[1]
            ]
        plan = self._criteria_plan(release, cone, criteria, rows=True)
        return self._run_plan_async(plan, pagesize=pagesize, page=page)

    def query_criteria_count(
        self,
        catalog,
        *,
        coordinates=None,
        objectname=None,
        radius=None,
        resolver=None,
        version=None,
        **criteria,
    ):
        """
        Number of catalog rows matching criteria (server-side ``COUNT_BIG(*)``).

        Parameters
        ----------
        catalog, coordinates, objectname, radius, resolver, version, **criteria
            As in `query_criteria`.

        Returns
        -------
        int
            For PanSTARRS, the rows of the query (only the id column transferred).

        Raises
        ------
        InvalidQueryError, ResolverError
            As in `query_criteria`.
        """
        release, criteria = _release(catalog, version, criteria)
        cone = self._cone(coordinates, objectname, radius, resolver)
        if release.catalog.rest:
            criteria["columns"] = [release.key]
            return len(self._rest.query(release, cone, criteria, warn_empty=False))
        plan = self._criteria_plan(release, cone, criteria, rows=False)
        return self._count_plan(plan, key=release.key)

    def query_hsc_matchid(
        self, match, *, version=3, pagesize=None, page=None, times=False, cache=None
    ):
        """
        Every measurement of one Hubble Source Catalog match (``Mast.HscMatches.Db.v3``).

        Parameters
        ----------
        match : int, str or `~astropy.table.Row`
            The ``MatchID``, or an HSC row (its ``MatchID`` is used).
        version : {3, 2}, optional
            The HSC version (default 3, as astroquery).
        pagesize, page, times, cache
            As in `query_region`.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        InvalidQueryError
            If ``match`` is not an id or the version is not one of HSC's.
        """
        release = registry.lookup("Hsc", version=version)
        return self._client.service_request(
            release.matches_service,
            {"input": _match_id(match, release)},
            **self._options(pagesize, page, times, cache),
        )

    def get_hsc_spectra(self, *, pagesize=None, page=None, times=False, cache=None):
        """
        The list of every Hubble Source Catalog spectrum (``Mast.HscSpectra.Db.All``).

        Parameters
        ----------
        pagesize, page, times, cache
            As in `query_region`.

        Returns
        -------
        `~astropy.table.Table`
            One row per spectrum (``DatasetName``, ``SpectrumType``, ``MatchID``...).
        """
        return self._client.service_request(
            registry.spectra_service(), {}, **self._options(pagesize, page, times, cache)
        )

    def download_hsc_spectra(self, spectra, *, download_dir=None, cache=True, curl_flag=False):
        """
        Download Hubble Source Catalog spectra from the HLA (`mastq.conf` ``hla_server``).

        The files go to ``<download_dir>/mastDownload/HSC/<DatasetName>.fits`` through
        `mastq.download.Downloader` (parallel, verified, resumable).

        Parameters
        ----------
        spectra : `~astropy.table.Table` or `~astropy.table.Row`
            Rows of `get_hsc_spectra` (``DatasetName``, ``SpectrumType``).
        download_dir : str or path, optional
            Default the current folder.
        cache : bool, optional
            Keep files already downloaded and verified (default).
        curl_flag : bool, optional
            Write a curl script ``mastDownload_<time>.sh`` fetching them instead.

        Returns
        -------
        `~astropy.table.Table`
            The manifest: ``Local Path``, ``Status``, ``Message``, ``URL`` (as
            astroquery), then ``Size``, ``SHA256``, ``Fetched`` (without ``curl_flag``).

        Raises
        ------
        InvalidQueryError
            If ``spectra`` is not a table or row of spectra.
        DownloadError
            If the files need more than the free disk space.
        """
        rows = [spectra] if isinstance(spectra, Row) else spectra
        if not isinstance(rows, (Table, list)) or any(
            name not in row.colnames for row in rows for name in _SPECTRUM_COLUMNS
        ):
            raise InvalidQueryError(
                f"spectra must be rows of get_hsc_spectra (with "
                f"{', '.join(_SPECTRUM_COLUMNS)}), got "
                f"{type(spectra).__name__}"
            )
        root = Path(download_dir or ".")
        urls = [_spectrum_url(row) for row in rows]
        if curl_flag:
            return _curl_script(root, urls, [f"{row['DatasetName']}.fits" for row in rows])
        base = root / "mastDownload" / "HSC"
        plan = [
            Transfer(url, base / safe_name(f"{row['DatasetName']}.fits"))
            for url, row in zip(urls, rows, strict=True)
        ]
        base.mkdir(parents=True, exist_ok=True)
        return manifest(plan, Downloader().run(plan, cache=cache))

    def crossmatch(
        self, table, *, catalog, radius, ra_col="ra", dec_col="dec", nearest=False, executor=None
    ):
        """
        Match the rows of a table to a catalog, server-side (``Mast.<catalog>.Crossmatch``).

        The positions go up in chunks of ``conf.crossmatch_chunk`` rows, concurrently,
        so many thousand rows cost a few requests.

        Parameters
        ----------
        table : `~astropy.table.Table`
            The user's rows; its position columns in degrees (or angular units).
        catalog : str
            ``"Tic"``, ``"Ctl"``, ``"GaiaDR3"``, ``"Galex"``, ``"Hsc"`` or ``"Caom"``
            (observations): the catalogs MAST crossmatches (`mastq.crossmatch`).
        radius : `~astropy.units.Quantity`, `~astropy.coordinates.Angle` or float
            Match radius; a bare number means degrees.
        ra_col, dec_col : str, optional
            The position columns of ``table``.
        nearest : bool, optional
            Keep only the nearest match of each row (default: every match).
        executor : `concurrent.futures.Executor`, optional
            Runs the chunks; default a thread pool of ``conf.batch_workers``.

        Returns
        -------
        `~astropy.table.Table`
            Every row of ``table`` (repeated once per match), then the catalog's columns
            (masked where nothing matched; a name ``table`` already has gets the suffix
            ``_match``) and ``separation`` (arcsec).

        Raises
        ------
        InvalidQueryError
            If the catalog has no crossmatch, or the table, columns or radius are not valid.

        Examples
        --------
        >>> from astropy.table import Table
        >>> from mastq import Catalogs
        >>> mine = Table({"ra": [210.80, 10.68], "dec": [54.35, 41.27]})
        >>> matched = Catalogs.crossmatch(mine, catalog="Tic",
        ...                               radius=0.01)  # doctest: +REMOTE_DATA
        """
        service = _crossmatch_service(catalog)
        return crossmatch_table(
            self._client,
            table,
            service=service,
            radius=radius,
            ra_col=ra_col,
            dec_col=dec_col,
            nearest=bool(nearest),
            executor=executor,
        )

    def _cone_source(self, *, catalog="Hsc", version=None, **criteria):
        """The services of many-target cone searches (`mastq.batch.ConeSource`)."""
        release, criteria = _release(catalog, version, criteria)
        if release.catalog.rest:
            raise InvalidQueryError(
                f"{release.label} is searched through the catalogs REST "
                f"API, one position at a time; loop over the positions"
            )
        extras = _cone_extras(release, criteria)
        counts_on_server = release.catalog.criteria and not criteria
        return ConeSource(
            release.cone_service,
            release.filtered_service(position=True) if counts_on_server else None,
            release.catalog.separation,
            # a crossmatch takes ra, dec and radius only: cones with parameters run one by one
            release.crossmatch_service if not extras else None,
            extra=extras,
        )

    def _criteria_plan(self, release, cone, criteria, *, rows):
        service = release.filtered_service(position=cone is not None, rows=rows)
        return self._plan(criteria, service=service, config_id=release.config_id, extra=cone)

    def _finish(self, table, release, params):
        """Separation in arcsec, the row cap checked."""
        _distance_in_arcsec(table)
        cap = release.catalog.cap
        if cap is not None:
            limit = int(params[cap])
            table.meta["row_cap"] = limit
            table.meta["truncated"] = len(table) == limit
            if table.meta["truncated"]:
                warn_user(
                    f"{release.label} returned exactly {cap}={limit} rows, its cap: "
                    f"the result is probably incomplete (raise {cap} or narrow the "
                    f"radius)",
                    TruncatedResultWarning,
                )
        return table


def _crossmatch_service(catalog):
    """The server-side crossmatch of ``catalog`` (a catalog, its release, or ``"Caom"``)."""
    if isinstance(catalog, str) and catalog.lower() == "caom":
        return CAOM_CROSSMATCH
    release = registry.lookup(catalog)
    if release.crossmatch_service is None:
        offered = [c.release(v).label for c in registry.declared() for v in c.crossmatch]
        raise InvalidQueryError(
            f"{release.label} has no server-side crossmatch at MAST; "
            f"use Caom or one of: {', '.join(offered)}"
        )
    return release.crossmatch_service


def _release(catalog, version, criteria):
    """The `Release` asked for (``data_release`` is PanSTARRS's ``version``), criteria left."""
    criteria = dict(criteria)
    data_release = criteria.pop("data_release", None)
    release = registry.lookup(catalog, version=version if data_release is None else None)
    if data_release is not None:
        if not release.catalog.rest:
            raise InvalidQueryError(
                f"data_release applies to the catalogs REST API "
                f"(PanSTARRS), not to {release.catalog.name}; use version"
            )
        if (
            version is not None
            and release.catalog.release(version).version
            != release.catalog.release(data_release).version
        ):
            raise InvalidQueryError(
                f"version={version!r} and data_release={data_release!r} disagree"
            )
        release = release.catalog.release(data_release)
    return release, criteria


def _cone_extras(release, criteria):
    """The catalog's own cone parameters (HSC ``nr``...), defaults filled, others refused."""
    defaults = release.catalog.cone_params
    unknown = [name for name in criteria if name not in defaults]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(defaults), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        allowed = f" (it takes {', '.join(defaults)})" if defaults else ""
        raise InvalidQueryError(
            f"Filter {unknown[0]!r} does not exist for catalog "
            f"{release.catalog.name}{hint}{allowed}; column criteria "
            f"go to query_criteria"
        )
    extras = dict(defaults, **criteria)
    for name, value in extras.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise InvalidQueryError(f"{name} must be a non-negative integer, got {value!r}")
    return extras


def _match_id(match, release):
    """The ``MatchID`` as MAST's ``input`` takes it (a str)."""
    if isinstance(match, Row):
        match = match[release.key]
    text = str(match).strip()
    if not text.isdigit():
        raise InvalidQueryError(
            f"match must be an HSC MatchID (an integer) or an HSC row, got {match!r}"
        )
    return text


def _spectrum_url(row):
    """The HLA URL of one spectrum (astroquery's): grism spectra by ``file_id``."""
    root, name = str(conf.hla_server).rstrip("/"), quote(str(row["DatasetName"]))
    if int(row["SpectrumType"]) < 2:
        return f"{root}/cgi-bin/getdata.cgi?config=ops&dataset={name}"
    return f"{root}/cgi-bin/ecfproxy?file_id={name}.fits"


def _curl_script(root, urls, names):
    """Write a curl script fetching ``urls`` to ``HSC/<name>``; its one-row manifest."""
    stamp = "mastDownload_" + time.strftime("%Y%m%d%H%M%S")
    path = root / f"{stamp}.sh"
    lines = ["#!/bin/sh", f"mkdir -p {shlex.quote(stamp + '/HSC')}"]
    lines += [
        f"curl --globoff --location --fail --output "
        f"{shlex.quote(f'{stamp}/HSC/{safe_name(name)}')} {shlex.quote(url)}"
        for url, name in zip(urls, names, strict=True)
    ]
    status, message = "COMPLETE", None
    try:
        root.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    except OSError as exc:
        status, message = "ERROR", f"Curl script could not be written: {exc}"
    return Table(
        {
            "Local Path": [str(path)],
            "Status": [status],
            "Message": MaskedColumn([message or ""], mask=[message is None]),
            "URL": MaskedColumn([""], mask=[True]),
        }
    )


def _distance_in_arcsec(table):
    """Catalog cones give the separation in arcsec, which their column configs omit."""
    for name in ("distance", "dstArcSec"):
        if name in table.colnames and table[name].unit is None:
            table[name].unit = u.arcsec
    return table


Catalogs = CatalogsClass()
"""The shared `CatalogsClass` (thread-safe)."""
