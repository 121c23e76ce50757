"""
Logging in to MAST with an API token.

The token comes from the caller, ``$MAST_API_TOKEN`` or (optionally) the system keyring
(astroquery's entry), is checked once against the server's ``/whoami``, and is then sent
as the ``mast_token`` cookie by `MastTokenAuth`, which adds it only to requests whose URL
is on the configured MAST host: requests drops the ``Cookie`` header on every redirect, so
a download redirected elsewhere goes there without it.  The token never appears in a URL,
a log line, a repr or an exception message; `Login.identity` is a short hash that query
caches can fold into their keys.
"""

import getpass
import hashlib
import logging
import os
from urllib.parse import urlsplit

import requests

from .exceptions import AuthenticationError, TransportError
from .settings import Settings

__all__ = ["MastTokenAuth", "Login", "LoginMixin", "TOKEN_ENV", "KEYRING_SERVICE"]

log = logging.getLogger(__name__)

TOKEN_ENV = "MAST_API_TOKEN"
KEYRING_SERVICE = "astroquery:mast.stsci.edu.token"
"""The keyring entry astroquery.mast stores tokens under (user ``masttoken``)."""
_KEYRING_USER = "masttoken"
TOKEN_PAGE = "https://auth.mast.stsci.edu/token"


def _netloc(url):
    return urlsplit(str(url)).netloc.lower()


class MastTokenAuth(requests.auth.AuthBase):
    """
    requests auth adding ``mast_token=<token>`` to requests for one host only.

    Parameters
    ----------
    token : str
    server : str
        URL of the MAST server the token belongs to (scheme, host and port must match).

    Examples
    --------
    >>> import requests
    >>> auth = MastTokenAuth("my-token", "https://mast.stsci.edu")
    >>> auth
    <MastTokenAuth for mast.stsci.edu>
    >>> prepared = requests.Request("GET", "https://mast.stsci.edu/whoami", auth=auth).prepare()
    >>> "mast_token=my-token" in prepared.headers["Cookie"]
    True
    >>> elsewhere = requests.Request("GET", "https://example.org/", auth=auth).prepare()
    >>> "Cookie" in elsewhere.headers
    False
    """

    def __init__(self, token, server):
        self._token = token
        self.host = _netloc(server)

    def __call__(self, request):
        if _netloc(request.url) == self.host:
            cookie = request.headers.get("Cookie")
            pair = f"mast_token={self._token}"
            request.headers["Cookie"] = f"{cookie}; {pair}" if cookie else pair
        return request

    def __repr__(self):
        return f"<MastTokenAuth for {self.host}>"


def _keyring():
    try:
        import keyring
        import keyring.errors
    except ImportError:
        return None
    return keyring


def _find_token(token, reenter_token):
    if token:
        return str(token).strip(), "argument"
    if os.environ.get(TOKEN_ENV, "").strip():
        return os.environ[TOKEN_ENV].strip(), TOKEN_ENV
    keyring = _keyring()
    if keyring is not None and not reenter_token:
        try:
            stored = keyring.get_password(KEYRING_SERVICE, _KEYRING_USER)
        except keyring.errors.KeyringError as exc:  # e.g. no keyring backend on a server
            log.debug("no token from the keyring: %s", type(exc).__name__)
            stored = None
        if stored:
            return stored, "keyring"
    if reenter_token:
        entered = getpass.getpass(f"MAST API token (create one at {TOKEN_PAGE}): ").strip()
        if entered:
            return entered, "prompt"
    return None, None


class Login:
    """
    The MAST login of one client object (no token by default).

    Examples
    --------
    >>> from mastq.auth import Login
    >>> Login().identity
    'anonymous'
    """

    def __init__(self):
        self._auth = None
        self._info = None

    @property
    def auth(self):
        """The `MastTokenAuth` to send with requests, or None when logged out."""
        return self._auth

    @property
    def identity(self):
        """``'anonymous'`` or a short hash of the token (safe to log and to key caches).

        Examples
        --------
        >>> Login().identity
        'anonymous'
        """
        if self._auth is None:
            return "anonymous"
        return "token-" + hashlib.sha256(self._auth._token.encode()).hexdigest()[:12]

    def login(self, token=None, *, store_token=False, reenter_token=False):
        """
        Check a token against the server's ``/whoami`` and use it from now on.

        Parameters
        ----------
        token : str, optional
            Default: ``$MAST_API_TOKEN``, else the keyring's.
        store_token : bool
            Save it in the system keyring (astroquery's entry).
        reenter_token : bool
            Ignore the keyring's token; prompt for one when none is given.

        Returns
        -------
        dict
            The server's ``/whoami`` answer, the token itself left out.

        Raises
        ------
        AuthenticationError
            If no token is found, or the server does not accept it (invalid or expired).

        Examples
        --------
        >>> from mastq.emulator import DEFAULT_TOKEN   # the token the local MAST accepts
        >>> login = Login()
        >>> login.login(DEFAULT_TOKEN)["ezid"], login.identity
        ('mastq', 'token-50ef5f99be4e')
        >>> login.logout()
        >>> login.session_info()
        {'anon': True, 'ezid': 'anonymous'}
        """
        found, source = _find_token(token, reenter_token)
        if not found:
            raise AuthenticationError(
                f"no MAST token: pass token=..., set ${TOKEN_ENV} or "
                f"store one with store_token=True ({TOKEN_PAGE})"
            )
        auth = MastTokenAuth(found, Settings.current().server)
        info = whoami(auth)
        if info.get("anon", True):
            raise AuthenticationError(
                f"the MAST token from the {source} is invalid or has "
                f"expired: create a new one at {TOKEN_PAGE}"
            )
        self._auth, self._info = auth, info
        if store_token:
            _store(found)
        log.info("logged in to %s as %s (%s)", auth.host, info.get("ezid"), self.identity)
        return dict(info)

    def logout(self):
        """Forget the token (requests go anonymous again)."""
        self._auth, self._info = None, None

    def session_info(self):
        """
        Who the server says this login is.

        Returns
        -------
        dict
            ``/whoami``'s answer without the token (``{'anon': True}`` when logged out).
        """
        if self._auth is None:
            return {"anon": True, "ezid": "anonymous"}
        return dict(whoami(self._auth))

    def __repr__(self):
        return f"<Login {self.identity}>"


