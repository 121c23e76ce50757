"""
The only code that talks to MAST's ``invoke`` endpoint.

`MastTransport` sends a `mastq.request.MashupRequest`, long-polls it while the server
answers EXECUTING (re-sending the identical request), retries transient failures
(resets, timeouts, truncated bodies, 429 and 5xx, honouring ``Retry-After``), fetches
the pages of a result concurrently and checks that their rows add up.  It holds a
`requests.Session` and nothing per call: every call carries its own `Deadline`.
"""

import dataclasses
import logging
import platform
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType

import orjson
import requests
from astroquery.query import BaseQuery
from requests.adapters import HTTPAdapter

from . import __version__, conf
from .columns import ColumnsConfig
from .exceptions import (
    MastqError,
    ProtocolError,
    RemoteServiceError,
    RetriesExhaustedError,
    RowCountMismatchError,
    RowLimitError,
    TransportError,
)
from .pages import parse_page
from .polling import Deadline, parse_retry_after, poll_intervals, retry_pause

__all__ = ["MastTransport", "invoke_url", "columns_config_url"]

log = logging.getLogger(__name__)

_UNWRAPPED = frozenset({"csv", "votable"})  # formats whose body carries no status or paging
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_TRANSIENT = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
              requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


def invoke_url():
    """The invoke endpoint of the configured server (`mastq.conf.server`)."""
    return conf.server.rstrip("/") + "/api/v0/invoke"


def columns_config_url():
    """The columnsconfig endpoint of the configured server."""
    return conf.server.rstrip("/") + "/portal/Mashup/Mashup.asmx/columnsconfig"


def _is_reset(exc):
    """True when a failure is the peer dropping the connection (no HTTP answer at all)."""
    seen = exc
    while seen is not None:
        if isinstance(seen, (ConnectionResetError, ConnectionAbortedError)):
            return True
        name = type(seen).__name__
        if name == "RemoteDisconnected" or "reset by peer" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__ or (seen.args[-1] if seen.args and
                                                      isinstance(seen.args[-1], BaseException)
                                                      else None)
    return False


