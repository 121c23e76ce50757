"""
The only code that talks to MAST's ``invoke`` endpoint.

`MastTransport` sends a `mastq.request.MashupRequest`, long-polls it while the server
answers EXECUTING (re-sending the identical request), retries transient failures
(resets, timeouts, truncated bodies, 429 and 5xx, honouring ``Retry-After``), fetches
the pages of a result concurrently and checks that their rows add up.  It holds a
`requests.Session` and nothing per call: every call carries its own `Deadline` and
`mastq.settings.Settings` (one snapshot of `mastq.conf`, never re-read mid-call).

Bodies are read as they arrive, so a trickling server cannot hold a call past its
deadline; an answer is never taken from a redirect to another host; a connection that
keeps resetting is called MAST's row limit only when a one-row probe of the same query
resets too (or announces too many rows) while the server answers a tiny request.
"""

import dataclasses
import logging
import platform
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from urllib.parse import urljoin

import orjson
import requests
import urllib3
from astroquery.query import BaseQuery
from requests.adapters import HTTPAdapter

from . import __version__
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
from .progress import progress_bar
from .request import MashupRequest
from .settings import Settings, host_of, on_server, redact

__all__ = ["MastTransport", "invoke_url", "columns_config_url"]

log = logging.getLogger(__name__)

_UNWRAPPED = frozenset({"csv", "votable"})  # formats whose body carries no status or paging
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_CHUNK = 256 * 1024  # most bytes read at once; the deadline is checked between reads
_TRANSIENT = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_PING = MashupRequest("Mast.Name.Lookup", {"input": "M1", "format": "json"}, pagesize=1)
"""A tiny request: does the server answer at all (when a big one keeps resetting)?"""


def invoke_url(settings=None):
    """The invoke endpoint of ``settings`` (default: a fresh snapshot of `mastq.conf`)."""
    return (settings or Settings.current()).invoke_url


def columns_config_url(settings=None):
    """The columnsconfig endpoint of ``settings`` (default: a fresh snapshot)."""
    return (settings or Settings.current()).columns_config_url


def _is_reset(exc):
    """True when a failure is the peer dropping the connection (no HTTP answer at all)."""
    seen = exc
    while seen is not None:
        if isinstance(seen, (ConnectionResetError, ConnectionAbortedError)):
            return True
        name = type(seen).__name__
        if name == "RemoteDisconnected" or "reset by peer" in str(seen):
            return True
        seen = (
            seen.__cause__
            or seen.__context__
            or (seen.args[-1] if seen.args and isinstance(seen.args[-1], BaseException) else None)
        )
    return False


