"""`mastq.settings`: one checked snapshot of `mastq.conf` per call, URL helpers."""

import threading
import time

import pytest

import mastq
from mastq.exceptions import InvalidQueryError
from mastq.services import ServiceClient
from mastq.settings import Settings, on_server, redact


def test_from_conf_reads_every_item_once():
    with (
        mastq.conf.set_temp("server", "http://127.0.0.1:9/"),
        mastq.conf.set_temp("retries", 0),
        mastq.conf.set_temp("pagesize", 7),
    ):
        settings = Settings.from_conf()
    assert settings.server == "http://127.0.0.1:9" and settings.retries == 0
    assert settings.pagesize == 7 and settings.invoke_url == "http://127.0.0.1:9/api/v0/invoke"
    assert Settings.from_conf().server == mastq.conf.server.rstrip("/")


@pytest.mark.parametrize(
    "item, value, expected",
    [
        ("server", "mast.stsci.edu", "must be an http(s) URL"),
        ("server", "ftp://mast.stsci.edu", "must be an http(s) URL"),
        ("server", "http://:8080", "must be an http(s) URL"),
        ("server", "http://127.0.0.1:99999", "bad port"),
        ("server", "http://127.0.0.1:http", "bad port"),
        ("deadline", 0, "mastq.conf.deadline must be a number > 0"),
        ("deadline", float("nan"), "mastq.conf.deadline"),
        ("timeout", float("inf"), "mastq.conf.timeout"),
        ("connect_timeout", -1, "mastq.conf.connect_timeout"),
        ("retries", -1, "mastq.conf.retries must be an integer >= 0"),
        ("pagesize", 0, "mastq.conf.pagesize must be an integer > 0"),
        ("max_workers", 0, "mastq.conf.max_workers"),
        ("row_limit", 0, "mastq.conf.row_limit"),
        ("poll_interval", 0, "mastq.conf.poll_interval"),
        ("cache_ttl", -5, "mastq.conf.cache_ttl"),
    ],
)
def test_a_bad_conf_item_is_named(item, value, expected):
    with mastq.conf.set_temp(item, value), pytest.raises(InvalidQueryError) as info:
        Settings.from_conf()
    assert expected in str(info.value)


def test_a_bad_conf_fails_before_anything_is_sent(synth_mast):
    server = synth_mast()
    with (
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("deadline", 0),
        pytest.raises(InvalidQueryError, match="deadline"),
    ):
        ServiceClient().service_request("Test.Table", {"n": 3}, cache=False)
    assert server.app.archive.service_calls == 0


def test_credentials_are_redacted_from_conf_errors_and_repr():
    with (
        mastq.conf.set_temp("server", "http://me:s3cret@127.0.0.1:99999"),
        pytest.raises(InvalidQueryError) as info,
    ):
        Settings.from_conf()
    assert "s3cret" not in str(info.value) and "***@127.0.0.1" in str(info.value)
    settings = Settings(server="https://me:s3cret@mast.example.org")
    assert (
        "s3cret" not in repr(settings) and settings.shown_server == "https://***@mast.example.org"
    )
    assert redact("https://mast.example.org/x") == "https://mast.example.org/x"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://mast.stsci.edu/api/v0/download/file?uri=x", True),
        ("https://MAST.stsci.edu:443/x", True),
        ("http://mast.stsci.edu/x", False),
        ("https://mast.stsci.edu.evil.org/x", False),
        ("https://mast.stsci.edu:8443/x", False),
        ("https://user@evil.org/?mast.stsci.edu", False),
        ("https://evil.org/https://mast.stsci.edu", False),
    ],
)
def test_on_server_tells_the_configured_host(url, expected):
    assert on_server(url, "https://mast.stsci.edu") is expected
    assert on_server(url, Settings(server="https://mast.stsci.edu")) is expected


def test_a_conf_change_in_another_thread_never_mixes_servers(synth_mast):
    """A query started on server A keeps every page on A while another thread moves conf."""
    here, there = synth_mast(latency=0.15), synth_mast()
    result, errors = {}, []

    def query():
        try:
            result["table"] = ServiceClient().service_request(
                "Test.Table", {"n": 60}, pagesize=10, cache=False
            )
        except Exception as exc:  # asserted below
            errors.append(exc)

    with mastq.conf.set_temp("server", here.url), mastq.conf.set_temp("max_workers", 1):
        worker = threading.Thread(target=query)
        worker.start()
        started = time.monotonic()
        while here.app.archive.service_calls == 0 and time.monotonic() - started < 10:
            time.sleep(0.01)  # the query has begun on `here`; its pages follow one by one
        assert worker.is_alive()
        with mastq.conf.set_temp("server", there.url), mastq.conf.set_temp("pagesize", 3):
            worker.join(timeout=30)
    assert not errors and there.app.archive.service_calls == 0
    table = result["table"]
    assert table.meta["pages"] == 6 and len(table) == 60
    assert [int(v) for v in table["obsid"]] == [2**60 + i for i in range(60)]


def test_explicit_settings_are_used_for_the_whole_call(synth_mast):
    here, there = synth_mast(), synth_mast()
    settings = Settings.from_conf().replace(server=here.url, pagesize=4, cache=False)
    with mastq.conf.set_temp("server", there.url):
        table = ServiceClient().service_request("Test.Table", {"n": 10}, settings=settings)
    assert len(table) == 10 and table.meta["pages"] == 3
    assert here.app.archive.service_calls == 1 and there.app.archive.service_calls == 0


def test_a_public_call_reads_conf_once_for_everything_it_does(local_mast):
    from mastq.observations import ObservationsClass

    class Probe(ObservationsClass):
        def region_after_conf_changes(self, coordinates):
            # conf changes mid-call (as another thread's set_temp would): the call keeps
            # the snapshot it started with, nested public calls included
            with (
                mastq.conf.set_temp("server", "http://127.0.0.1:9"),
                mastq.conf.set_temp("pagesize", 7),
            ):
                return self.query_region(coordinates, radius=0.02)

    table = Probe().region_after_conf_changes("83.63 22.01")
    assert table.meta["server"] == local_mast and len(table) > 0
    assert Settings.current().server == local_mast  # nothing stays pinned after the call
