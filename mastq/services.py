"""
`ServiceClient`: one MAST service request in, one astropy Table out.

``ServiceClient().service_request(service, params)`` builds a
`mastq.request.MashupRequest`, answers from the persistent query cache when it can,
and otherwise fetches every page through `mastq.transport.MastTransport` while the
service's column metadata is fetched alongside, then builds one astropy Table with
units, descriptions and masks.
"""

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit

from . import registry
from .cache import QueryCache
from .columns import ConfigStore, config_id
from .exceptions import InvalidQueryError, MastqError, MastqWarning, NoResultsWarning, warn_user
from .polling import Deadline
from .request import MashupRequest
from .settings import Settings
from .tables import build_table
from .transport import MastTransport

__all__ = ["ServiceClient"]

log = logging.getLogger(__name__)

_REQUEST_FIELDS = frozenset({"removenullcolumns", "timeout", "cachebreaker", "clearcache"})


class ServiceClient:
    """
    Access to any MAST service through the invoke API.

    Safe to share between threads: it holds a transport (a connection pool), a
    lock-protected store of column metadata and a cache handle; nothing per call.

    Parameters
    ----------
    transport : mastq.transport.MastTransport, optional
        Default: a new one.
    cache : mastq.cache.QueryCache, optional
        Default: the cache under `mastq.conf.cache_dir`.
    identity : str, optional
        A short, non-secret name of the credentials the transport sends (a hash of
        the MAST token, set at login; default ``""``: anonymous).  It joins every
        query cache key, so results fetched with one token are never served to
        another.

    Examples
    --------
    >>> client = ServiceClient()
    >>> table = client.service_request("Mast.Caom.Cone", {"ra": 210.8, "dec": 54.35,
    ...                                                   "radius": 0.05})
    >>> len(table), table["s_ra"].unit, table.meta["service"]
    (96, Unit("deg"), 'Mast.Caom.Cone')
    >>> client.document("Mast.Name.Lookup", {"input": "M31"})["resolvedCoordinate"][0]["ra"]
    10.684708
    >>> client.columns_config("Mast.Caom.Cone")["s_ra"].description
    'Observation Right Ascension'
    """

    def __init__(self, *, transport=None, cache=None, identity=""):
        if not isinstance(identity, str):
            raise TypeError(f"identity must be a str, got {type(identity).__name__}")
        self.transport = transport if transport is not None else MastTransport()
        self.cache = cache if cache is not None else QueryCache()
        self.identity = identity
        self._configs = ConfigStore()

    def columns_config(self, service, *, deadline=None, settings=None):
        """
        Return the column metadata of ``service`` (fetched once per server and config).

        Parameters
        ----------
        service : str
            A service name; the config that serves it is found by
            `mastq.columns.config_id` (or give a config id directly).
        deadline : mastq.polling.Deadline, optional
            Deadline of the fetch.
        settings : mastq.settings.Settings, optional
            Default: a fresh snapshot of `mastq.conf`.

        Returns
        -------
        mastq.columns.ColumnsConfig or None
            None for services without column metadata.

        Examples
        --------
        >>> config = ServiceClient().columns_config("Mast.Caom.Filtered")
        >>> config["t_exptime"].unit, config["t_exptime"].description
        (Unit("s"), 'Exposure time')
        """
        settings = settings or Settings.current()
        name = config_id(service)
        if name is None:
            return None
        return self._configs.get(
            (settings.server, name),
            lambda: self.transport.columns_config(name, deadline=deadline, settings=settings),
        )

    def column_entries(self, config_id, *, deadline=None, settings=None):
        """
        Return the raw columns config of ``config_id`` (fetched once per server and id).

        For the catalog configs that carry no datatypes (TIC/CTL, Disk Detective) each
        entry also gets the ``type`` the catalog's ``*.All.*`` histogram service gives.

        Parameters
        ----------
        config_id : str
            E.g. ``"Mast.Caom.Cone"`` or ``"Mast.Catalogs.Tess.Cone"``.
        deadline : mastq.polling.Deadline, optional
            Deadline of the fetch.
        settings : mastq.settings.Settings, optional
            The configuration of the call; default a fresh snapshot of `mastq.conf`.

        Returns
        -------
        mappingproxy
            Column name -> its entry (a dict), read-only; empty for an unknown config id.

        Examples
        --------
        >>> entries = ServiceClient().column_entries("Mast.Caom.Cone")
        >>> entries["s_ra"]["vot.unit"], entries["s_ra"]["vot.ucd"]
        ('deg', 'pos.eq.ra;meta.main')
        """
        settings = settings or Settings.current()
        deadline = deadline or Deadline.after(settings)
        entries = self.columns_config(config_id, deadline=deadline, settings=settings).entries
        histograms = registry.histogram_service_of(config_id)
        if not histograms:
            return entries

        def merge():
            document = self.document(
                histograms, {}, format="extjs", deadline=deadline, settings=settings
            )
            return _with_histogram_types(entries, document.get("ExtendedProperties") or {})

        return self._configs.get((settings.server, config_id, histograms), merge)

    def document(
        self, service, params, *, format="json", deadline=None, settings=None, **request_props
    ):
        """
        Run a service whose answer is a document rather than a table; return it decoded.

        Parameters
        ----------
        service : str
            E.g. ``"Mast.Name.Lookup"`` or ``"Mast.Caom.All"`` (histograms).
        params : dict
            Its parameters.
        format : {'json', 'extjs'}, optional
            ``json``: the whole answer is the document (``Mast.Name.Lookup``);
            ``extjs``: the answer without its rows (``Columns``, ``ExtendedProperties``).
        deadline : mastq.polling.Deadline, optional
            Default: ``settings.deadline`` from now.
        settings : mastq.settings.Settings, optional
            The configuration of the call; default a fresh snapshot of `mastq.conf`.
        **request_props
            MashupRequest properties (``timeout``, ``clearcache``...).

        Returns
        -------
        mappingproxy
            The decoded answer, read-only.

        Raises
        ------
        mastq.exceptions.InvalidQueryError
            If the service, params or a property is not valid.
        mastq.exceptions.RemoteServiceError
            If MAST answers ``status: ERROR`` (e.g. an unknown service).

        Examples
        --------
        >>> answer = ServiceClient().document("Mast.Name.Lookup", {"input": "M101"})
        >>> answer["resolvedCoordinate"][0]["canonicalName"]
        'M 101'
        """
        settings = settings or Settings.current()
        request = _make_request(
            service,
            params,
            pagesize=None,
            page=None,
            fmt=format,
            props=request_props,
            settings=settings,
        )
        page = self.transport.invoke(
            request,
            deadline=deadline,
            settings=settings,
            fmt="document" if format == "json" else format,
        )
        return page.document

    def _config_or_error(self, service, deadline, settings):
        """``(config or None, error or None)``: the error when the fetch failed for good."""
        try:
            return self.columns_config(service, deadline=deadline, settings=settings), None
        except MastqError as exc:
            return None, exc

    def service_request(
        self,
        service,
        params,
        *,
        pagesize=None,
        page=None,
        format="json",
        cache=None,
        times=False,
        warn_empty=True,
        settings=None,
        **request_props,
    ):
        """
        Run a MAST service and return its whole result as one table.

        Parameters
        ----------
        service : str
            The service, e.g. ``"Mast.Caom.Cone"``.
        params : dict
            Its parameters, e.g. ``{"ra": 23.1, "dec": 60.6, "radius": 0.1}`` (degrees).
        pagesize : int, optional
            Rows per page; default `mastq.conf.pagesize`.
        page : int, optional
            Return only this page (1-based); default: every page.
        format : {'json', 'extjs', 'csv', 'votable'}, optional
            Wire format; json is the fastest and carries the status.
        cache : bool, optional
            Use the persistent query cache; default `mastq.conf.cache`.
        times : bool, optional
            Turn MJD and date columns into `~astropy.time.Time`.
        warn_empty : bool, optional
            Issue a `~mastq.exceptions.NoResultsWarning` when nothing matched (default).
        settings : mastq.settings.Settings, optional
            The configuration of the call; default: one snapshot of `mastq.conf` taken
            now, used for every page, retry and poll of this call.
        **request_props
            Other MashupRequest properties: ``removenullcolumns``, ``timeout``,
            ``cachebreaker``, ``clearcache``, ``data``, ``removecache``,
            ``columnsconfigid``, ``filename``.

        Returns
        -------
        astropy.table.Table
            ``meta`` holds ``server`` (without credentials), ``service``, ``params``,
            the paging totals, ``fetched`` (when the server answered, UTC ISO time)
            and ``from_cache`` (True when this copy came from the query cache);
            ``meta["units_missing"]`` is True (and a `~mastq.exceptions.MastqWarning`
            is issued) when the column metadata could not be fetched.

        Raises
        ------
        mastq.exceptions.InvalidQueryError
            If an argument or request property is unknown or invalid (before anything
            is sent), or if `mastq.conf` holds an invalid value.
        mastq.exceptions.RemoteServiceError
            If MAST answers ``status: ERROR``.
        mastq.exceptions.TransportError
            If the server cannot be reached, or the deadline passes.

        Examples
        --------
        >>> client = ServiceClient()
        >>> cone = {"ra": 210.8, "dec": 54.35, "radius": 0.05}
        >>> table = client.service_request("Mast.Caom.Cone", cone, pagesize=50)
        >>> len(table), table.meta["pages"], table.meta["from_cache"]
        (96, 2, False)
        """
        settings = settings or Settings.current()
        _check_flags(cache=cache, times=times, warn_empty=warn_empty)
        request = _make_request(
            service,
            params,
            pagesize=pagesize,
            page=page,
            fmt=format,
            props=request_props,
            settings=settings,
        )
        single = page is not None
        use_cache = settings.cache if cache is None else cache
        key = _table_key(
            request, server=settings.server, identity=self.identity, single_page=single, times=times
        )
        table = self.cache.get(key) if use_cache and not request.clearcache else None
        if table is not None:
            log.debug("%s answered from the query cache", service)
            table.meta["from_cache"] = True
        else:
            table = self._run(request, settings, single_page=single, times=times)
            if use_cache and not table.meta.get("units_missing"):
                self.cache.put(key, table)
        if warn_empty and len(table) == 0:
            warn_user(f"{service} returned no rows", NoResultsWarning)
        return table

    def responses(
        self,
        service,
        params,
        *,
        pagesize=None,
        page=None,
        format="json",
        settings=None,
        document=False,
        **request_props,
    ):
        """
        Run a MAST service and return its raw HTTP answers, one per page (never cached).

        Parameters
        ----------
        service, params, pagesize, page, format, settings, **request_props
            As in `service_request`.
        document : bool, optional
            The answer is a document, not a table (``Mast.Name.Lookup``: see `document`).

        Returns
        -------
        list of `requests.Response`
            Each polled until MAST finished the job, in page order.

        Raises
        ------
        mastq.exceptions.InvalidQueryError, RemoteServiceError, TransportError
            As in `service_request`.

        Examples
        --------
        >>> cone = {"ra": 210.8, "dec": 54.35, "radius": 0.05}
        >>> responses = ServiceClient().responses("Mast.Caom.Cone", cone, pagesize=50)
        >>> [response.json()["paging"]["rows"] for response in responses]
        [50, 46]
        """
        settings = settings or Settings.current()
        request = _make_request(
            service,
            params,
            pagesize=pagesize,
            page=page,
            fmt=format,
            props=request_props,
            settings=settings,
        )
        return self.transport.responses(
            request,
            single_page=page is not None,
            settings=settings,
            fmt="document" if document and format == "json" else None,
        )

    def _run(self, request, settings, *, single_page, times):
        """
        The table of ``request``; when its column metadata could not be fetched,
        ``meta["units_missing"]`` says so and a `MastqWarning` is issued.
        """
        deadline = Deadline.after(settings)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mastq-colconf") as pool:
            config = pool.submit(self._config_or_error, request.service, deadline, settings)
            pages = self.transport.fetch(
                request, single_page=single_page, deadline=deadline, settings=settings
            )
            columns_config, error = config.result()
        first = pages[0].paging
        meta = {
            "server": public_url(settings.server),
            "service": request.service,
            "params": dict(request.params),
            "fetched": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "from_cache": False,
            "format": request.format,
            "pages": len(pages),
            "pagesFiltered": first.get("pagesFiltered"),
            "rowsFiltered": first.get("rowsFiltered"),
            "rowsTotal": first.get("rowsTotal"),
        }
        if single_page:
            meta["page"], meta["pagesize"] = request.page, request.pagesize
        if error is not None:
            meta["units_missing"] = True
            meta["units_missing_reason"] = str(error)
            warn_user(
                f"the column metadata of {request.service} could not be fetched: units "
                f"and descriptions are missing (table.meta['units_missing']): {error}",
                MastqWarning,
            )
        if columns_config is not None:
            columns_config.warn_unmapped()  # unit spellings no unit was found for, once
        return build_table(pages, columns_config=columns_config, times=times, meta=meta)

    def clear_cache(self):
        """
        Empty the persistent query cache and forget fetched column metadata.

        Returns
        -------
        int
            The number of cached results removed.

        Examples
        --------
        >>> client = ServiceClient()
        >>> table = client.service_request("Mast.Caom.Cone", {"ra": 210.8, "dec": 54.35,
        ...                                                   "radius": 0.05})
        >>> client.clear_cache()
        1
        """
        self._configs.clear()
        return self.cache.clear()


