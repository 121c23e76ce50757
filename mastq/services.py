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
    """

    def __init__(self, *, transport=None, cache=None):
        self.transport = transport if transport is not None else MastTransport()
        self.cache = cache if cache is not None else QueryCache()
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
        """
        settings = settings or Settings.from_conf()
        name = config_id(service)
        if name is None:
            return None
        return self._configs.get(
            (settings.server, name),
            lambda: self.transport.columns_config(name, deadline=deadline, settings=settings))

    def _config_or_error(self, service, deadline, settings):
        """``(config or None, error or None)``: the error when the fetch failed for good."""
        try:
            return self.columns_config(service, deadline=deadline, settings=settings), None
        except MastqError as exc:
            return None, exc

    def service_request(self, service, params, *, pagesize=None, page=None, format="json",
                        cache=None, times=False, warn_empty=True, settings=None,
                        **request_props):
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
            ``meta`` holds ``service``, ``params`` and the paging totals;
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
        """
        settings = settings or Settings.from_conf()
        _check_flags(cache=cache, times=times, warn_empty=warn_empty)
        request = _make_request(service, params, pagesize=pagesize, page=page, fmt=format,
                                props=request_props, settings=settings)
        single = page is not None
        use_cache = settings.cache if cache is None else cache
        key = _table_key(request, settings, single_page=single, times=times)
        table = self.cache.get(key) if use_cache and not request.clearcache else None
        if table is not None:
            log.debug("%s answered from the query cache", service)
        else:
            table = self._run(request, settings, single_page=single, times=times)
            if use_cache and not table.meta.get("units_missing"):
                self.cache.put(key, table)
        if warn_empty and len(table) == 0:
            warn_user(f"{service} returned no rows", NoResultsWarning)
        return table

    def _run(self, request, settings, *, single_page, times):
        """
        The table of ``request``; when its column metadata could not be fetched,
        ``meta["units_missing"]`` says so and a `MastqWarning` is issued.
        """
        deadline = Deadline.after(settings)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mastq-colconf") as pool:
            config = pool.submit(self._config_or_error, request.service, deadline, settings)
            pages = self.transport.fetch(request, single_page=single_page, deadline=deadline,
                                         settings=settings)
            columns_config, error = config.result()
        first = pages[0].paging
        meta = {"service": request.service, "params": dict(request.params),
                "format": request.format, "pages": len(pages),
                "pagesFiltered": first.get("pagesFiltered"),
                "rowsFiltered": first.get("rowsFiltered"), "rowsTotal": first.get("rowsTotal")}
        if single_page:
            meta["page"], meta["pagesize"] = request.page, request.pagesize
        if error is not None:
            meta["units_missing"] = True
            meta["units_missing_reason"] = str(error)
            warn_user(f"the column metadata of {request.service} could not be fetched: units "
                      f"and descriptions are missing (table.meta['units_missing']): {error}",
                      MastqWarning)
        return build_table(pages, columns_config=columns_config, times=times, meta=meta)

    def clear_cache(self):
        """
        Empty the persistent query cache and forget fetched column metadata.

        Returns
        -------
        int
            The number of cached results removed.
        """
        self._configs.clear()
        return self.cache.clear()


def _check_flags(**flags):
    for name, value in flags.items():
        if value is not None and not isinstance(value, bool):
            raise InvalidQueryError(f"{name} must be True or False, got "
                                    f"{type(value).__name__} {value!r}")


def _make_request(service, params, *, pagesize, page, fmt, props, settings):
    fields = {k: v for k, v in props.items() if k in _REQUEST_FIELDS}
    extra = {k: v for k, v in props.items() if k not in _REQUEST_FIELDS}
    fields.setdefault("timeout", settings.service_timeout)
    return MashupRequest(service=service, params=params, format=fmt,
                         pagesize=settings.pagesize if pagesize is None else pagesize,
                         page=1 if page is None else page, extra=extra, **fields)


def _table_key(request, settings, *, single_page, times):
    base = request.cache_key(server=settings.server, single_page=single_page)
    if not times:
        return base
    return hashlib.sha256((base + "-times").encode()).hexdigest()

