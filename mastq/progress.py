"""
Progress of long work, shown only when someone is watching.

A query that stays EXECUTING, or whose pages take a while, shows a `tqdm` progress
bar (``tqdm.auto``: the notebook widget in Jupyter, text on stderr in a terminal)
once it has run for `DELAY` seconds; quick calls never show one.  Nothing is shown
when the process is not interactive (a pipeline, a test, a log file) or when
``mastq.conf.progress`` is False.
"""

import contextlib
import sys

__all__ = ["DELAY", "interactive", "progress_bar"]

DELAY = 3.0
"""Seconds of work before a bar appears."""


def interactive():
    """
    True in a terminal or a Jupyter kernel (where stderr is no tty but a bar shows).

    Returns
    -------
    bool

    Examples
    --------
    >>> interactive()  # pytest captures stderr: not a terminal
    False
    """
    if sys.stderr is not None and sys.stderr.isatty():
        return True
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class _Quiet:
    """What `progress_bar` gives when no bar is shown: updates go nowhere."""

    def update(self, n=1):
        pass

    def set_postfix_str(self, text):
        pass


@contextlib.contextmanager
def progress_bar(settings, *, desc, total=None, unit="it", delay=None):
    """
    A `tqdm` bar for ``desc`` shown after ``delay`` seconds, or a quiet stand-in.

    Parameters
    ----------
    settings : mastq.settings.Settings
        ``settings.progress`` False means never show one.
    desc : str
        What is being done (e.g. ``"Mast.Caom.Cone: EXECUTING"``).
    total : int, optional
        Number of steps, if known.
    unit : str, optional
        Name of one step.
    delay : float, optional
        Seconds before the bar appears (default: `DELAY`, read at call time).

    Yields
    ------
    object
        Something with ``update(n=1)`` and ``set_postfix_str(text)``.

    Examples
    --------
    >>> from mastq.settings import Settings
    >>> with progress_bar(Settings(progress=False), desc="pages", total=3) as bar:
    ...     bar.update()
    """
    if not (settings.progress and interactive()):
        yield _Quiet()
        return
    from tqdm.auto import tqdm

    bar = tqdm(
        desc=desc, total=total, unit=unit, delay=DELAY if delay is None else delay, leave=False
    )
    try:
        yield bar
    finally:
        bar.close()
