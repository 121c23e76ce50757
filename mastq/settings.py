"""
One call, one configuration: a validated, immutable snapshot of `mastq.conf`.

`Settings.from_conf` reads every item of `mastq.conf` once and checks it; the snapshot
is then handed down (service client -> transport -> polling) so that a
``conf.set_temp(...)`` in another thread never changes a call already running.
`redact` hides the credentials of a URL wherever one is shown, and `on_server` tells
whether a URL is on the configured MAST host (a redirect, a download, a token).
"""

import contextlib
import contextvars
import dataclasses
import functools
import math
import numbers
from urllib.parse import urlsplit, urlunsplit

from .exceptions import InvalidQueryError

__all__ = ["Settings", "one_call", "redact", "on_server", "host_of"]

_SCHEMES = frozenset({"http", "https"})


def redact(url):
    """
    Return ``url`` with any ``user:password@`` replaced by ``***@``.

    Parameters
    ----------
    url : str
        Any URL (other text is returned unchanged).

    Returns
    -------
    str

    Examples
    --------
    >>> redact("https://me:secret@mast.example.org/api")
    'https://***@mast.example.org/api'
    """
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if "@" not in parts.netloc:
        return text
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def host_of(url):
    """
    Return ``(scheme, host, port)`` of ``url``, the port made explicit.

    Parameters
    ----------
    url : str

    Returns
    -------
    tuple
        E.g. ``("https", "mast.stsci.edu", 443)``; the host is lower case.

    Examples
    --------
    >>> host_of("https://MAST.stsci.edu/api/v0/invoke")
    ('https', 'mast.stsci.edu', 443)
    """
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def on_server(url, server):
    """
    Tell whether ``url`` is on the MAST host ``server`` (same scheme, host and port).

    Parameters
    ----------
    url : str
        The URL to judge (a redirect target, a download URL...).
    server : str or Settings
        The configured MAST server URL, or a `Settings` (its ``server``).

    Returns
    -------
    bool

    Examples
    --------
    >>> on_server("https://mast.stsci.edu/api/v0/invoke", "https://mast.stsci.edu")
    True
    >>> on_server("https://evil.example.org/x", "https://mast.stsci.edu")
    False
    """
    server = server.server if isinstance(server, Settings) else server
    try:
        return host_of(url) == host_of(server)
    except ValueError:
        return False


def _check_server(name, value):
    text = str(value).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:
        raise InvalidQueryError(
            f"mastq.conf.{name}={redact(text)!r} has a bad port ({err})", cause=err
        ) from err
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise InvalidQueryError(
            f"mastq.conf.{name}={redact(text)!r} must be an http(s) URL "
            f"with a host, e.g. 'https://mast.stsci.edu'"
        )
    if port == 0:
        raise InvalidQueryError(f"mastq.conf.{name}={redact(text)!r} has a bad port (0)")
    return text.rstrip("/")


def _number(name, value, *, minimum=0.0, strict=True, integer=False):
    """``value`` as a finite float (or int) above ``minimum``, or InvalidQueryError."""
    what = "an integer" if integer else "a number"
    bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
    ok_type = numbers.Integral if integer else numbers.Real
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = int(value) if integer else float(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, ok_type)
        or not math.isfinite(value)
        or (value <= minimum if strict else value < minimum)
    ):
        raise InvalidQueryError(f"mastq.conf.{name} must be {what} {bound}, got {value!r}")
    return int(value) if integer else float(value)


def _flag(name, value):
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise InvalidQueryError(f"mastq.conf.{name} must be True or False, got {value!r}")
    return value


def _default(name):
    """The default of the `mastq.conf` item ``name``: declared once, in `mastq.Conf`."""
    from . import Conf

    return getattr(Conf, name).defaultvalue


# conf item -> (Settings field, checker); one declaration drives from_conf and its errors
_CHECKS = {
    "server": lambda n, v: _check_server(n, v),
    "connect_timeout": lambda n, v: _number(n, v),
    "timeout": lambda n, v: _number(n, v),
    "service_timeout": lambda n, v: _number(n, v),
    "deadline": lambda n, v: _number(n, v),
    "poll_interval": lambda n, v: _number(n, v),
    "poll_interval_max": lambda n, v: _number(n, v),
    "pagesize": lambda n, v: _number(n, v, integer=True),
    "retries": lambda n, v: _number(n, v, strict=False, integer=True),
    "retry_backoff": lambda n, v: _number(n, v, strict=False),
    "retry_backoff_max": lambda n, v: _number(n, v, strict=False),
    "max_workers": lambda n, v: _number(n, v, integer=True),
    "cache": lambda n, v: _flag(n, v),
    "cache_ttl": lambda n, v: _number(n, v, strict=False),
    "cache_dir": lambda n, v: str(v),
    "cache_memory_rows": lambda n, v: _number(n, v, strict=False, integer=True),
    "row_limit": lambda n, v: _number(n, v, integer=True),
    "batch_workers": lambda n, v: _number(n, v, integer=True),
    "crossmatch_chunk": lambda n, v: _number(n, v, integer=True),
    "download_connections": lambda n, v: _number(n, v, integer=True),
    "download_deadline": lambda n, v: _number(n, v),
    "progress": lambda n, v: _flag(n, v),
}