def _with_histogram_types(entries, properties):
    """``entries`` with the ``type`` (numeric...) a ``*.All.*`` histogram answer gives."""
    merged = dict(entries)
    for kind in ("continuousHistogram", "discreteHistogram"):
        for name, entry in (properties.get(kind) or {}).items():
            if isinstance(entry, dict) and "type" in entry:
                merged[name] = dict(merged.get(name) or {}, type=entry["type"])
    return MappingProxyType(merged)


def _check_flags(**flags):
    for name, value in flags.items():
        if value is not None and not isinstance(value, bool):
            raise InvalidQueryError(
                f"{name} must be True or False, got {type(value).__name__} {value!r}"
            )


def _make_request(service, params, *, pagesize, page, fmt, props, settings):
    fields = {k: v for k, v in props.items() if k in _REQUEST_FIELDS}
    extra = {k: v for k, v in props.items() if k not in _REQUEST_FIELDS}
    fields.setdefault("timeout", settings.service_timeout)
    return MashupRequest(
        service=service,
        params=params,
        format=fmt,
        pagesize=settings.pagesize if pagesize is None else pagesize,
        page=1 if page is None else page,
        extra=extra,
        **fields,
    )


def _table_key(request, *, server, identity, single_page, times):
    """The query cache key: request, server, credentials' identity and ``times``."""
    base = request.cache_key(server=server, single_page=single_page)
    if not times and not identity:
        return base
    return hashlib.sha256(f"{base}|times={bool(times)}|identity={identity}".encode()).hexdigest()


def public_url(url):
    """
    ``url`` without the ``user:password@`` part, for table meta and messages.

    Parameters
    ----------
    url : str
        A server URL, e.g. ``"https://user:pw@mast.stsci.edu"``.

    Returns
    -------
    str
        e.g. ``"https://mast.stsci.edu"``.

    Examples
    --------
    >>> public_url("https://user:secret@mast.stsci.edu:8443/api")
    'https://mast.stsci.edu:8443/api'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
