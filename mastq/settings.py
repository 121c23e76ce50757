"""
One call, one configuration: a validated, immutable snapshot of `mastq.conf`.

`Settings.from_conf` reads every item of `mastq.conf` once and checks it; the snapshot
is then handed down (service client -> transport -> polling) so that a
``conf.set_temp(...)`` in another thread never changes a call already running.
`redact` hides the credentials of a URL wherever one is shown, and `on_server` tells
whether a URL is on the configured MAST host (a redirect, a download, a token).
"""

import contextlib
import dataclasses
import math
import numbers
from urllib.parse import urlsplit, urlunsplit

from .exceptions import InvalidQueryError

__all__ = ["Settings", "redact", "on_server", "host_of"]

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
        raise InvalidQueryError(f"mastq.conf.{name}={redact(text)!r} has a bad port "
                                f"({err})", cause=err) from err
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise InvalidQueryError(f"mastq.conf.{name}={redact(text)!r} must be an http(s) URL "
                                f"with a host, e.g. 'https://mast.stsci.edu'")
    if port == 0:
        raise InvalidQueryError(f"mastq.conf.{name}={redact(text)!r} has a bad port (0)")
    return text.rstrip("/")


def _number(name, value, *, minimum=0.0, strict=True, integer=False):
    """``value`` as a finite float (or int) above ``minimum``, or InvalidQueryError."""
    what = "an integer" if integer else "a number"
    bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
    ok_type = (numbers.Integral if integer else numbers.Real)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = int(value) if integer else float(value)
    if isinstance(value, bool) or not isinstance(value, ok_type) or not math.isfinite(value) \
            or (value <= minimum if strict else value < minimum):
        raise InvalidQueryError(f"mastq.conf.{name} must be {what} {bound}, got {value!r}")
    return int(value) if integer else float(value)


def _flag(name, value):
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise InvalidQueryError(f"mastq.conf.{name} must be True or False, got {value!r}")
    return value


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
    "download_connections": lambda n, v: _number(n, v, integer=True),
    "download_deadline": lambda n, v: _number(n, v),
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

    server: str = "https://mast.stsci.edu"
    connect_timeout: float = 10.0
    timeout: float = 600.0
    service_timeout: float = 20.0
    deadline: float = 600.0
    poll_interval: float = 0.15
    poll_interval_max: float = 2.0
    pagesize: int = 50000
    retries: int = 5
    retry_backoff: float = 0.25
    retry_backoff_max: float = 30.0
    max_workers: int = 4
    cache: bool = True
    cache_ttl: float = 3600.0
    cache_dir: str = ""
    cache_memory_rows: int = 1_000_000
    row_limit: int = 500000
    download_connections: int = 6
    download_deadline: float = 86400.0

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

    def replace(self, **changes):
        """Return a checked copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def shown_server(self):
        """The server URL without credentials, for messages and logs."""
        return redact(self.server)

    @property
    def invoke_url(self):
        """The ``invoke`` endpoint of the server."""
        return self.server + "/api/v0/invoke"

    @property
    def columns_config_url(self):
        """The ``columnsconfig`` endpoint of the server."""
        return self.server + "/portal/Mashup/Mashup.asmx/columnsconfig"

    def __repr__(self):
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                           for f in dataclasses.fields(self) if f.name != "server")
        return f"Settings(server={self.shown_server!r}, {fields})"