@dataclasses.dataclass(frozen=True)
class Settings:
    """
    The configuration one call runs with (a checked snapshot of `mastq.conf`).

    Every field has the name and meaning of the `mastq.conf` item it comes from.
    Build one with `Settings.from_conf`, and variants with `Settings.replace`.

    Raises
    ------
    mastq.exceptions.InvalidQueryError
        (a `ValueError`) naming the conf item whose value is not valid.

    Examples
    --------
    >>> import mastq
    >>> with mastq.conf.set_temp("retries", 2):
    ...     Settings.from_conf().retries
    2
    """

    server: str = _default("server")
    connect_timeout: float = _default("connect_timeout")
    timeout: float = _default("timeout")
    service_timeout: float = _default("service_timeout")
    deadline: float = _default("deadline")
    poll_interval: float = _default("poll_interval")
    poll_interval_max: float = _default("poll_interval_max")
    pagesize: int = _default("pagesize")
    retries: int = _default("retries")
    retry_backoff: float = _default("retry_backoff")
    retry_backoff_max: float = _default("retry_backoff_max")
    max_workers: int = _default("max_workers")
    cache: bool = _default("cache")
    cache_ttl: float = _default("cache_ttl")
    cache_dir: str = _default("cache_dir")
    cache_memory_rows: int = _default("cache_memory_rows")
    row_limit: int = _default("row_limit")
    batch_workers: int = _default("batch_workers")
    crossmatch_chunk: int = _default("crossmatch_chunk")
    download_connections: int = _default("download_connections")
    download_deadline: float = _default("download_deadline")
    progress: bool = _default("progress")

    def __post_init__(self):
        for name, check in _CHECKS.items():
            object.__setattr__(self, name, check(name, getattr(self, name)))

    @classmethod
    def from_conf(cls):
        """
        Read `mastq.conf` once and return its checked snapshot.

        Returns
        -------
        Settings

        Raises
        ------
        mastq.exceptions.InvalidQueryError
            Naming the conf item that is not valid (e.g. a server without scheme,
            ``deadline <= 0``, negative ``retries``).
        """
        from . import conf

        return cls(**{name: getattr(conf, name) for name in _CHECKS})

    @classmethod
    def current(cls):
        """
        The snapshot of the public call running in this thread (see `one_call`), else a
        fresh one.

        Returns
        -------
        Settings
        """
        pinned = _PINNED.get()
        return pinned if pinned is not None else cls.from_conf()

    def replace(self, **changes):
        """Return a checked copy with some fields changed.

        Examples
        --------
        >>> Settings().replace(retries=0, deadline=30).retries
        0
        >>> try:
        ...     Settings().replace(deadline=0)
        ... except ValueError as err:
        ...     print(err)
        mastq.conf.deadline must be a number > 0, got 0
        """
        return dataclasses.replace(self, **changes)

    @property
    def shown_server(self):
        """The server URL without credentials, for messages and logs.

        Examples
        --------
        >>> Settings(server="https://me:secret@mast.example.org").shown_server
        'https://***@mast.example.org'
        """
        return redact(self.server)

    @property
    def invoke_url(self):
        """The ``invoke`` endpoint of the server.

        Examples
        --------
        >>> Settings(server="https://mast.stsci.edu").invoke_url
        'https://mast.stsci.edu/api/v0/invoke'
        """
        return self.server + "/api/v0/invoke"

    @property
    def columns_config_url(self):
        """The ``columnsconfig`` endpoint of the server."""
        return self.server + "/portal/Mashup/Mashup.asmx/columnsconfig"

    def __repr__(self):
        fields = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.name != "server"
        )
        return f"Settings(server={self.shown_server!r}, {fields})"


_PINNED = contextvars.ContextVar("mastq_settings", default=None)


def one_call(method):
    """
    Make ``method`` read `mastq.conf` once, at its start, for everything it does.

    Inside the call, `Settings.current` answers that one snapshot (in this thread, and
    in worker threads started through `in_call`), so a query that resolves a name,
    fetches column metadata and pages through a result never mixes two servers even if
    another thread changes `mastq.conf` meanwhile.  Nested decorated calls keep the
    outer snapshot.  Nothing is shared between calls: the snapshot lives in a
    `contextvars.ContextVar`.

    Parameters
    ----------
    method : callable

    Returns
    -------
    callable

    Examples
    --------
    >>> @one_call
    ... def show_server():
    ...     return Settings.current().server
    >>> import mastq
    >>> with mastq.conf.set_temp("server", "https://example.org"):
    ...     show_server()
    'https://example.org'
    """

    @functools.wraps(method)
    def call(*args, **kwargs):
        if _PINNED.get() is not None:
            return method(*args, **kwargs)
        token = _PINNED.set(Settings.from_conf())
        try:
            return method(*args, **kwargs)
        finally:
            _PINNED.reset(token)

    call.one_call = True
    return call


def in_call(function):
    """
    ``function`` bound to the caller's context, for a worker thread of the same call.

    Parameters
    ----------
    function : callable

    Returns
    -------
    callable
        Runs ``function`` with the caller's pinned `Settings` (see `one_call`).
    """
    context = contextvars.copy_context()
    return functools.partial(context.run, function)
