"""
The WSGI application of the local MAST: routing, the invoke endpoint and columns config.

Endpoints (the real MAST paths, so that clients only change the server root):

==========================================  =========  =======================================
path                                        methods    answer
==========================================  =========  =======================================
``/api/v0/invoke``                          GET, POST  Mashup request (``request=<json>``)
``/portal/Mashup/Mashup.asmx/columnsconfig``  GET, POST  column metadata (``colConfigId=...``)
``/api/v0.1/Download/file``                 GET, HEAD  one file (Range, checksums, 401/404)
``/api/v0.1/Download/bundle[.sh]``          GET, POST  curl script for ``uri`` (repeated)
``/whoami``                                 GET        token check (``anon``, ``ezid``...)
``/api/v0.1/path_lookup/``                  GET, POST  public-bucket paths of ``uri``
``/Santa-war/query``                        GET        name resolver (``name``, ``resolveAll``)
``/api/v0.1/panstarrs/<rel>/<tab>.json``     GET, POST  Pan-STARRS search (catalogs API)
``/api/v0.1/panstarrs/<rel>/<tab>/metad..``  GET        its columns (``metadata.json``)
``/cgi-bin/getdata.cgi``, ``/cgi-bin/ecf..``  GET        HSC spectra files (the HLA's paths)
==========================================  =========  =======================================

The name resolver lives on another host at MAST (``mastresolver.stsci.edu``, which
astroquery calls by a fixed URL); the emulator also answers proxy-style requests for it, so
that ``HTTP_PROXY=<emulator url>`` (with ``NO_PROXY`` for the emulator's own host) sends
astroquery's name lookups here.

Invoke answers: json/extjs errors are HTTP 200 with ``status: ERROR``; csv/votable errors
are HTTP 500 with the message as plain text; a missing or malformed ``request`` is HTTP 400.
While a job executes, *every* format (csv and votable included, which have no status
wrapper) is answered with the json document ``{"status": "EXECUTING", "msg": "",
"percent complete": N}`` and HTTP 200: clients must look at the content type (json) or
poll in json.  Results above ``row_limit`` rows reset the connection (no HTTP answer).

Nothing a client sends makes an HTML error page: an exception inside a service, or while
its first rows are rendered, is answered as a MAST error like any bad parameter; other
HTTP errors (404, 405, 413 above ``max_content_length``, 416) are plain text.
"""

import itertools
import logging
from urllib.parse import parse_qs

import orjson
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from mastq.emulator.catalogs import hsc_files, panstarrs
from mastq.emulator.config import EmulatorConfig
from mastq.emulator.http import downloads, formats
from mastq.emulator.http.faults import FaultInjector, reset_connection
from mastq.emulator.http.jobs import (
    BadRequestError,
    InvalidInvocationError,
    JobTable,
    parse_invocation,
)
from mastq.emulator.model import DocumentResult, ServiceError
from mastq.emulator.services.names import santa_query

__all__ = ["make_app", "LocalMast"]

log = logging.getLogger(__name__)

_RULES = (
    ("/", "index", ("GET",)),
    ("/api/v0/invoke", "invoke", ("GET", "POST")),
    ("/portal/Mashup/Mashup.asmx/columnsconfig", "columnsconfig", ("GET", "POST")),
    ("/api/v0.1/Download/file", "file", ("GET", "HEAD")),
    ("/api/v0.1/Download/bundle.sh", "bundle", ("GET", "POST")),
    ("/api/v0.1/Download/bundle", "bundle", ("GET", "POST")),
    ("/whoami", "whoami", ("GET",)),
    ("/api/v0.1/path_lookup/", "path_lookup", ("GET", "POST")),
    ("/Santa-war/query", "santa", ("GET",)),
    ("/api/v0.1/panstarrs/<release>/<table>/metadata.json", "panstarrs_metadata", ("GET",)),
    ("/api/v0.1/panstarrs/<release>/<table>.json", "panstarrs", ("GET", "POST")),
    ("/cgi-bin/getdata.cgi", "hla_spectrum", ("GET",)),
    ("/cgi-bin/ecfproxy", "hla_spectrum", ("GET",)),
)


class _MashupRequest(Request):
    """Request with room for big uploads (crossmatch ``data`` tables ride in the form)."""

    max_form_memory_size = 512 * 1024 * 1024


