"""Login with a MAST token against the local MAST's /whoami; the token stays secret."""

import logging

import pytest
import requests

from mastq.auth import Login, MastTokenAuth
from mastq.emulator.config import DEFAULT_TOKEN
from mastq.exceptions import AuthenticationError
from mastq.observations import ObservationsClass


def test_login_checks_the_token_once_and_reports_the_session(local_mast, caplog):
    obs = ObservationsClass()
    assert obs.session_info(verbose=False)["anon"] is True
    with caplog.at_level(logging.DEBUG):
        info = obs.login(DEFAULT_TOKEN)
        session = obs.session_info()
    assert info["anon"] is False and session["ezid"] == "mastq"
    assert "token" not in info and DEFAULT_TOKEN not in caplog.text
    assert obs.token_identity.startswith("token-") and DEFAULT_TOKEN not in obs.token_identity
    obs.logout()
    assert obs.token_identity == "anonymous"


def test_invalid_token_says_so_without_showing_it(local_mast):
    secret = "not-a-valid-token-123456"
    with pytest.raises(AuthenticationError, match="invalid or has expired") as raised:
        ObservationsClass(mast_token=secret)
    assert secret not in str(raised.value) and secret not in repr(raised.value)


def test_token_from_the_environment(local_mast, monkeypatch):
    monkeypatch.setenv("MAST_API_TOKEN", DEFAULT_TOKEN)
    login = Login()
    assert login.login()["anon"] is False
    assert DEFAULT_TOKEN not in repr(login) and DEFAULT_TOKEN not in repr(login.auth)


def test_no_token_anywhere_is_a_clear_error(local_mast, monkeypatch):
    monkeypatch.delenv("MAST_API_TOKEN", raising=False)
    monkeypatch.setattr("mastq.auth._keyring", lambda: None)
    with pytest.raises(AuthenticationError, match="MAST_API_TOKEN"):
        Login().login()


def test_identity_differs_per_token():
    a, b = Login(), Login()
    a._auth, b._auth = MastTokenAuth("one", "http://h"), MastTokenAuth("two", "http://h")
    assert a.identity != b.identity


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("https://mast.stsci.edu/api/v0.1/Download/file", True),
        ("https://a.mast.stsci.edu/x", False),
        ("https://evil.example/mast.stsci.edu", False),
        ("http://mast.stsci.edu/x", True),
    ],
)
def test_the_cookie_goes_to_the_mast_host_only(url, sent):
    auth = MastTokenAuth("T0KEN", "https://mast.stsci.edu")
    prepared = requests.Request("GET", url, auth=auth).prepare()
    assert (prepared.headers.get("Cookie") == "mast_token=T0KEN") is sent
    assert "T0KEN" not in prepared.url


def test_every_client_class_takes_mast_token(local_mast):
    from mastq.catalogs import CatalogsClass
    from mastq.mast import MastClass

    for cls in (ObservationsClass, CatalogsClass, MastClass):
        client = cls(mast_token=DEFAULT_TOKEN)
        assert client.session_info(verbose=False)["anon"] is False
        assert cls().token_identity == "anonymous"


def _fake_keyring(get_password, set_password=None):
    from types import SimpleNamespace

    import keyring.errors

    return SimpleNamespace(
        errors=keyring.errors, get_password=get_password, set_password=set_password
    )


def test_store_token_in_the_keyring_and_log_in_from_it(local_mast, monkeypatch):
    store = {}
    memory = _fake_keyring(
        lambda service, user: store.get((service, user)),
        lambda service, user, token: store.update({(service, user): token}),
    )
    monkeypatch.delenv("MAST_API_TOKEN", raising=False)
    monkeypatch.setattr("mastq.auth._keyring", lambda: memory)
    Login().login(DEFAULT_TOKEN, store_token=True)
    assert store == {("astroquery:mast.stsci.edu.token", "masttoken"): DEFAULT_TOKEN}
    assert Login().login()["anon"] is False


def test_a_keyring_without_backend_means_no_token(local_mast, monkeypatch):
    import keyring.errors

    def broken(service, user):
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.delenv("MAST_API_TOKEN", raising=False)
    monkeypatch.setattr("mastq.auth._keyring", lambda: _fake_keyring(broken))
    with pytest.raises(AuthenticationError, match="MAST_API_TOKEN"):
        Login().login()


def test_queries_carry_the_token_and_cache_apart_after_login(mast_emulator_factory, tmp_path):
    import mastq

    seen = []
    server = mast_emulator_factory()
    app = server.app

    def recorder(environ, start_response):
        if environ.get("PATH_INFO", "").endswith("/invoke"):
            seen.append(environ.get("HTTP_COOKIE", ""))
        return app(environ, start_response)

    server._server.app = recorder  # the werkzeug server's WSGI app: record, then answer
    with mastq.conf.set_temp("server", server.url), mastq.conf.set_temp("cache_dir", str(tmp_path)):
        obs = ObservationsClass()
        anonymous = obs.query_region("83.63 22.01", radius=0.01)
        obs.login(DEFAULT_TOKEN)
        assert obs._client.identity == obs.token_identity
        logged_in = obs.query_region("83.63 22.01", radius=0.01)  # not the anonymous entry
        obs.logout()
    assert not anonymous.meta["from_cache"] and not logged_in.meta["from_cache"]
    assert any(f"mast_token={DEFAULT_TOKEN}" in cookie for cookie in seen)
    assert f"mast_token={DEFAULT_TOKEN}" not in seen[0]
    assert obs._client.identity == "" and obs._client.transport.auth is None
