"""
Timing policies of the transport: the overall deadline, poll and retry pauses.

Values only: a `Deadline` is made per call and handed down; nothing here is shared
between calls, and nothing here reads `mastq.conf`: the figures come from the call's
`mastq.settings.Settings`.
"""

import dataclasses
import email.utils
import random
import time

from .exceptions import QueryDeadlineError

__all__ = ["Deadline", "poll_intervals", "retry_pause", "parse_retry_after"]

POLL_GROWTH = 1.5
"""Factor between two successive poll pauses."""


@dataclasses.dataclass(frozen=True)
class Deadline:
    """
    The monotonic instant by which a whole call must be done.

    Parameters
    ----------
    end : float
        `time.monotonic` value of the deadline.
    seconds : float
        The budget it was made with (for messages).
    """

    end: float
    seconds: float

    @classmethod
    def after(cls, seconds=None):
        """
        Return a deadline ``seconds`` from now.

        Parameters
        ----------
        seconds : float or mastq.settings.Settings, optional
            The budget (must be positive), or the settings whose ``deadline`` it is;
            default: a fresh `~mastq.settings.Settings` snapshot.

        Returns
        -------
        Deadline

        Raises
        ------
        ValueError
            If ``seconds`` is not a positive number.
        """
        if seconds is None or hasattr(seconds, "deadline"):
            seconds = (seconds or _settings()).deadline
        seconds = float(seconds)
        if not 0 < seconds < float("inf"):
            raise ValueError(f"deadline must be a positive number of seconds, got {seconds!r}")
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self):
        """Seconds left (may be negative)."""
        return self.end - time.monotonic()

    def check(self, *, service=None, url=None, request=None):
        """
        Return the seconds left, or raise when none are.

        Raises
        ------
        mastq.exceptions.QueryDeadlineError
            If the deadline has passed.
        """
        left = self.remaining()
        if left <= 0:
            raise QueryDeadlineError(
                f"the query did not complete within its deadline of {self.seconds:g} s "
                f"(mastq.conf.deadline)",
                service=service,
                url=url,
                request=request,
            )
        return left

    def sleep(self, seconds, *, reason=None, **context):
        """
        Sleep ``seconds``, or raise `QueryDeadlineError` if that passes the deadline.

        Parameters
        ----------
        seconds : float
            The pause.
        reason : str, optional
            What asks for the pause (e.g. ``"Retry-After"``): when given, a pause longer
            than the time left fails at once, naming both figures, instead of sleeping
            until the deadline.
        """
        left = self.check(**context)
        if seconds >= left:
            if reason is not None:
                raise QueryDeadlineError(
                    f"{reason} asks for {seconds:g} s but only {left:.3g} s are left of the "
                    f"deadline of {self.seconds:g} s (mastq.conf.deadline)",
                    **context,
                )
            time.sleep(max(left, 0))
            self.check(**context)
        time.sleep(max(seconds, 0))


def poll_intervals(settings):
    """
    Yield the pauses between polls of an EXECUTING job.

    Starts at ``settings.poll_interval`` and grows by `POLL_GROWTH` up to
    ``settings.poll_interval_max``.

    Parameters
    ----------
    settings : mastq.settings.Settings
        The call's configuration.

    Yields
    ------
    float
    """
    pause, cap = settings.poll_interval, settings.poll_interval_max
    while True:
        yield min(pause, cap)
        pause *= POLL_GROWTH


def parse_retry_after(value):
    """
    Return the seconds a ``Retry-After`` header asks for, or None.

    Parameters
    ----------
    value : str or None
        Delay in seconds or an HTTP date.

    Returns
    -------
    float or None
    """
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def retry_pause(attempt, settings, retry_after=None, *, rng=random):
    """
    Return the pause before retry number ``attempt`` (1-based).

    Exponential from ``settings.retry_backoff``, capped at ``settings.retry_backoff_max``,
    with jitter in [0.5, 1.0] of the step; never shorter than the server's ``Retry-After``.

    Parameters
    ----------
    attempt : int
        1 for the first retry.
    settings : mastq.settings.Settings
        The call's configuration.
    retry_after : float, optional
        What the server asked for.
    rng : random.Random, optional
        Source of the jitter.

    Returns
    -------
    float
    """
    step = min(settings.retry_backoff * 2 ** (attempt - 1), settings.retry_backoff_max)
    pause = step * (0.5 + 0.5 * rng.random())
    return max(pause, retry_after or 0.0)


def _settings():
    from .settings import Settings

    return Settings.from_conf()
