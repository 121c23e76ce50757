"""
Settings of one local MAST server: what it holds, how fast it answers, which faults it injects.

Both classes are frozen dataclasses: a running server never changes its settings, and two
servers never share any.  Build variants with `EmulatorConfig.replace`.
"""

import dataclasses
from dataclasses import dataclass, field

__all__ = ["EmulatorConfig", "FaultConfig", "DEFAULT_TOKEN"]

DEFAULT_TOKEN = "mastq-emulator-token"
"""The MAST API token a default local MAST accepts (cookie ``mast_token`` or
``Authorization: token <T>``)."""


def _check_probability(name, value):
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"FaultConfig.{name} must be a probability in [0, 1], got {value!r}")


def _check_non_negative(owner, name, value):
    if float(value) < 0:
        raise ValueError(f"{owner}.{name} must be >= 0, got {value!r}")


def _check_dense_field(value):
    if value == ():
        return
    ok = isinstance(value, tuple) and len(value) == 4
    if ok:
        ra, dec, radius, n = value
        ok = (
            all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and -90 <= dec <= 90
            and 0 < radius <= 180
            and float(n).is_integer()
            and n >= 0
        )
    if not ok:
        raise ValueError(
            f"EmulatorConfig.dense_field must be () or (ra, dec, radius, n) in "
            f"degrees with -90 <= dec <= 90, 0 < radius <= 180 and an integer "
            f"n >= 0, got {value!r}"
        )


@dataclass(frozen=True)
class FaultConfig:
    """
    Faults a local MAST injects into its answers (all off by default).

    Every random decision comes from one ``random.Random(seed)`` per server, drawn
    under a lock, so a single-threaded client sees the same faults at every run.

    Parameters
    ----------
    seed : int
        Seed of the fault generator.
    latency : float
        Seconds added before every answer.
    executing_polls : int
        EXECUTING answers every new invoke job gives before anything else (adds to
        nothing: the larger of this and `EmulatorConfig.executing_polls` applies).
    p_503 : float
        Probability that a request is answered HTTP 503 (Service Unavailable).
    p_429 : float
        Probability that a request is answered HTTP 429 (Too Many Requests) with a
        ``Retry-After`` header.
    retry_after : float
        Seconds announced in the ``Retry-After`` header of a 429 answer (rounded up).
    p_reset : float
        Probability that the connection is reset (TCP RST) instead of answered.
    p_truncate : float
        Probability that the body is cut short mid-stream and the connection closed.
    slow_stream : float
        Cap on the bytes per second of every body; 0 means no cap.

    Examples
    --------
    >>> from mastq.emulator import EmulatorConfig
    >>> config = EmulatorConfig().replace(p_503=0.2, latency=0.05)
    >>> config.faults.p_503, config.faults.latency
    (0.2, 0.05)
    """

    seed: int = 0
    latency: float = 0.0
    executing_polls: int = 0
    p_503: float = 0.0
    p_429: float = 0.0
    retry_after: float = 1.0
    p_reset: float = 0.0
    p_truncate: float = 0.0
    slow_stream: float = 0.0

    def __post_init__(self):
        for name in ("p_503", "p_429", "p_reset", "p_truncate"):
            _check_probability(name, getattr(self, name))
        for name in ("latency", "executing_polls", "retry_after", "slow_stream"):
            _check_non_negative("FaultConfig", name, getattr(self, name))

    @property
    def any_random(self):
        """True when at least one probabilistic fault is switched on.

        Examples
        --------
        >>> FaultConfig().any_random, FaultConfig(p_503=0.1).any_random
        (False, True)
        """
        return any((self.p_503, self.p_429, self.p_reset, self.p_truncate))


