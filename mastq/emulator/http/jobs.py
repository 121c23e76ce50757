"""
The long-polling side of the local MAST: parsed requests, the job table and the result cache.

A *job* is one execution of a service, identified by (service, params, data, cachebreaker):
page, pagesize and format are not part of it, so every page of one logical call (in any
format) shares one job.  A job is "executing" until it is older than its simulated cost
(``EmulatorConfig.query_seconds`` plus the result's own ``cost``) and until it has given its
forced EXECUTING answers (``EmulatorConfig.executing_polls``).  A completed job is kept in a
small result cache keyed by (service, params, data); ERROR results are never kept.

Cache rules, as MAST documents them (PROTOCOL.md, section 2):

- the identical request (cachebreaker included) always sees the same job;
- a request *without* a cachebreaker is answered from the result cache when the same
  (service, params, data) completed before;
- a new cachebreaker starts a fresh execution (it re-uses a cached result's rows, but waits
  its cost and forced polls again);
- ``clearcache`` drops the cached result and the job before running, ``removecache`` drops
  them after answering;
- a job or cached result nobody asked for during ``job_ttl`` seconds is dropped.
"""

import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = ["Invocation", "BadRequestError", "parse_invocation", "Job", "JobTable", "FORMATS"]

FORMATS = ("json", "csv", "votable", "extjs")
DEFAULT_TIMEOUT = 20.0
DEFAULT_PAGESIZE = 1000
MAX_PAGE = 2**31 - 1
"""Largest ``page`` and ``pagesize`` (MAST's are 32-bit integers)."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a MashupRequest."""


class BadRequestError(ValueError):
    """The ``request`` argument is missing or is not a JSON object (answered HTTP 400)."""


class InvalidInvocationError(ValueError):
    """A well-formed request with a bad property (answered ``status: ERROR``)."""

    def __init__(self, message, *, fmt="json"):
        super().__init__(message)
        self.format = fmt


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Invocation:
    """One parsed MashupRequest (property names are matched case-insensitively)."""

    service: str
    params: Any
    data: Any
    format: str
    page: int | None
    pagesize: int | None
    removenullcolumns: bool
    timeout: float
    cachebreaker: str | None
    clearcache: bool
    removecache: bool
    columnsconfigid: str | None

    @property
    def cache_key(self):
        """(service, params, data): what the result cache is keyed by."""
        return (self.service, _canonical(self.params), _canonical(self.data))

    @property
    def job_key(self):
        """(service, params, data, cachebreaker): what identifies a job."""
        return self.cache_key + (self.cachebreaker,)


def _as_bool(props, name):
    value = props.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _as_int(props, name, fmt):
    value = props.get(name)
    if value is None:
        return None
    try:
        if isinstance(value, bool) or float(value) != int(float(value)):
            raise ValueError(value)  # True or 1.5 are no page numbers
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        raise InvalidInvocationError(
            f"MashupRequest '{name}' must be an integer, got {value!r}", fmt=fmt
        ) from None
    if not 1 <= number <= MAX_PAGE:
        raise InvalidInvocationError(
            f"MashupRequest '{name}' must be an integer between 1 and {MAX_PAGE}, got {value!r}",
            fmt=fmt,
        )
    return number


def _as_timeout(props, fmt):
    value = props.get("timeout", DEFAULT_TIMEOUT)
    try:
        seconds = float(value)
        if math.isnan(seconds):
            raise ValueError(value)
        return max(0.0, seconds)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInvocationError(
            f"MashupRequest 'timeout' must be a number of seconds, got {value!r}", fmt=fmt
        ) from None