def _form_value(request, name):
    """A form/query value, also when a client posts a form body without its content type."""
    value = request.values.get(name)
    if value is None and request.method == "POST" and not request.form:
        values = parse_qs(request.get_data(as_text=True)).get(name)
        value = values[0] if values else None
    return value


def _plain(message, status):
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")


def _json(document, status=200):
    return Response(
        orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY),
        status=status,
        mimetype="application/json",
    )


def _plain_http_error(exc):
    """A werkzeug HTTP error (404, 405, 413, 416...) as plain text, keeping its headers."""
    response = exc.get_response()
    response.set_data(f"{exc.code} {exc.name}: {exc.description}\n")
    response.mimetype = "text/plain"
    return response


def _error(fmt, message):
    if fmt in ("csv", "votable"):
        return _plain(message, 500)
    return _json({"status": "ERROR", "msg": message})


def _primed(chunks):
    """
    Make the head and the first slice of rows of a streamed body now (its first two chunks).

    Once a chunk is sent, the status line is out: a later error can only drop the
    connection.  Making the first slice of rows up front turns nearly every failure (a
    service whose rows cannot be made) into a MAST error answer instead.
    """
    chunks = iter(chunks)
    first = list(itertools.islice(chunks, 2))
    return itertools.chain(first, chunks)


