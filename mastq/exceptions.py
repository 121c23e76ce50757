"""
The one error and warning hierarchy of mastq.

Every error a mastq call raises is a `MastqError`.  Errors that come from talking to
the server carry what is needed to understand them: the service, the URL, the HTTP
status and the server's own message.  Warnings subclass
`~astropy.utils.exceptions.AstropyWarning` so that astropy users can filter them the
usual way.

Each class with a namesake in `astroquery.exceptions` also subclasses it (and
`QueryDeadlineError` astroquery's ``TimeoutError``, `AuthenticationError` its
``LoginError``), so code written for ``astroquery.mast`` that catches
``astroquery.exceptions.RemoteServiceError`` or filters
``astroquery.exceptions.NoResultsWarning`` keeps working unchanged.
"""

import sys
import warnings

from astropy.utils.exceptions import AstropyWarning
from astroquery import exceptions as _aq

__all__ = [
    "MastqError",
    "InvalidQueryError",
    "ResolverError",
    "RemoteServiceError",
    "ProtocolError",
    "RowCountMismatchError",
    "TransportError",
    "RetriesExhaustedError",
    "QueryDeadlineError",
    "RowLimitError",
    "AuthenticationError",
    "DownloadError",
    "MastqWarning",
    "NoResultsWarning",
    "MaxResultsWarning",
    "TruncatedResultWarning",
    "InputWarning",
    "AuthenticationWarning",
    "warn_user",
]


class MastqError(Exception):
    """
    Base class of every mastq error.

    Parameters
    ----------
    message : str
        What went wrong, in words a user can act on.
    service : str, optional
        The MAST service involved (e.g. ``"Mast.Caom.Cone"``).
    url : str, optional
        The URL that was requested.
    status_code : int, optional
        The HTTP status of the answer, when there was one.
    server_message : str, optional
        The message the server itself sent (the ``msg`` of a Mashup answer).
    request : object, optional
        The request (usually a `mastq.request.MashupRequest`) that failed.
    cause : BaseException, optional
        The lower-level exception behind this one.

    Examples
    --------
    Errors of the server carry the service and URL; they are also astroquery's classes:

    >>> from astroquery.exceptions import RemoteServiceError as AstroqueryRemoteServiceError
    >>> from mastq import Mast
    >>> try:
    ...     Mast.service_request("Mast.No.Such", {})
    ... except MastqError as err:
    ...     print(type(err).__name__, err.service, isinstance(err, AstroqueryRemoteServiceError))
    RemoteServiceError Mast.No.Such True
    """

    def __init__(
        self,
        message,
        *,
        service=None,
        url=None,
        status_code=None,
        server_message=None,
        request=None,
        cause=None,
    ):
        super().__init__(message)
        self.message = message
        self.service = service
        self.url = url
        self.status_code = status_code
        self.server_message = server_message
        self.request = request
        self.cause = cause

    def __str__(self):
        parts = [self.message]
        if self.service:
            parts.append(f"service={self.service}")
        if self.status_code is not None:
            parts.append(f"HTTP {self.status_code}")
        if self.url:
            parts.append(f"url={self.url}")
        if self.server_message and self.server_message not in self.message:
            parts.append(f"server said: {self.server_message}")
        return " | ".join(parts)


class InvalidQueryError(MastqError, _aq.InvalidQueryError, ValueError):
    """The query cannot be sent as given (unknown criterion, bad value, bad unit...).

    Examples
    --------
    >>> from mastq import Observations
    >>> try:
    ...     Observations.query_region("10 20", radius=-1)
    ... except InvalidQueryError as err:
    ...     print(err)
    radius must be a finite, non-negative angle, got -1.0 deg
    """


class ResolverError(MastqError, _aq.ResolverError, ValueError):
    """An object name could not be resolved to coordinates.

    Examples
    --------
    >>> from mastq import Observations
    >>> try:
    ...     Observations.resolve_object("No Such Object 42")
    ... except ResolverError as err:
    ...     print(err.service)
    Mast.Name.Lookup
    """


class RemoteServiceError(MastqError, _aq.RemoteServiceError):
    """The server answered ``status: ERROR`` (or HTTP 500 with a message) for the request."""


class ProtocolError(MastqError):
    """The server's answer is not what the protocol promises (bad JSON, missing keys...)."""


class RowCountMismatchError(ProtocolError):
    """The rows received do not add up to the ``rowsFiltered`` the server announced."""


class TransportError(MastqError):
    """The request could not be carried over HTTP (connection refused, reset, HTTP error)."""


class RetriesExhaustedError(TransportError):
    """Every retry of a transient failure (reset, 429, 5xx) failed."""


class QueryDeadlineError(TransportError, _aq.TimeoutError, TimeoutError):
    """The query did not complete before its overall deadline.

    Examples
    --------
    >>> import mastq
    >>> from mastq import Observations
    >>> with mastq.conf.set_temp("deadline", 1e-9):
    ...     try:
    ...         Observations.query_region("10 20", radius=0.01, cache=False)
    ...     except QueryDeadlineError as err:
    ...         print(err.message)
    the query did not complete within its deadline of 1e-09 s (mastq.conf.deadline)
    """


class RowLimitError(TransportError):
    """The result is larger than one MAST query can return (about 500,000 rows)."""


class AuthenticationError(MastqError, _aq.LoginError):
    """The data need a valid MAST token (HTTP 401), or the token given is not valid."""


class DownloadError(MastqError):
    """A file could not be downloaded or did not verify."""


class MastqWarning(AstropyWarning):
    """Base class of every mastq warning."""


class NoResultsWarning(MastqWarning, _aq.NoResultsWarning):
    """The query matched nothing.

    Examples
    --------
    >>> import warnings
    >>> from mastq import Observations
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     table = Observations.query_criteria(obs_collection="NO SUCH MISSION")
    >>> len(table), caught[0].category.__name__, str(caught[0].message)
    (0, 'NoResultsWarning', 'Mast.Caom.Filtered returned no rows')
    """


class MaxResultsWarning(MastqWarning, _aq.MaxResultsWarning):
    """A result reached a row limit."""


class TruncatedResultWarning(MaxResultsWarning):
    """The service capped the rows it returned: the result is probably incomplete."""


class InputWarning(MastqWarning, _aq.InputWarning):
    """An input was accepted but part of it is ignored or could not be used."""


class AuthenticationWarning(MastqWarning, _aq.AuthenticationWarning):
    """Something about the MAST token deserves attention (it expires soon, is not used...)."""


def warn_user(message, category=MastqWarning):
    """
    Issue a warning attributed to the first caller outside mastq (the user's line).

    Parameters
    ----------
    message : str
        The warning text.
    category : type, optional
        A `MastqWarning` subclass.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_user("nothing to download", NoResultsWarning)
    >>> caught[0].category.__name__, str(caught[0].message)
    ('NoResultsWarning', 'nothing to download')
    """
    frame, level = sys._getframe(1), 2  # stacklevel 2 is our caller's frame
    while frame is not None and _in_mastq(frame):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _in_mastq(frame):
    name = frame.f_globals.get("__name__", "")
    return name == "mastq" or name.startswith("mastq.")