def _depth(value):
    """Deepest nesting of lists and dicts in ``value`` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((child, level + 1) for child in item)
    return deepest


def _too_deep():
    return InvalidInvocationError(
        f"'request' is nested deeper than {MAX_DEPTH} levels of "
        "arrays and objects; a MashupRequest never needs that"
    )


def _loads_object(text):
    if text is None or not str(text).strip():
        raise BadRequestError("missing 'request' argument: expected request=<MashupRequest JSON>")
    try:
        props = json.loads(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise BadRequestError(f"'request' is not valid JSON: {exc}") from None
    if _depth(props) > MAX_DEPTH:
        raise _too_deep()
    if not isinstance(props, dict):
        raise BadRequestError(
            f"'request' must be a JSON object (a MashupRequest), got {type(props).__name__}"
        )
    return {str(k).lower(): v for k, v in props.items()}


def parse_invocation(text):
    """
    Parse the ``request`` argument of ``/api/v0/invoke``.

    Parameters
    ----------
    text : str or None
        The MashupRequest JSON.

    Returns
    -------
    Invocation

    Raises
    ------
    BadRequestError
        If ``text`` is missing or not a JSON object (HTTP 400).
    InvalidInvocationError
        If a property has a bad value (answered ``status: ERROR``).
    """
    props = _loads_object(text)
    fmt = str(props.get("format", "extjs")).lower()
    if fmt not in FORMATS:
        raise InvalidInvocationError(
            f"unknown format {props.get('format')!r}; expected one of {', '.join(FORMATS)}"
        )
    service = props.get("service")
    if not isinstance(service, str) or not service.strip():
        raise InvalidInvocationError(
            "MashupRequest 'service' is required (a service name such as 'Mast.Caom.Cone')", fmt=fmt
        )
    params = props.get("params", {})
    if not isinstance(params, dict):
        raise InvalidInvocationError(
            f"MashupRequest 'params' must be a JSON object, got {params!r}", fmt=fmt
        )
    breaker = props.get("cachebreaker")
    config_id = props.get("columnsconfigid")
    if config_id is not None and not isinstance(config_id, str):
        raise InvalidInvocationError(
            f"MashupRequest 'columnsconfigid' must be a string, got {config_id!r}", fmt=fmt
        )
    return Invocation(
        service=service.strip(),
        params=params,
        data=props.get("data"),
        format=fmt,
        page=_as_int(props, "page", fmt),
        pagesize=_as_int(props, "pagesize", fmt),
        removenullcolumns=_as_bool(props, "removenullcolumns"),
        timeout=_as_timeout(props, fmt),
        cachebreaker=None if breaker is None else str(breaker),
        clearcache=_as_bool(props, "clearcache"),
        removecache=_as_bool(props, "removecache"),
        columnsconfigid=config_id,
    )


class Job:
    """
    One execution of a service: its result (or error), its start and its cost.

    Parameters
    ----------
    key : tuple
        The job key (`Invocation.job_key`).
    cost : float
        Simulated seconds before the job completes (config's ``query_seconds`` is added
        to the result's own cost once it is known).
    forced_polls : int
        EXECUTING answers to give before anything else.
    clock : callable
        Monotonic clock.
    """

    def __init__(self, key, *, cost, forced_polls, clock=time.monotonic):
        self.key = key
        self._clock = clock
        self._lock = threading.Lock()
        self.started = clock()
        self.last_seen = self.started
        self._base_cost = float(cost)
        self._forced_total = int(forced_polls)
        self._forced_left = int(forced_polls)
        self._computed = False
        self.result = None
        self.error = None

    @property
    def ready_at(self):
        extra = getattr(self.result, "cost", 0.0) or 0.0
        return self.started + self._base_cost + float(extra)

    @property
    def finished(self):
        """True once the job has its result (or error) and owes no more EXECUTING answers."""
        return self._computed and self._forced_left <= 0 and self._clock() >= self.ready_at

    def ensure_computed(self, compute):
        """Run ``compute()`` once; keep its result, or the message of the error it raised."""
        with self._lock:
            if self._computed:
                return
            try:
                self.result = compute()
            except Exception as exc:  # noqa: BLE001  (the message becomes the Mashup msg)
                self.error = str(exc) or type(exc).__name__
            self._computed = True

    def _percent(self):
        if self._forced_left > 0:
            done = self._forced_total - self._forced_left
            return int(100 * done / (self._forced_total + 1))
        span = self.ready_at - self.started
        if span <= 0:
            return 100
        return max(0, min(99, int(100 * (self._clock() - self.started) / span)))

    def poll(self, hold):
        """
        Wait up to ``hold`` seconds for the job, then say where it is.

        Parameters
        ----------
        hold : float
            Longest wait, in seconds.

        Returns
        -------
        tuple
            ``("ERROR", message)``, ``("EXECUTING", percent)`` or ``("COMPLETE", result)``.
        """
        with self._lock:
            self.last_seen = self._clock()
            if self.error is not None:
                return "ERROR", self.error
            if self._forced_left > 0:
                percent = self._percent()
                self._forced_left -= 1
                return "EXECUTING", percent
        remaining = self.ready_at - self._clock()
        if remaining > 0:
            time.sleep(min(remaining, max(0.0, hold)))
            if self._clock() < self.ready_at:
                return "EXECUTING", self._percent()
        return "COMPLETE", self.result


class JobTable:
    """
    Thread-safe table of jobs plus the server-side cache of completed results.

    Parameters
    ----------
    query_seconds : float
        Simulated seconds every job takes (plus its result's cost).
    forced_polls : int
        EXECUTING answers every new job gives first.
    ttl : float
        Seconds after which an unpolled job or unused cached result is dropped.
    cache_size : int
        Most completed results kept.
    max_jobs : int
        Most jobs kept; above it the oldest finished jobs are dropped first, then the
        oldest of all (a dropped job simply runs again when asked for).
    clock : callable
        Monotonic clock (tests may pass a fake one).
    """

    def __init__(
        self,
        *,
        query_seconds=0.0,
        forced_polls=0,
        ttl=600.0,
        cache_size=256,
        max_jobs=4096,
        clock=time.monotonic,
    ):
        self._lock = threading.Lock()
        self._jobs = {}
        self._cache = OrderedDict()
        self._query_seconds = float(query_seconds)
        self._forced_polls = int(forced_polls)
        self._ttl = float(ttl)
        self._cache_size = int(cache_size)
        self._max_jobs = int(max_jobs)
        self._clock = clock

    def __len__(self):
        with self._lock:
            return len(self._jobs)

    def _purge(self, now):
        for key in [k for k, j in self._jobs.items() if now - j.last_seen > self._ttl]:
            del self._jobs[key]
        for key in [k for k, j in self._cache.items() if now - j.last_seen > self._ttl]:
            del self._cache[key]

    def _lookup(self, inv, now):
        if inv.clearcache:
            self._cache.pop(inv.cache_key, None)
            self._jobs.pop(inv.job_key, None)
        job = self._jobs.get(inv.job_key)
        if job is None and inv.cachebreaker is None and inv.cache_key in self._cache:
            job = self._cache[inv.cache_key]
            self._cache.move_to_end(inv.cache_key)
        if job is None:
            job = Job(
                inv.job_key,
                cost=self._query_seconds,
                forced_polls=self._forced_polls,
                clock=self._clock,
            )
            cached = self._cache.get(inv.cache_key)
            if cached is not None:
                job.ensure_computed(lambda: cached.result)
            self._jobs[inv.job_key] = job
            self._cap(keep=inv.job_key)
        job.last_seen = now
        return job

    def _cap(self, *, keep):
        excess = len(self._jobs) - self._max_jobs
        if excess <= 0:
            return
        # Oldest first (dicts keep insertion order): finished jobs, then any but the new one.
        finished = [k for k, j in self._jobs.items() if k != keep and j.finished]
        done = set(finished)
        others = [k for k in self._jobs if k != keep and k not in done]
        for key in (finished + others)[:excess]:
            del self._jobs[key]

    def submit(self, inv, compute):
        """
        Find or start the job of a request.

        Parameters
        ----------
        inv : Invocation
            The request.
        compute : callable
            ``compute() -> TableResult | DocumentResult``; called at most once per job.

        Returns
        -------
        Job
        """
        now = self._clock()
        with self._lock:
            self._purge(now)
            job = self._lookup(inv, now)
        job.ensure_computed(compute)
        return job

    def completed(self, inv, job):
        """Record that ``job`` answered COMPLETE (cache it, or forget it on ``removecache``)."""
        with self._lock:
            if inv.removecache:
                self._cache.pop(inv.cache_key, None)
                self._jobs.pop(inv.job_key, None)
                return
            self._cache[inv.cache_key] = job
            self._cache.move_to_end(inv.cache_key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def failed(self, inv):
        """Forget the job of ``inv`` after an ERROR, so the next identical request runs again."""
        with self._lock:
            self._jobs.pop(inv.job_key, None)
