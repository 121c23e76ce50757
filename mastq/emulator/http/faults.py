"""
Injected faults of a local MAST: latency, 503, 429, connection resets, truncated and slow bodies.

One `FaultInjector` per server draws every decision from ``random.Random(faults.seed)``
under a lock, so a client that sends its requests one at a time meets the same faults at
every run.  Faults apply to ``/api/v0/invoke``, ``/portal/Mashup/Mashup.asmx/columnsconfig``
and ``/api/v0.1/Download/file`` (one draw per request, from the same generator).

A *reset* closes the TCP connection with ``SO_LINGER (1, 0)``, so the kernel sends an RST
and the client sees "connection reset by peer" with no HTTP answer at all (what MAST does
above its row limit).  A *truncation* sends part of the body, then closes the connection
(FIN): the client sees an incomplete chunked body or fewer bytes than ``Content-Length``.
"""

import logging
import os
import random
import socket
import struct
import threading
import time

from werkzeug.wrappers import Response

__all__ = ["FaultInjector", "reset_connection", "ConnectionClosedError"]

log = logging.getLogger(__name__)


class ConnectionClosedError(ConnectionResetError):
    """Raised after the server reset or closed a connection on purpose (werkzeug drops it)."""


def reset_connection(environ):
    """
    Reset the client connection of ``environ`` (TCP RST, no HTTP answer).

    The connection's file descriptor is replaced (``dup2``) by one end of a dead socket
    pair, which closes the TCP socket at once with ``SO_LINGER (1, 0)`` (hence the RST)
    while leaving werkzeug a valid descriptor that reads end-of-file.

    Parameters
    ----------
    environ : dict
        The WSGI environ; must hold ``werkzeug.socket``.

    Raises
    ------
    ConnectionClosedError
        Always, so that the server drops the request quietly.
    """
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("cannot reset a connection without environ['werkzeug.socket']")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    alive, dead = socket.socketpair()
    dead.close()
    try:
        os.dup2(alive.fileno(), sock.fileno())
    finally:
        alive.close()
    raise ConnectionClosedError("connection reset on purpose by the local MAST")


def close_connection(environ):
    """Close the client connection gracefully (FIN) after a partial body."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            log.debug("socket already closed while truncating a body")
    raise ConnectionClosedError("body truncated on purpose by the local MAST")


def _truncate(chunks, fraction, length):
    if length:
        budget = max(1, int(length * fraction))
        for chunk in chunks:
            if len(chunk) >= budget:
                yield chunk[:budget]
                return
            budget -= len(chunk)
            yield chunk
        return
    previous = None
    for chunk in chunks:
        if not chunk:
            continue
        if previous is None:
            previous = chunk
            continue
        yield previous
        yield chunk[: int(len(chunk) * fraction)]
        return
    if previous:
        yield previous[: max(1, int(len(previous) * fraction))]


def _throttle(chunks, rate):
    step = max(1, int(rate / 20))
    started = time.monotonic()
    sent = 0
    for chunk in chunks:
        for lo in range(0, len(chunk), step):
            piece = chunk[lo : lo + step]
            sent += len(piece)
            delay = sent / rate - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
            yield piece


class FaultInjector:
    """
    Draws and applies the faults of one server.

    Parameters
    ----------
    faults : FaultConfig
        What to inject.
    """

    def __init__(self, faults):
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()

    def _draw(self):
        f = self.faults
        if not f.any_random:
            return None, 0.0
        with self._lock:
            roll, fraction = self._rng.random(), self._rng.uniform(0.1, 0.9)
        for kind, p in (
            ("503", f.p_503),
            ("429", f.p_429),
            ("reset", f.p_reset),
            ("truncate", f.p_truncate),
        ):
            if roll < p:
                return kind, fraction
            roll -= p
        return None, fraction

    def before(self, environ):
        """
        Apply latency and the faults that replace an answer.

        Parameters
        ----------
        environ : dict
            The WSGI environ of the request.

        Returns
        -------
        response : werkzeug Response or None
            A 503/429 answer to send instead of the real one, or None.
        truncate : float or None
            When the body must be cut short: the fraction of it to send.

        Raises
        ------
        ConnectionClosedError
            When the draw says "reset" (the connection is already reset).
        """
        if self.faults.latency:
            time.sleep(self.faults.latency)
        kind, fraction = self._draw()
        if kind == "503":
            return Response(
                "Service Unavailable (injected by the local MAST)\n",
                status=503,
                mimetype="text/plain",
            ), None
        if kind == "429":
            wait = str(max(1, int(-(-self.faults.retry_after // 1))))
            return Response(
                "Too Many Requests (injected by the local MAST)\n",
                status=429,
                mimetype="text/plain",
                headers={"Retry-After": wait},
            ), None
        if kind == "reset":
            reset_connection(environ)
        return None, (fraction if kind == "truncate" else None)

    def wrap(self, response, environ, truncate):
        """
        Apply the body faults (truncation, bytes/s cap) to ``response`` in place.

        Parameters
        ----------
        response : werkzeug Response
        environ : dict
        truncate : float or None
            Fraction of the body to send before closing the connection.

        Returns
        -------
        werkzeug Response
        """
        rate = self.faults.slow_stream
        if truncate is None and not rate:
            return response
        if environ.get("REQUEST_METHOD") == "HEAD":
            return response
        body = response.iter_encoded()
        if truncate is not None:
            body = _truncate(body, truncate, response.content_length)
        if rate:
            body = _throttle(body, rate)

        def stream():
            yield from body
            if truncate is not None:
                close_connection(environ)

        response.response = stream()
        response.direct_passthrough = True
        return response