class MastTransport(BaseQuery):
    """
    HTTP transport to MAST's invoke API: polling, retries, paging.

    Safe to share between threads: it holds one `requests.Session` whose connection
    pool is sized for concurrent pages, and no per-call state.

    Parameters
    ----------
    pool_size : int, optional
        Connections kept open per host.
    """

    def __init__(self, *, pool_size=32):
        super().__init__()
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=int(pool_size), max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = (f"mastq/{__version__} Python/"
                                         f"{platform.python_version()} "
                                         f"{session.headers['User-Agent']}")
        self._session = session

    def close(self):
        """Close the pooled connections."""
        self._session.close()

    def _post(self, url, form, deadline, context, *, rest=None):
        left = deadline.check(**context)
        timeout = (min(float(conf.connect_timeout), left), min(float(conf.timeout), left))
        if rest is not None:  # the catalogs REST API: GET with query params or POST json
            headers = {"Accept": "application/json"}
            if rest.get("json") is None:
                return self._session.get(url, params=rest.get("params"), timeout=timeout,
                                         headers=headers)
            return self._session.post(url, json=rest["json"], params=rest.get("params"),
                                      timeout=timeout, headers=headers)
        return self._session.post(url, data=form, timeout=timeout,
                                  headers={"Accept": "text/plain"})

    def _answer(self, response, parse, fmt, context):
        """Parse a 2xx answer; raise for non-retryable HTTP errors; None means retry."""
        status = response.status_code
        if status == 500 and fmt not in ("json", "document"):
            raise RemoteServiceError("MAST answered HTTP 500", status_code=500,
                                     server_message=response.text[:2000], **context)
        if status in _RETRY_STATUS:
            return None
        if status >= 400:
            raise TransportError(f"MAST answered HTTP {status} {response.reason}",
                                 status_code=status, server_message=response.text[:2000],
                                 **context)
        return parse(response.content)

    def exchange(self, url, form, *, parse, deadline, fmt="json", context=None,
                 with_response=False, rest=None):
        """
        POST once, retrying transient failures, and return ``parse(body)``.

        Parameters
        ----------
        url : str
            Endpoint.
        form : dict
            Form fields.
        parse : callable
            ``parse(bytes)``; a `ProtocolError` from it counts as a transient failure
            (a truncated body) and is raised when retries run out.
        deadline : mastq.polling.Deadline
            Overall deadline of the call.
        fmt : str, optional
            The result format (a non-json HTTP 500 carries the server's message).
        context : dict, optional
            ``service`` and ``request`` for error messages.
        with_response : bool, optional
            Return ``(parsed, response)``, the `requests.Response` too.
        rest : dict, optional
            Not a form POST but a REST call (see `rest`): ``{"params": ..., "json": ...}``.

        Returns
        -------
        object
            What ``parse`` returned.

        Raises
        ------
        mastq.exceptions.RetriesExhaustedError, RowLimitError, ProtocolError,
        QueryDeadlineError, RemoteServiceError, TransportError
        """
        context = dict(context or {}, url=url)
        failures = []
        for attempt in range(int(conf.retries) + 1):
            retry_after = None
            try:
                response = self._post(url, form, deadline, context, rest=rest)
                result = self._answer(response, parse, fmt, context)
                if result is not None:
                    return (result, response) if with_response else result
                retry_after = _retry_after(response)
                failures.append(TransportError(f"HTTP {response.status_code}",
                                               status_code=response.status_code))
            except _TRANSIENT as exc:
                failures.append(exc)
            except ProtocolError as exc:
                failures.append(exc)
            if attempt < int(conf.retries):
                pause = retry_pause(attempt + 1, retry_after)
                log.info("retrying %s in %.2f s after %r", url, pause, failures[-1])
                deadline.sleep(pause, **context)
        raise _exhausted(failures, context)

    def invoke(self, request, *, deadline=None, fmt=None, with_response=False):
        """
        Send ``request`` until it is no longer EXECUTING; return the decoded page.

        Parameters
        ----------
        request : mastq.request.MashupRequest
            Sent identically (same cachebreaker) at every poll.
        deadline : mastq.polling.Deadline, optional
            Default: `mastq.conf.deadline` from now.
        fmt : str, optional
            Parser to use (``document`` for non-table answers); default the request's.
        with_response : bool, optional
            Return ``(page, response)``, the last `requests.Response` too.

        Returns
        -------
        mastq.pages.Page
            A COMPLETE page.

        Raises
        ------
        mastq.exceptions.RemoteServiceError
            If the server answers ``status: ERROR``.
        mastq.exceptions.QueryDeadlineError
            If the job is still EXECUTING at the deadline.
        """
        deadline = deadline or Deadline.after()
        fmt = fmt or request.format
        context = {"service": request.service, "request": request}
        form = request.as_form()
        pauses, polls = poll_intervals(), 0
        while True:
            polls += 1
            page, response = self.exchange(invoke_url(), form, deadline=deadline, fmt=fmt,
                                           context=context, with_response=True,
                                           parse=lambda body: parse_page(body, fmt=fmt))
            if page.status != "EXECUTING":
                break
            deadline.sleep(next(pauses), url=invoke_url(), **context)
        log.debug("%s page %d: %s after %d request(s)", request.service, request.page,
                  page.status, polls)
        if page.status == "ERROR":
            raise RemoteServiceError(f"MAST answered status ERROR for {request.service}: "
                                     f"{page.msg or 'no message'}", url=invoke_url(),
                                     server_message=page.msg, **context)
        if page.status != "COMPLETE":
            raise ProtocolError(f"unexpected status {page.status!r}", url=invoke_url(),
                                **context)
        return (page, response) if with_response else page

    def responses(self, request, *, single_page=False, deadline=None):
        """
        The HTTP answers of every page of a result (or of ``request.page``), polled.

        For astroquery's ``*_async`` methods, which hand the raw answers to the caller.

        Parameters
        ----------
        request : mastq.request.MashupRequest
            The request; its page is ignored unless ``single_page``.
        single_page : bool, optional
            Fetch only ``request.page``.
        deadline : mastq.polling.Deadline, optional
            Default: `mastq.conf.deadline` from now.

        Returns
        -------
        list of `requests.Response`
            In page order, each a COMPLETE answer.
        """
        deadline = deadline or Deadline.after()
        first, response = self.invoke(request if single_page else request.with_page(1),
                                      deadline=deadline, with_response=True)
        total = 1 if single_page else _int_or_none(first.paging.get("pagesFiltered")) or 1
        return [response] + [self.invoke(request.with_page(n), deadline=deadline,
                                         with_response=True)[1] for n in range(2, total + 1)]

    def fetch(self, request, *, single_page=False, deadline=None):
        """
        Return every page of a result (or only ``request.page``), checked and in order.

        Page 1 is polled first; once it gives ``pagesFiltered``, the other pages are
        fetched concurrently by up to `mastq.conf.max_workers` threads.

        Parameters
        ----------
        request : mastq.request.MashupRequest
            The request; its page is ignored unless ``single_page``.
        single_page : bool, optional
            Fetch only ``request.page``.
        deadline : mastq.polling.Deadline, optional
            Default: `mastq.conf.deadline` from now.

        Returns
        -------
        list of mastq.pages.Page

        Raises
        ------
        mastq.exceptions.RowCountMismatchError
            If the rows received do not add up to what the server announced.
        """
        deadline = deadline or Deadline.after()
        if request.format in _UNWRAPPED and not single_page:
            return self._fetch_unwrapped(request, deadline)
        first = self.invoke(request if single_page else request.with_page(1), deadline=deadline)
        total = _int_or_none(first.paging.get("pagesFiltered")) or 1
        pages = [first]
        if not single_page and total > 1:
            pages += self._pages(request, range(2, total + 1), deadline)
        _check_pages(pages, request, single_page=single_page)
        return pages

    def _fetch_unwrapped(self, request, deadline):
        """
        Every csv/votable page, counted against a one-row json probe of the same job.

        A csv or votable body says neither how many pages there are nor whether the
        rows are all there, so the totals come from the json answer of the same
        request (same cachebreaker) with one row per page.
        """
        probe = self.invoke(dataclasses.replace(request, format="json", page=1, pagesize=1),
                            deadline=deadline)
        rows = _int_or_none(probe.paging.get("rowsFiltered"))
        if rows is None:
            raise ProtocolError(f"the json answer of {request.service} gives no rowsFiltered: "
                                f"cannot tell how many {request.format} pages to fetch",
                                service=request.service, request=request, url=invoke_url())
        total = max(1, -(-rows // request.pagesize))
        pages = self._pages(request, range(1, total + 1), deadline)
        pages = [dataclasses.replace(page, paging=MappingProxyType({
            "page": number, "pageSize": request.pagesize, "rows": page.nrows,
            "pagesFiltered": total, "rowsFiltered": rows,
            "rowsTotal": probe.paging.get("rowsTotal", rows)}))
            for number, page in enumerate(pages, start=1)]
        _check_pages(pages, request, single_page=False)
        return pages

    def _pages(self, request, numbers, deadline):
        """The pages ``numbers`` of ``request``, fetched by up to `conf.max_workers` threads."""
        numbers = list(numbers)
        if len(numbers) == 1:
            return [self.invoke(request.with_page(numbers[0]), deadline=deadline)]
        workers = max(1, min(int(conf.max_workers), len(numbers)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mastq-page") as pool:
            futures = [pool.submit(self.invoke, request.with_page(n), deadline=deadline)
                       for n in numbers]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def rest(self, url, *, params=None, json=None, deadline=None, context=None,
             with_response=False):
        """
        Call a REST endpoint of MAST (the catalogs API): GET, or POST a JSON body.

        Retries transient failures and keeps to the deadline exactly as `exchange`.

        Parameters
        ----------
        url : str
            E.g. ``<catalogs_server>/api/v0.1/panstarrs/dr2/mean.json``.
        params : dict or list of (str, object), optional
            Query-string parameters.
        json : object, optional
            A JSON body: the call is then a POST (else a GET).
        deadline : mastq.polling.Deadline, optional
            Default: `mastq.conf.deadline` from now.
        context : dict, optional
            ``service`` for error messages.
        with_response : bool, optional
            Return ``(document, response)``.

        Returns
        -------
        object
            The decoded JSON answer.

        Raises
        ------
        mastq.exceptions.ProtocolError
            If the answer is not JSON (after the retries).
        mastq.exceptions.TransportError, RetriesExhaustedError, QueryDeadlineError
            As `exchange`.
        """
        return self.exchange(url, None, parse=_json_document,
                             deadline=deadline or Deadline.after(), context=context,
                             with_response=with_response,
                             rest={"params": params, "json": json})

    def columns_config(self, config_id, *, deadline=None):
        """
        Fetch the column metadata of a config id (no caching here).

        Parameters
        ----------
        config_id : str
            E.g. ``"Mast.Caom.Cone"`` (see `mastq.columns.config_id`).
        deadline : mastq.polling.Deadline, optional
            Default: `mastq.conf.deadline` from now.

        Returns
        -------
        mastq.columns.ColumnsConfig
        """
        deadline = deadline or Deadline.after()
        return self.exchange(columns_config_url(), {"colConfigId": config_id},
                             deadline=deadline, context={"service": config_id},
                             parse=lambda body: ColumnsConfig.from_json(body,
                                                                        config_id=config_id))


def _json_document(body):
    """A JSON answer decoded; a body that is not JSON is a (retryable) `ProtocolError`."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"the answer is not JSON: {exc}", cause=exc) from exc


def _retry_after(response):
    return parse_retry_after(response.headers.get("Retry-After"))


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _exhausted(failures, context):
    last = failures[-1] if failures else None
    count = len(failures)
    if isinstance(last, MastqError) and isinstance(last, ProtocolError) and \
            all(isinstance(f, ProtocolError) for f in failures):
        return ProtocolError(f"{last.message} (after {count} attempts)", cause=last, **context)
    if failures and all(_is_reset(f) for f in failures if not isinstance(f, MastqError)) and \
            all(not isinstance(f, MastqError) for f in failures):
        return RowLimitError(
            f"the server reset the connection at each of {count} attempts; MAST does this "
            f"when a result has more than about {conf.row_limit} rows: narrow the query "
            f"or split it (if the query is small, the server may be down: try again later)",
            cause=last, **context)
    return RetriesExhaustedError(f"giving up after {count} attempts; last failure: {last!r}",
                                 cause=last, status_code=getattr(last, "status_code", None),
                                 **context)


def _check_pages(pages, request, *, single_page):
    first = pages[0]
    # csv/votable kinds are guessed from each page's text: only the names must agree
    same = ((lambda f: tuple(n for n, _ in f)) if request.format in _UNWRAPPED
            else (lambda f: f))
    for number, page in enumerate(pages[1:], start=2):
        if same(page.fields) != same(first.fields):
            raise ProtocolError(f"page {number} declares other fields than page 1",
                                service=request.service, request=request, url=invoke_url())
    for number, page in enumerate(pages, start=1):
        rows = _int_or_none(page.paging.get("rows"))
        if rows is not None and rows != page.nrows:
            raise RowCountMismatchError(
                f"page {number} announced {rows} rows but holds {page.nrows}",
                service=request.service, request=request, url=invoke_url())
    expected = _int_or_none(first.paging.get("rowsFiltered"))
    got = sum(page.nrows for page in pages)
    if not single_page and expected is not None and got != expected:
        raise RowCountMismatchError(
            f"received {got} rows in {len(pages)} page(s) but the server announced "
            f"rowsFiltered={expected}", service=request.service, request=request,
            url=invoke_url())