class LocalMast:
    """
    The local MAST as a WSGI application (build it with `make_app`).

    Parameters
    ----------
    config : EmulatorConfig
    archive : Archive
        The sample archive (``product_file``...).
    run_service : callable
        ``run_service(service, params, archive) -> TableResult | DocumentResult``.
    columns_config : callable
        ``columns_config(config_id, archive) -> dict | None``.
    """

    def __init__(self, config, *, archive, run_service, columns_config):
        self.config = config
        self.archive = archive
        self._run_service = run_service
        self._columns_config = columns_config
        self.jobs = JobTable(
            query_seconds=config.query_seconds,
            forced_polls=config.forced_polls,
            ttl=config.job_ttl,
            cache_size=config.cache_size,
            max_jobs=config.max_jobs,
        )
        self.faults = FaultInjector(config.faults)
        self._map = Map(
            [
                Rule(path, endpoint=name, methods=methods, strict_slashes=False)
                for path, name, methods in _RULES
            ]
        )

    def __call__(self, environ, start_response):
        request = _MashupRequest(environ)
        request.max_content_length = self.config.max_content_length
        try:
            response = self._dispatch(request)
        except HTTPException as exc:
            response = _plain_http_error(exc)
        except (ConnectionError, TimeoutError):
            raise  # a reset on purpose, or a stalled body: werkzeug drops the connection
        except Exception as exc:  # noqa: BLE001  (never an HTML 500 page)
            log.exception("%s %s failed", request.method, request.path)
            response = _plain(f"internal error of the local MAST: {type(exc).__name__}: {exc}", 500)
        return response(environ, start_response)

    def _dispatch(self, request):
        too_big = self._body_too_big(request)
        if too_big:
            return _plain(too_big, 413)
        endpoint, args = self._map.bind_to_environ(request.environ).match()
        return getattr(self, f"on_{endpoint}")(request, **args)

    def _body_too_big(self, request):
        """Why the request body is above ``max_content_length``, or None."""
        limit = self.config.max_content_length
        if request.content_length is not None:
            if request.content_length > limit:
                return (
                    f"request body of {request.content_length} bytes is larger than the "
                    f"{limit} bytes this server accepts"
                )
        elif (
            request.environ.get("wsgi.input_terminated")
            and len(request.get_data(cache=True, parse_form_data=False)) >= limit
        ):
            # A chunked body: werkzeug stops reading it at the limit without a word, so it
            # is read (and cached for the form parser) here; one reaching the limit is refused.
            return f"chunked request body reached the {limit} bytes this server accepts"
        return None

    def on_index(self, request):
        paths = "\n".join(f"  {' '.join(m):10s} {p}" for p, _, m in _RULES[1:])
        return _plain(f"local MAST (mastq emulator) at {request.host_url}\n{paths}", 200)

    def on_invoke(self, request):
        early, truncate = self.faults.before(request.environ)
        if early is not None:
            return early
        return self.faults.wrap(self._invoke(request), request.environ, truncate)

    def on_file(self, request):
        early, truncate = self.faults.before(request.environ)
        if early is not None:
            return early
        response = downloads.file_response(request, self.archive, tokens=self.config.tokens)
        return self.faults.wrap(response, request.environ, truncate)

    def on_bundle(self, request):
        return downloads.bundle_response(request, self.archive, base_url=request.host_url)

    def on_whoami(self, request):
        return downloads.whoami_response(request, tokens=self.config.tokens)

    def on_path_lookup(self, request):
        return downloads.path_lookup_response(request, self.archive)

    def on_santa(self, request):
        names = [n for n in request.args.getlist("name") if n.strip()]
        if not names:
            return _plain("missing 'name' argument: expected name=<object name> (repeatable)", 400)
        resolve_all = request.args.get("resolveAll", "false").strip().lower() == "true"
        try:
            body = santa_query(
                names,
                resolve_all=resolve_all,
                resolver=request.args.get("resolver") or None,
                catalogs=getattr(self.archive, "catalogs", None),
            )
        except ValueError as exc:
            return _plain(f"bad 'resolver' argument: {exc}", 400)
        return _json(body)

    def on_panstarrs_metadata(self, request, release, table):
        try:
            return _json(panstarrs.metadata(release.lower(), table.lower()))
        except panstarrs.PanstarrsError as exc:
            return _json({"detail": str(exc)}, status=404)

    def on_panstarrs(self, request, release, table):
        params = {
            key: values if len(values) > 1 else values[0] for key, values in request.args.lists()
        }
        if request.method == "POST":
            body = request.get_json(silent=True) if request.is_json else None
            params.update(body if isinstance(body, dict) else request.form.to_dict(flat=True))
        catalogs = getattr(self.archive, "catalogs", None)
        if catalogs is None:
            return _json({"detail": "this local MAST serves no catalogs"}, status=404)
        try:
            document = panstarrs.search(catalogs, release.lower(), table.lower(), params)
        except panstarrs.PanstarrsError as exc:
            return _json({"detail": str(exc)}, status=400)
        return _json(document)

    def on_hla_spectrum(self, request):
        dataset = request.args.get("dataset") or request.args.get("file_id")
        catalogs = getattr(self.archive, "catalogs", None)
        if not dataset:
            return _plain("missing 'dataset' (getdata.cgi) or 'file_id' (ecfproxy) argument", 400)
        body = None if catalogs is None else hsc_files.spectrum_fits(catalogs, dataset)
        if body is None:
            return _plain(f"no HSC spectrum named {dataset!r}", 404)
        name = dataset if dataset.lower().endswith(".fits") else dataset + ".fits"
        return Response(
            body,
            mimetype="application/fits",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )

    def on_columnsconfig(self, request):
        early, truncate = self.faults.before(request.environ)
        if early is not None:
            return early
        config_id = _form_value(request, "colConfigId")
        if not config_id:
            return _plain("missing 'colConfigId' argument: expected colConfigId=<service>", 400)
        return self.faults.wrap(_json(self._colconfig(config_id) or {}), request.environ, truncate)

    def _colconfig(self, config_id):
        try:
            return self._columns_config(config_id, self.archive)
        except Exception:  # noqa: BLE001  (a bad config id must not break an answer)
            log.exception("columns config %r failed", config_id)
            return None

    def _compute(self, inv):
        params = dict(inv.params)
        if inv.data is not None:
            params.setdefault("data", inv.data)
        try:
            return self._run_service(inv.service, params, self.archive)
        except ServiceError:
            raise
        except Exception as exc:
            log.exception("service %s failed on %r", inv.service, inv.params)
            raise ServiceError(
                f"internal error of the local MAST in {inv.service}: {type(exc).__name__}: {exc}"
            ) from exc

    def _invoke(self, request):
        try:
            inv = parse_invocation(_form_value(request, "request"))
        except BadRequestError as exc:
            return _plain(str(exc), 400)
        except InvalidInvocationError as exc:
            return _error(exc.format, str(exc))
        try:
            return self._answer(request, inv)
        except (ConnectionError, TimeoutError):
            raise
        except Exception as exc:  # noqa: BLE001  (answered as MAST answers bad parameters)
            log.exception("answering %s failed", inv.service)
            return _error(
                inv.format,
                f"internal error of the local MAST in {inv.service}: {type(exc).__name__}: {exc}",
            )

    def _answer(self, request, inv):
        job = self.jobs.submit(inv, lambda: self._compute(inv))
        state, value = job.poll(min(inv.timeout, self.config.max_hold))
        if state == "ERROR":
            self.jobs.failed(inv)
            return _error(inv.format, value)
        if state == "EXECUTING":
            return _json({"status": "EXECUTING", "msg": "", "percent complete": value})
        self.jobs.completed(inv, job)
        if isinstance(value, DocumentResult):
            return _json(value.body)
        if value.nrows > self.config.row_limit:
            log.info(
                "%s: %d rows > row_limit %d, resetting the connection",
                inv.service,
                value.nrows,
                self.config.row_limit,
            )
            reset_connection(request.environ)
        return self._render(inv, value)

    def _render(self, inv, result):
        fields = result.fields
        if inv.removenullcolumns:
            nulls = formats.null_columns(result, [f.name for f in fields])
            fields = tuple(f for f in fields if f.name not in nulls)
        start, stop, paging = formats.paging_for(result.nrows, inv.page, inv.pagesize)
        if inv.format == "extjs" and not result.nrows:
            paging = dict.fromkeys(paging, 0)  # as every recorded extjs answer without rows
        body = _primed(self._body(inv, result, fields, start, stop, paging))
        mimetype = formats.CONTENT_TYPES[inv.format].split(";")[0]
        return Response(body, mimetype=mimetype, direct_passthrough=True)

    def _body(self, inv, result, fields, start, stop, paging):
        """The body chunks of one page in the request's format (votable made at once)."""
        if inv.format == "json":
            return formats.render_json(result, fields, start=start, stop=stop, paging=paging)
        if inv.format == "csv":
            return formats.render_csv(result, fields, start=start, stop=stop)
        colconfig = self._colconfig(inv.columnsconfigid or inv.service) or {}
        if inv.format == "votable":
            return list(
                formats.render_votable(result, fields, start=start, stop=stop, colconfig=colconfig)
            )
        return formats.render_extjs(
            result, fields, start=start, stop=stop, paging=paging, colconfig=colconfig
        )


