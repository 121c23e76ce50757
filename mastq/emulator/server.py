"""
Running a local MAST: a threaded werkzeug server on loopback, in a daemon thread or in front.

Examples
--------
>>> import requests
>>> from mastq.emulator import running
>>> with running(executing_polls=2) as url:
...     requests.get(url + "/whoami", timeout=10).json()["anon"]
True
"""

import contextlib
import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from mastq.emulator.config import EmulatorConfig
from mastq.emulator.http.app import make_app

__all__ = ["Emulator", "running"]

log = logging.getLogger(__name__)


class _LoggingHandler(WSGIRequestHandler):
    """
    Request handler that logs through `logging` (never to stderr by itself).

    Each server uses a subclass whose ``timeout`` is its ``EmulatorConfig.socket_timeout``:
    `socketserver.StreamRequestHandler` sets it on every connection, so an idle keep-alive
    connection or a stalled request body is closed after that many seconds.
    """

    def connection_dropped(self, error, environ=None):
        # A reset or truncation on purpose: never read a next request from this connection.
        self.close_connection = True

    def log(self, type, message, *args):  # noqa: A002  (werkzeug's signature)
        level = logging.ERROR if type == "error" else logging.INFO
        if message.startswith("Request timed out"):
            level = logging.INFO  # an idle client closed on purpose, not a server error
        log.log(level, "%s - %s", self.address_string(), message % args)


class Emulator:
    """
    One local MAST server (threaded werkzeug, one thread per connection).

    Parameters
    ----------
    config : EmulatorConfig, optional
        Settings; default ``EmulatorConfig()``.
    host : str
        Interface to listen on; default loopback only.
    port : int
        TCP port; 0 picks a free one (read it back from `url`).
    archive, run_service, columns_config : optional
        Passed to `make_app` (e.g. one archive shared by several servers of a test suite).
    **overrides
        Settings changed on ``config`` (see `EmulatorConfig.replace`), e.g.
        ``latency=0.2`` or ``executing_polls=3``.

    Examples
    --------
    >>> server = Emulator(p_503=0.1).start()
    >>> server.url
    'http://127.0.0.1:...'
    >>> server.stop()
    """

    def __init__(
        self,
        config=None,
        *,
        host="127.0.0.1",
        port=0,
        archive=None,
        run_service=None,
        columns_config=None,
        **overrides,
    ):
        config = EmulatorConfig() if config is None else config
        self.config = config.replace(**overrides) if overrides else config
        self.host = host
        self.port = int(port)
        self._backend = {
            "archive": archive,
            "run_service": run_service,
            "columns_config": columns_config,
        }
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self.app = None

    @property
    def url(self):
        """Root URL of the running server (no trailing slash), e.g. ``http://127.0.0.1:5432``."""
        if self._server is None:
            raise RuntimeError("the local MAST is not started: call start() first")
        host, port = self._server.server_address[:2]
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{port}"

    def _bind(self):
        with self._lock:
            if self._server is not None:
                raise RuntimeError(f"the local MAST is already running at {self.url}")
            self.app = make_app(self.config, **self._backend)
            handler = type(
                "_TimedHandler", (_LoggingHandler,), {"timeout": float(self.config.socket_timeout)}
            )
            self._server = make_server(
                self.host, self.port, self.app, threaded=True, request_handler=handler
            )
            self._server.daemon_threads = True
        return self._server

    def start(self):
        """
        Start serving in a daemon thread.

        Returns
        -------
        Emulator
            ``self``, so that ``url = Emulator().start().url`` works.

        Raises
        ------
        RuntimeError
            If the server is already running.

        Examples
        --------
        >>> import requests
        >>> server = Emulator().start()
        >>> requests.get(server.url + "/whoami", timeout=10).json()["anon"]
        True
        >>> server.stop()
        """
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever,
            name="mastq-emulator",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        log.info("local MAST serving at %s", self.url)
        return self

    def serve_forever(self):
        """Serve in the calling thread until interrupted (Ctrl-C), then close the socket."""
        server = self._bind()
        try:
            server.serve_forever()
        finally:
            self._close()

    def _close(self):
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.server_close()

    def stop(self):
        """Stop serving and close the listening socket (a no-op when not running)."""
        server = self._server
        if server is None:
            return
        server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        state = self.url if self._server is not None else "stopped"
        return f"<Emulator {state}>"


@contextlib.contextmanager
def running(config=None, **overrides):
    """
    Run a local MAST on ``127.0.0.1`` (a free port) for the duration of a ``with`` block.

    Parameters
    ----------
    config : EmulatorConfig, optional
        Settings; default ``EmulatorConfig()``.
    **overrides
        Settings changed on ``config``: `EmulatorConfig` fields and `FaultConfig` fields,
        plus ``archive``, ``run_service``, ``columns_config`` (see `make_app`).

    Yields
    ------
    str
        The server root URL; set ``mastq.conf.server`` to it.

    Examples
    --------
    >>> import requests
    >>> with running(executing_polls=2) as url:
    ...     requests.get(url + "/whoami", timeout=10).json()["anon"]
    True
    """
    with Emulator(config, **overrides) as server:
        yield server.url
