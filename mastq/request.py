"""
The MashupRequest: one MAST ``invoke`` request as an immutable value.

A `MashupRequest` knows how to encode itself for a POST form body or a GET query
string exactly as MAST expects, how to make the same request for another page
(`MashupRequest.with_page`) and how to name its result in a cache
(`MashupRequest.cache_key`).  It never talks to the network.
"""

import dataclasses
import hashlib
import math
import numbers
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlencode

import orjson

from .exceptions import InvalidQueryError

__all__ = ["MashupRequest", "FORMATS", "EXTRA_PROPERTIES"]

FORMATS = ("json", "extjs", "csv", "votable")
"""Result formats the invoke endpoint knows."""

EXTRA_PROPERTIES = frozenset({"data", "removecache", "columnsconfigid", "filename"})
"""Documented MashupRequest properties carried in `MashupRequest.extra`."""

_ORJSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _new_cachebreaker():
    return str(uuid.uuid4())


def _to_json(value, name, service):
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError as exc:
        raise InvalidQueryError(
            f"{name} must be JSON-serialisable (dict, list, str, number, bool, None): {exc}",
            service=service,
        ) from exc


def _frozen_copy(value, name, service):
    """A deep, read-only copy of a JSON-like mapping (checks it is JSON-serialisable)."""
    if not isinstance(value, Mapping):
        raise InvalidQueryError(
            f"{name} must be a mapping (dict), got {type(value).__name__}", service=service
        )
    return MappingProxyType(orjson.loads(_to_json(dict(value), name, service)))