def _all_resets(failures):
    return bool(failures) and all(not isinstance(f, MastqError) and _is_reset(f) for f in failures)


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
        session.headers["User-Agent"] = (
            f"mastq/{__version__} Python/"
            f"{platform.python_version()} "
            f"{session.headers['User-Agent']}"
        )
        self._session = session
        self.auth = None  # a requests auth (mastq.auth.MastTokenAuth) set by a login

    def close(self):
        """Close the pooled connections."""
        self._session.close()

    def _post(self, url, form, deadline, settings, context, *, rest=None):
        """
        POST ``form`` and return ``(response, body)``, the body read whole.

        Same-host redirects are followed (at most `_MAX_REDIRECTS`); a redirect to
        another host is a `TransportError`: its answer must never pass for MAST's.
        With ``rest`` (see `rest`) the call is a REST GET or JSON POST, and the host is
        the URL's own (the catalogs server).
        """
        home = settings.server if rest is None else url
        for _ in range(_MAX_REDIRECTS + 1):
            left = deadline.check(**context)
            timeout = (min(settings.connect_timeout, left), min(settings.timeout, left))
            response = self._send(url, form, timeout, rest)
            with response:
                if (
                    response.status_code not in _REDIRECT_STATUS
                    or "Location" not in response.headers
                ):
                    return response, _read_body(response, deadline, context)
            target = urljoin(url, response.headers["Location"])
            if not on_server(target, home):
                raise TransportError(
                    f"{_host(home)} redirected to another host, "
                    f"{_host(target)}: its answer is not MAST data, so it was not followed "
                    f"(set mastq.conf.server to the host that serves MAST)",
                    status_code=response.status_code,
                    **context,
                )
            log.info("following a same-host redirect to %s", redact(target))
            url = target
        raise TransportError(f"more than {_MAX_REDIRECTS} redirects", **context)

    def _send(self, url, form, timeout, rest):
        """One HTTP exchange: a form POST (invoke), or a REST GET / JSON POST."""
        options = {"timeout": timeout, "stream": True, "allow_redirects": False}
        if rest is None:
            return self._session.post(
                url, data=form, headers={"Accept": "text/plain"}, auth=self.auth, **options
            )
        headers = {"Accept": "application/json"}
        if rest.get("json") is None:
            return self._session.get(url, params=rest.get("params"), headers=headers, **options)
        return self._session.post(
            url, json=rest["json"], params=rest.get("params"), headers=headers, **options
        )

    def _answer(self, response, body, parse, fmt, context):
        """Parse a 2xx answer; raise for non-retryable HTTP errors; None means retry."""
        status = response.status_code
        text = body[:2000].decode("utf-8", "replace")
        if status == 500 and fmt not in ("json", "document"):
            raise RemoteServiceError(
                "MAST answered HTTP 500", status_code=500, server_message=text, **context
            )
        if status in _RETRY_STATUS:
            return None
        if status >= 400:
            raise TransportError(
                f"MAST answered HTTP {status} {response.reason}",
                status_code=status,
                server_message=text,
                **context,
            )
        return parse(body)

    def exchange(
        self,
        url,
        form,
        *,
        parse,
        deadline,
        fmt="json",
        context=None,
        settings=None,
        on_resets=None,
        with_response=False,
        rest=None,
    ):
        """
        POST once, retrying transient failures, and return ``parse(body)``.

        Parameters
        ----------
        url : str
            Endpoint (on the host of ``settings.server``).
        form : dict
            Form fields.
        parse : callable
            ``parse(bytes)``; a `ProtocolError` from it counts as a transient failure
            (a truncated body) and is raised when retries run out.
        deadline : mastq.polling.Deadline
            Overall deadline of the call; checked while the body streams in too.
        fmt : str, optional
            The result format (a non-json HTTP 500 carries the server's message).
        context : dict, optional
            ``service`` and ``request`` for error messages.
        settings : mastq.settings.Settings, optional
            Default: a fresh snapshot of `mastq.conf`.
        on_resets : callable, optional
            ``on_resets(error) -> error``: called when every attempt ended in a
            connection reset, to tell a too-large result from a failing server.
        with_response : bool, optional
            Return ``(parsed, response)``, the `requests.Response` too (its
            ``content`` is the body read).
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
        settings = settings or Settings.current()
        context = dict(context or {}, url=redact(url))
        failures = []
        for attempt in range(settings.retries + 1):
            retry_after = None
            try:
                response, body = self._post(url, form, deadline, settings, context, rest=rest)
                result = self._answer(response, body, parse, fmt, context)
                if result is not None:
                    if not with_response:
                        return result
                    response._content = body  # streamed: keep the body for the caller
                    return result, response
                retry_after = _retry_after(response)
                failures.append(
                    TransportError(f"HTTP {response.status_code}", status_code=response.status_code)
                )
            except (*_TRANSIENT, ProtocolError) as exc:
                failures.append(exc)
            if attempt < settings.retries:
                pause = retry_pause(attempt + 1, settings, retry_after)
                log.info(
                    "retrying %s in %.2f s after %s",
                    context["url"],
                    pause,
                    redact(repr(failures[-1])),
                )
                deadline.sleep(
                    pause,
                    reason="the server's Retry-After"
                    if retry_after and pause == retry_after
                    else None,
                    **context,
                )
        error = _exhausted(failures, context)
        if on_resets is not None and _all_resets(failures):
            error = on_resets(error)
        raise error

    def invoke(self, request, *, deadline=None, fmt=None, settings=None, with_response=False):
        """
        Send ``request`` until it is no longer EXECUTING; return the decoded page.

        Parameters
        ----------
        request : mastq.request.MashupRequest
            Sent identically (same cachebreaker) at every poll.
        deadline : mastq.polling.Deadline, optional
            Default: ``settings.deadline`` from now.
        fmt : str, optional
            Parser to use (``document`` for non-table answers); default the request's.
        settings : mastq.settings.Settings, optional
            Default: a fresh snapshot of `mastq.conf`.
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
        mastq.exceptions.RowLimitError
            If the server keeps resetting the connection and the result is too large.
        """
        settings = settings or Settings.current()
        deadline = deadline or Deadline.after(settings)
        page, response = self._poll(
            request,
            deadline,
            settings,
            fmt=fmt,
            on_resets=lambda error: self._reset_verdict(request, error, deadline, settings),
        )
        url = redact(settings.invoke_url)
        if page.status == "ERROR":
            raise RemoteServiceError(
                f"MAST answered status ERROR for {request.service}: {page.msg or 'no message'}",
                url=url,
                server_message=page.msg,
                service=request.service,
                request=request,
            )
        if page.status != "COMPLETE":
            raise ProtocolError(
                f"unexpected status {page.status!r}",
                url=url,
                service=request.service,
                request=request,
            )
        return (page, response) if with_response else page

    def responses(self, request, *, single_page=False, deadline=None, settings=None, fmt=None):
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
            Default: ``settings.deadline`` from now.
        settings : mastq.settings.Settings, optional
            Default: a fresh snapshot of `mastq.conf`; every page uses the same one.
        fmt : str, optional
            Parser of the answers (``document`` for non-table answers); default the
            request's.

        Returns
        -------
        list of `requests.Response`
            In page order, each a COMPLETE answer.
        """
        settings = settings or Settings.current()
        deadline = deadline or Deadline.after(settings)
        first, response = self.invoke(
            request if single_page else request.with_page(1),
            deadline=deadline,
            settings=settings,
            fmt=fmt,
            with_response=True,
        )
        total = 1 if single_page else _int_or_none(first.paging.get("pagesFiltered")) or 1
        return [response] + [
            self.invoke(
                request.with_page(n),
                deadline=deadline,
                settings=settings,
                fmt=fmt,
                with_response=True,
            )[1]
            for n in range(2, total + 1)
        ]

    def _poll(self, request, deadline, settings, *, fmt=None, on_resets=None):
        """``(page, response)``: the first answer of ``request`` not EXECUTING (any status)."""
        fmt = fmt or request.format
        context = {"service": request.service, "request": request}
        form = request.as_form()
        pauses, polls = poll_intervals(settings), 0
        with progress_bar(settings, desc=f"{request.service}: EXECUTING", unit="poll") as bar:
            while True:
                polls += 1
                page, response = self.exchange(
                    settings.invoke_url,
                    form,
                    deadline=deadline,
                    fmt=fmt,
                    context=context,
                    settings=settings,
                    on_resets=on_resets,
                    with_response=True,
                    parse=lambda body: parse_page(body, fmt=fmt),
                )
                if page.status != "EXECUTING":
                    break
                bar.update()
                deadline.sleep(next(pauses), url=redact(settings.invoke_url), **context)
        log.debug(
            "%s page %d: %s after %d request(s)", request.service, request.page, page.status, polls
        )
        return page, response

    def _reset_verdict(self, request, error, deadline, settings):
        """
        Tell a result too large for MAST (`RowLimitError`) from a server that kept
        resetting (``error``, a `RetriesExhaustedError`).

        The evidence: the same request for one row per page resets as well, at every
        one of its own retries (random faults do not do that), or announces more than
        ``settings.row_limit`` rows, while a tiny request is answered.
        """
        once = settings.replace(retries=0)
        probe = dataclasses.replace(request, format="json", page=1, pagesize=1)
        try:
            page, _ = self._poll(probe, deadline, settings)  # every retry: faults are random
            rows = _int_or_none(page.paging.get("rowsFiltered"))
        except MastqError as exc:
            if not (isinstance(exc, TransportError) and _is_reset(exc.cause)):
                return error  # the small query was answered (or failed otherwise)
            rows = None
        if rows is not None and rows <= settings.row_limit:
            return error
        try:
            self.exchange(
                settings.invoke_url,
                _PING.as_form(),
                deadline=deadline,
                settings=once,
                parse=lambda body: body,
            )
        except TransportError:
            return error  # the server does not answer even a tiny request
        seen = "resets" if rows is None else f"announces {rows} rows"
        return RowLimitError(
            f"the server reset the connection at each of {settings.retries + 1} attempts and "
            f"the same query for one row per page {seen}, while it answers a tiny request: "
            f"the result has more than about {settings.row_limit} rows (MAST's row limit, "
            f"mastq.conf.row_limit); narrow the query or split it",
            cause=error.cause,
            service=request.service,
            request=request,
            url=redact(settings.invoke_url),
        )

    def fetch(self, request, *, single_page=False, deadline=None, settings=None):
        """
        Return every page of a result (or only ``request.page``), checked and in order.

        Page 1 is polled first; once it gives ``pagesFiltered``, the other pages are
        fetched concurrently by up to ``settings.max_workers`` threads.

        Parameters
        ----------
        request : mastq.request.MashupRequest
            The request; its page is ignored unless ``single_page``.
        single_page : bool, optional
            Fetch only ``request.page``.
        deadline : mastq.polling.Deadline, optional
            Default: ``settings.deadline`` from now.
        settings : mastq.settings.Settings, optional
            Default: a fresh snapshot of `mastq.conf`; every page uses the same one.

        Returns
        -------
        list of mastq.pages.Page

        Raises
        ------
        mastq.exceptions.RowCountMismatchError
            If the rows received do not add up to what the server announced.
        """
        settings = settings or Settings.current()
        deadline = deadline or Deadline.after(settings)
        if request.format in _UNWRAPPED and not single_page:
            return self._fetch_unwrapped(request, deadline, settings)
        first = self.invoke(
            request if single_page else request.with_page(1), deadline=deadline, settings=settings
        )
        total = _int_or_none(first.paging.get("pagesFiltered")) or 1
        pages = [first]
        if not single_page and total > 1:
            pages += self._pages(request, range(2, total + 1), deadline, settings)
        _check_pages(pages, request, settings, single_page=single_page)
        return pages

    def _fetch_unwrapped(self, request, deadline, settings):
        """
        Every csv/votable page, counted against a one-row json probe of the same job.

        A csv or votable body says neither how many pages there are nor whether the
        rows are all there, so the totals come from the json answer of the same
        request (same cachebreaker) with one row per page.
        """
        probe = self.invoke(
            dataclasses.replace(request, format="json", page=1, pagesize=1),
            deadline=deadline,
            settings=settings,
        )
        rows = _int_or_none(probe.paging.get("rowsFiltered"))
        if rows is None:
            raise ProtocolError(
                f"the json answer of {request.service} gives no rowsFiltered: "
                f"cannot tell how many {request.format} pages to fetch",
                service=request.service,
                request=request,
                url=redact(settings.invoke_url),
            )
        total = max(1, -(-rows // request.pagesize))
        pages = self._pages(request, range(1, total + 1), deadline, settings)
        pages = [
            dataclasses.replace(
                page,
                paging=MappingProxyType(
                    {
                        "page": number,
                        "pageSize": request.pagesize,
                        "rows": page.nrows,
                        "pagesFiltered": total,
                        "rowsFiltered": rows,
                        "rowsTotal": probe.paging.get("rowsTotal", rows),
                    }
                ),
            )
            for number, page in enumerate(pages, start=1)
        ]
        _check_pages(pages, request, settings, single_page=False)
        return pages

    def _pages(self, request, numbers, deadline, settings):
        """The pages ``numbers`` of ``request``, fetched by up to ``max_workers`` threads."""
        numbers = list(numbers)
        if len(numbers) == 1:
            return [
                self.invoke(request.with_page(numbers[0]), deadline=deadline, settings=settings)
            ]
        workers = max(1, min(settings.max_workers, len(numbers)))
        with (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mastq-page") as pool,
            progress_bar(
                settings, desc=f"{request.service}: pages", unit="page", total=len(numbers)
            ) as bar,
        ):
            futures = [
                pool.submit(self.invoke, request.with_page(n), deadline=deadline, settings=settings)
                for n in numbers
            ]
            try:
                pages = []
                for future in futures:
                    pages.append(future.result())
                    bar.update()
                return pages
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def rest(
        self,
        url,
        *,
        params=None,
        json=None,
        deadline=None,
        settings=None,
        context=None,
        with_response=False,
    ):
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
        settings : mastq.settings.Settings, optional
            Default: a fresh snapshot of `mastq.conf`.
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
        settings = settings or Settings.from_conf()
        return self.exchange(
            url,
            None,
            parse=_json_document,
            settings=settings,
            deadline=deadline or Deadline.after(settings),
            context=context,
            with_response=with_response,
            rest={"params": params, "json": json},
        )

    def columns_config(self, config_id, *, deadline=None, settings=None):
        """
        Fetch the column metadata of a config id (no caching here), retried like any request.

        Parameters
        ----------
        config_id : str
            E.g. ``"Mast.Caom.Cone"`` (see `mastq.columns.config_id`).
        deadline : mastq.polling.Deadline, optional
            Default: ``settings.deadline`` from now.
        settings : mastq.settings.Settings, optional
            Default: a fresh snapshot of `mastq.conf`.

        Returns
        -------
        mastq.columns.ColumnsConfig
        """
        settings = settings or Settings.current()
        deadline = deadline or Deadline.after(settings)
        return self.exchange(
            settings.columns_config_url,
            {"colConfigId": config_id},
            deadline=deadline,
            context={"service": config_id},
            settings=settings,
            parse=lambda body: ColumnsConfig.from_json(body, config_id=config_id),
        )


def _read_body(response, deadline, context):
    """
    The whole body of a streamed ``response``, read as it arrives.

    Each read returns what the socket holds (at most `_CHUNK` bytes), so a server that
    trickles its answer cannot keep the call past its deadline.
    """
    raw, chunks = response.raw, []
    read = getattr(raw, "read1", None) or raw.read
    try:
        while True:
            chunk = read(_CHUNK, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
            deadline.check(**context)
    except urllib3.exceptions.HTTPError as exc:  # mapped as requests' iter_content does
        raise _as_requests_error(exc) from exc
    return b"".join(chunks)


def _as_requests_error(exc):
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return requests.exceptions.ChunkedEncodingError(exc)
    if isinstance(exc, urllib3.exceptions.DecodeError):
        return requests.exceptions.ContentDecodingError(exc)
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return requests.exceptions.ConnectionError(exc)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return requests.exceptions.SSLError(exc)
    return exc


def _host(url):
    scheme, host, port = host_of(url)
    return f"{scheme}://{host}:{port}"


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
    if isinstance(last, ProtocolError) and all(isinstance(f, ProtocolError) for f in failures):
        return ProtocolError(f"{last.message} (after {count} attempts)", cause=last, **context)
    if _all_resets(failures):
        return RetriesExhaustedError(
            f"the server reset the connection at each of {count} attempts (the server kept "
            f"resetting; it may be down or overloaded: try again later)",
            cause=last,
            **context,
        )
    return RetriesExhaustedError(
        f"giving up after {count} attempts; last failure: {redact(repr(last))}",
        cause=last,
        status_code=getattr(last, "status_code", None),
        **context,
    )


def _check_pages(pages, request, settings, *, single_page):
    first, url = pages[0], redact(settings.invoke_url)
    # csv/votable kinds are guessed from each page's text: only the names must agree
    same = (lambda f: tuple(n for n, _ in f)) if request.format in _UNWRAPPED else (lambda f: f)
    for number, page in enumerate(pages[1:], start=2):
        if same(page.fields) != same(first.fields):
            raise ProtocolError(
                f"page {number} declares other fields than page 1",
                service=request.service,
                request=request,
                url=url,
            )
    for number, page in enumerate(pages, start=1):
        rows = _int_or_none(page.paging.get("rows"))
        if rows is not None and rows != page.nrows:
            raise RowCountMismatchError(
                f"page {number} announced {rows} rows but holds {page.nrows}",
                service=request.service,
                request=request,
                url=url,
            )
    expected = _int_or_none(first.paging.get("rowsFiltered"))
    got = sum(page.nrows for page in pages)
    if not single_page and expected is not None and got != expected:
        raise RowCountMismatchError(
            f"received {got} rows in {len(pages)} page(s) but the server announced "
            f"rowsFiltered={expected}",
            service=request.service,
            request=request,
            url=url,
        )