def _store(token):
    keyring = _keyring()
    if keyring is None:
        raise AuthenticationError("store_token=True needs the keyring package")
    try:
        keyring.set_password(KEYRING_SERVICE, _KEYRING_USER, token)
    except keyring.errors.KeyringError as exc:
        raise AuthenticationError(
            f"store_token=True: the keyring refused the token ({type(exc).__name__})"
        ) from None


def whoami(auth):
    """
    The server's ``/whoami`` answer for ``auth``, its ``token`` field removed.

    Parameters
    ----------
    auth : MastTokenAuth

    Returns
    -------
    dict

    Raises
    ------
    TransportError
        If the server cannot be reached or does not answer JSON.
    """
    settings = Settings.current()
    url = settings.server + "/whoami"
    try:
        response = requests.get(
            url,
            auth=auth,
            allow_redirects=False,
            timeout=(settings.connect_timeout, settings.timeout),
        )
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise TransportError(
            f"could not check the MAST token: {type(exc).__name__}", url=url
        ) from None
    info.pop("token", None)
    return info


class LoginMixin:
    """
    ``login``/``logout``/``session_info`` and the ``mast_token=`` argument of a client class.

    Parameters
    ----------
    *args, **kwargs
        Passed on to the next class.
    mast_token : str, optional
        A MAST API token to log in with at once (checked against ``/whoami``).

    Examples
    --------
    >>> from mastq.emulator import DEFAULT_TOKEN
    >>> from mastq.exceptions import AuthenticationError
    >>> from mastq.observations import ObservationsClass
    >>> observations = ObservationsClass(mast_token=DEFAULT_TOKEN)
    >>> observations.session_info(verbose=False)["anon"]
    False
    >>> observations.logout()
    >>> observations.token_identity
    'anonymous'
    >>> try:
    ...     observations.login("not-a-token")
    ... except AuthenticationError as err:
    ...     print(err)
    the MAST token from the argument is invalid or has expired: create a new one at
    https://auth.mast.stsci.edu/token
    """

    def __init__(self, *args, mast_token=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._login = Login()
        if mast_token:
            self.login(mast_token)

    def _use_login(self):
        """Queries send the token too, and their cache keys follow who is logged in."""
        client = self._client
        client.identity = "" if self._login.auth is None else self._login.identity
        client.transport.auth = self._login.auth

    def login(self, token=None, *, store_token=False, reenter_token=False):
        """
        Log in to MAST with an API token (see `Login.login`).

        Parameters
        ----------
        token : str, optional
            Default: ``$MAST_API_TOKEN``, else the keyring's.
        store_token : bool, optional
            Save it in the system keyring.
        reenter_token : bool, optional
            Ignore the keyring's token; prompt when none is given.

        Returns
        -------
        dict
            The server's account information (without the token).

        Raises
        ------
        AuthenticationError
            If no token is found or the server rejects it.
        """
        info = self._login.login(token, store_token=store_token, reenter_token=reenter_token)
        self._use_login()
        return info

    def logout(self):
        """Forget the token."""
        self._login.logout()
        self._use_login()

    def session_info(self, *, verbose=True):
        """
        Who the server says this client is logged in as.

        Parameters
        ----------
        verbose : bool, optional
            Also log it (INFO).

        Returns
        -------
        dict

        Examples
        --------
        >>> from mastq.observations import ObservationsClass
        >>> ObservationsClass().session_info(verbose=False)
        {'anon': True, 'ezid': 'anonymous'}
        """
        info = self._login.session_info()
        if verbose:
            log.info("MAST session: %s", {k: v for k, v in info.items() if k != "session"})
        return info

    @property
    def token_identity(self):
        """``'anonymous'`` or a short hash of the token: fold it into query-cache keys."""
        return self._login.identity