def _default_archive(config):
    from mastq.emulator.caom.archive import Archive

    return Archive(seed=config.seed, scale=config.scale, dense_field=config.dense_field)


def _default_run_service():
    from mastq.emulator.services import run_service

    return run_service


def _default_columns_config():
    from mastq.emulator.services.columnsconfig import columns_config

    return columns_config


def make_app(config=None, *, archive=None, run_service=None, columns_config=None, **overrides):
    """
    Build the local MAST WSGI application.

    Parameters
    ----------
    config : EmulatorConfig, optional
        Settings; default ``EmulatorConfig()``.
    archive : Archive, optional
        The archive to serve; default the one of ``config`` (``seed``, ``scale``,
        ``dense_field``).
    run_service : callable, optional
        ``run_service(service, params, archive)``; default the emulator's services.
    columns_config : callable, optional
        ``columns_config(config_id, archive)``; default the emulator's column configs.
    **overrides
        Settings changed on ``config`` (see `EmulatorConfig.replace`).

    Returns
    -------
    LocalMast
        A WSGI callable.

    Raises
    ------
    TypeError
        If ``config`` is not an `EmulatorConfig` or an override is unknown.

    Examples
    --------
    >>> from werkzeug.test import Client
    >>> answer = Client(make_app()).get("/whoami")
    >>> answer.status_code, answer.json["anon"]
    (200, True)
    """
    config = EmulatorConfig() if config is None else config
    if not isinstance(config, EmulatorConfig):
        raise TypeError(f"config must be an EmulatorConfig, got {type(config).__name__}")
    config = config.replace(**overrides) if overrides else config
    archive = _default_archive(config) if archive is None else archive
    run_service = run_service or _default_run_service()
    columns_config = columns_config or _default_columns_config()
    return LocalMast(
        config, archive=archive, run_service=run_service, columns_config=columns_config
    )