@dataclass(frozen=True)
class EmulatorConfig:
    """
    Settings of one local MAST server.

    Parameters
    ----------
    seed : int
        Seed of the generated sample archive.
    scale : float
        Size factor of the generated sample archive (1.0 is the default sample).
    dense_field : tuple
        ``(ra, dec, radius, n)`` in degrees: ``n`` more CAOM observations spread
        uniformly within ``radius`` of ``(ra, dec)`` (default ``()``: none), e.g.
        ``(150.0, 2.0, 0.5, 200_000)`` for a cone beyond a small ``row_limit``.
    query_seconds : float
        Simulated seconds every invoke job takes (plus the service's own cost); while a
        job is younger than that, polls answer ``status: EXECUTING``.
    max_hold : float
        Longest time a request waits for its job before answering EXECUTING (the
        request's own ``timeout`` can only shorten it).
    executing_polls : int
        EXECUTING answers every new job gives first, whatever its cost.
    row_limit : int
        Results with more rows than this (the whole result, not the page) make the
        server reset the connection, as MAST does above about 500,000 rows.
    job_ttl : float
        Seconds after which a job (or a cached result) nobody asked for is dropped.
    cache_size : int
        Most completed results kept in the server-side result cache.
    max_jobs : int
        Most jobs kept in the job table; above it the oldest finished jobs are dropped
        first (then the oldest of all), so that a flood of distinct requests cannot grow
        the table without bound.
    socket_timeout : float
        Seconds a connection may stay idle (or a request body may stall) before the
        server closes it, so that idle clients cannot hold server threads forever.
    max_content_length : int
        Largest request body accepted, in bytes; a larger one is answered HTTP 413.
    tokens : tuple of str
        MAST API tokens the server accepts for proprietary files and ``/whoami``.
    faults : FaultConfig
        Injected faults.

    Examples
    --------
    >>> config = EmulatorConfig(executing_polls=2, row_limit=1000)
    >>> config.replace(seed=3).seed, config.row_limit
    (3, 1000)
    """

    seed: int = 0
    scale: float = 1.0
    dense_field: tuple = ()
    query_seconds: float = 0.0
    max_hold: float = 1.0
    executing_polls: int = 0
    row_limit: int = 500_000
    job_ttl: float = 600.0
    cache_size: int = 256
    max_jobs: int = 4096
    socket_timeout: float = 30.0
    max_content_length: int = 256 * 1024 * 1024
    tokens: tuple = (DEFAULT_TOKEN,)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self):
        for name in ("scale", "query_seconds", "max_hold", "executing_polls", "job_ttl"):
            _check_non_negative("EmulatorConfig", name, getattr(self, name))
        for name in ("row_limit", "max_jobs", "max_content_length"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"EmulatorConfig.{name} must be >= 1, got {getattr(self, name)!r}")
        if not float(self.socket_timeout) > 0:
            raise ValueError(
                f"EmulatorConfig.socket_timeout must be > 0 seconds, got {self.socket_timeout!r}"
            )
        _check_dense_field(self.dense_field)
        if isinstance(self.tokens, str):
            raise TypeError("EmulatorConfig.tokens must be a tuple of token strings, not a str")
        if not isinstance(self.faults, FaultConfig):
            raise TypeError(f"EmulatorConfig.faults must be a FaultConfig, got {self.faults!r}")

    @property
    def forced_polls(self):
        """EXECUTING answers every new job gives first (config or fault, the larger).

        Examples
        --------
        >>> EmulatorConfig(executing_polls=1).replace(p_503=0.1).forced_polls
        1
        """
        return max(int(self.executing_polls), int(self.faults.executing_polls))

    def replace(self, **overrides):
        """
        Return a copy with some settings changed.

        Parameters
        ----------
        **overrides
            Any `EmulatorConfig` field, or any `FaultConfig` field (applied to
            ``faults``; ``executing_polls`` goes to the config itself).

        Returns
        -------
        EmulatorConfig

        Raises
        ------
        TypeError
            If a name is neither an `EmulatorConfig` nor a `FaultConfig` field.

        Examples
        --------
        >>> config = EmulatorConfig().replace(row_limit=100, p_429=0.5)
        >>> config.row_limit, config.faults.p_429
        (100, 0.5)
        """
        own = {f.name for f in dataclasses.fields(self)}
        fault_names = {f.name for f in dataclasses.fields(FaultConfig)}
        mine = {k: v for k, v in overrides.items() if k in own}
        faults = {k: v for k, v in overrides.items() if k not in own and k in fault_names}
        unknown = set(overrides) - set(mine) - set(faults)
        if unknown:
            raise TypeError(
                f"unknown emulator setting(s) {sorted(unknown)}; expected one of "
                f"{sorted(own | fault_names)}"
            )
        if "tokens" in mine and not isinstance(mine["tokens"], str):
            mine["tokens"] = tuple(mine["tokens"])
        if faults:
            mine["faults"] = dataclasses.replace(mine.get("faults", self.faults), **faults)
        return dataclasses.replace(self, **mine)