def _positive_int(value, name, service):
    """``value`` as a Python int (numpy integers accepted), or InvalidQueryError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidQueryError(
            f"{name} must be a positive integer, got {value!r}", service=service
        )
    return int(value)


def _check_bool(value, name, service):
    if not isinstance(value, bool):
        raise InvalidQueryError(f"{name} must be True or False, got {value!r}", service=service)


@dataclasses.dataclass(frozen=True, eq=True)
class MashupRequest:
    """
    One MAST invoke request (the ``MashupRequest`` of the MAST API), immutable.

    Parameters
    ----------
    service : str
        The MAST service, e.g. ``"Mast.Caom.Cone"``.
    params : dict
        The service parameters; copied (deeply) and made read-only.
    format : {'json', 'extjs', 'csv', 'votable'}
        Result format.
    pagesize : int
        Rows per page.
    page : int
        1-based page to return.
    removenullcolumns : bool
        Ask the server to drop all-null columns.
    timeout : int or float
        Seconds the server may work before answering ``EXECUTING``.
    cachebreaker : str
        Identifies the job: every poll and page of one logical call shares it.
        A fresh UUID by default.
    clearcache : bool
        Ask the server to drop its cached result of an identical request first.
    extra : dict
        Other documented properties (``data``, ``removecache``, ``columnsconfigid``,
        ``filename``).

    Raises
    ------
    mastq.exceptions.InvalidQueryError
        (a `ValueError`) naming the field whose value is not valid.

    Examples
    --------
    >>> request = MashupRequest("Mast.Caom.Cone", {"ra": 10.684, "dec": 41.269, "radius": 0.05},
    ...                         pagesize=100)
    >>> request.as_dict()["params"], request.with_page(2).page
    ({'ra': 10.684, 'dec': 41.269, 'radius': 0.05}, 2)
    >>> list(request.as_form())
    ['request']
    """

    service: str
    params: Mapping = dataclasses.field(default_factory=dict)
    format: str = "json"
    pagesize: int = 50000
    page: int = 1
    removenullcolumns: bool = False
    timeout: float = 20
    cachebreaker: str = dataclasses.field(default_factory=_new_cachebreaker)
    clearcache: bool = False
    extra: Mapping = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        service = self.service
        if not isinstance(service, str) or not service.strip():
            raise InvalidQueryError(f"service must be a non-empty string, got {service!r}")
        object.__setattr__(self, "params", _frozen_copy(self.params, "params", service))
        if not isinstance(self.format, str) or self.format not in FORMATS:
            raise InvalidQueryError(
                f"format must be one of {FORMATS}, got {self.format!r}", service=service
            )
        object.__setattr__(self, "pagesize", _positive_int(self.pagesize, "pagesize", service))
        object.__setattr__(self, "page", _positive_int(self.page, "page", service))
        _check_bool(self.removenullcolumns, "removenullcolumns", service)
        _check_bool(self.clearcache, "clearcache", service)
        timeout = self.timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, numbers.Real)
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise InvalidQueryError(
                f"timeout must be a finite, positive number of seconds, got {timeout!r}",
                service=service,
            )
        if not isinstance(self.cachebreaker, str) or not self.cachebreaker:
            raise InvalidQueryError(
                f"cachebreaker must be a non-empty string, got {self.cachebreaker!r}",
                service=service,
            )
        unknown = set(self.extra) - EXTRA_PROPERTIES
        if unknown:
            raise InvalidQueryError(
                f"extra has unknown MashupRequest properties "
                f"{sorted(unknown)}; expected some of "
                f"{sorted(EXTRA_PROPERTIES)}",
                service=service,
            )
        object.__setattr__(self, "extra", _frozen_copy(self.extra, "extra", service))

    def as_dict(self):
        """
        Return the request as the JSON object MAST receives (a new plain dict).

        Returns
        -------
        dict
        """
        body = {
            "service": self.service,
            "params": dict(self.params),
            "format": self.format,
            "pagesize": self.pagesize,
            "page": self.page,
            "removenullcolumns": self.removenullcolumns,
            "timeout": self.timeout,
            "clearcache": self.clearcache,
            "cachebreaker": self.cachebreaker,
        }
        body.update(self.extra)
        return body

    def encode(self):
        """
        Return the request as a compact JSON string.

        Returns
        -------
        str

        Examples
        --------
        >>> MashupRequest("Mast.Name.Lookup", {"input": "M31"}).encode()[:60]
        '{"service":"Mast.Name.Lookup","params":{"input":"M31"},"form'
        """
        return _to_json(self.as_dict(), "request", self.service).decode()

    def as_form(self):
        """
        Return the POST form fields (``{"request": <json>}``), for ``requests``' ``data=``.

        Returns
        -------
        dict
        """
        return {"request": self.encode()}

    def as_query(self):
        """
        Return the URL-encoded query string of a GET request (``request=<json>``).

        Returns
        -------
        str
        """
        return urlencode(self.as_form())

    def with_page(self, page):
        """
        Return the same request (same cachebreaker) for another page.

        Parameters
        ----------
        page : int
            1-based page number.

        Returns
        -------
        MashupRequest

        Raises
        ------
        mastq.exceptions.InvalidQueryError
            If ``page`` is not a positive integer.

        Examples
        --------
        >>> request = MashupRequest("Mast.Caom.Cone", {"ra": 10.7, "dec": 41.3, "radius": 0.1})
        >>> request.with_page(3).page, request.with_page(3).cachebreaker == request.cachebreaker
        (3, True)
        """
        return dataclasses.replace(self, page=page)

    def cache_key(self, *, server="", single_page=False):
        """
        Return a hex digest naming the result of this request in a cache.

        The key covers service, params, format and the properties that change the
        rows (``removenullcolumns``, ``extra``), not the cachebreaker or timeout.

        Parameters
        ----------
        server : str, optional
            The server URL, so that two servers never share entries.
        single_page : bool, optional
            True when only this page was asked: page and pagesize join the key.

        Returns
        -------
        str
        """
        parts = {
            "server": server,
            "service": self.service,
            "params": dict(self.params),
            "format": self.format,
            "removenullcolumns": self.removenullcolumns,
            "extra": dict(self.extra),
        }
        if single_page:
            parts["page"] = self.page
            parts["pagesize"] = self.pagesize
        blob = orjson.dumps(parts, option=_ORJSON_OPTIONS | orjson.OPT_SORT_KEYS)
        return hashlib.sha256(blob).hexdigest()
