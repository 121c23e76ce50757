"""Injected faults of the local MAST, as a client meets them over loopback HTTP."""

import json
import logging
import time

import pytest
import requests

from mastq.emulator import EmulatorConfig, FaultConfig

INVOKE = "/api/v0/invoke"
FILE = "/api/v0.1/Download/file"
PUBLIC_URI = "mast:HST/product/u9o40504m_c3m.fits"


def invoke(url, n=2000, **request):
    body = {"service": "Test.Table", "params": {"n": n}, "format": "json", **request}
    return requests.post(url + INVOKE, data={"request": json.dumps(body)}, timeout=30)


def outcome(url):
    try:
        return invoke(url, n=3).status_code
    except requests.ConnectionError:
        return "reset"


def test_latency_is_added_to_every_answer(synth_mast):
    server = synth_mast(latency=0.3)
    started = time.monotonic()
    assert invoke(server.url, n=1).status_code == 200
    assert requests.get(server.url + FILE, params={"uri": PUBLIC_URI}, timeout=30).ok
    assert time.monotonic() - started >= 0.6


def test_503_answers(synth_mast):
    server = synth_mast(p_503=1.0)
    answer = invoke(server.url)
    assert answer.status_code == 503 and "Service Unavailable" in answer.text
    assert (
        requests.get(server.url + FILE, params={"uri": PUBLIC_URI}, timeout=30).status_code == 503
    )


def test_429_answers_carry_retry_after(synth_mast):
    server = synth_mast(p_429=1.0, retry_after=2.5)
    answer = invoke(server.url)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "3"


def test_reset_gives_a_connection_error_without_answer(synth_mast, caplog):
    caplog.set_level(logging.INFO, logger="mastq.emulator")
    server = synth_mast(p_reset=1.0)
    with pytest.raises(requests.ConnectionError):
        invoke(server.url)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + FILE, params={"uri": PUBLIC_URI}, timeout=30)
    assert requests.get(server.url + "/whoami", timeout=30).ok  # faults spare other endpoints
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_truncated_json_body_fails_mid_stream(synth_mast):
    server = synth_mast(p_truncate=1.0)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        invoke(server.url, n=50_000)


def test_truncated_download_is_shorter_than_its_length(synth_mast):
    server = synth_mast(p_truncate=1.0)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        requests.get(server.url + FILE, params={"uri": PUBLIC_URI}, timeout=30)


def test_slow_stream_caps_bytes_per_second(synth_mast):
    server = synth_mast(slow_stream=20_000)
    started = time.monotonic()
    answer = requests.get(server.url + FILE, params={"uri": PUBLIC_URI}, timeout=30)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200 and len(answer.content) == 12_800
    assert 0.5 <= elapsed < 3.0


def test_executing_polls_as_a_fault(synth_mast):
    server = synth_mast(EmulatorConfig(faults=FaultConfig(executing_polls=2)))
    statuses = [invoke(server.url, n=1, cachebreaker="f").json()["status"] for _ in range(3)]
    assert statuses == ["EXECUTING", "EXECUTING", "COMPLETE"]


def test_faults_are_reproducible_from_their_seed(synth_mast):
    settings = {"p_503": 0.3, "p_429": 0.2, "p_reset": 0.2}
    one = synth_mast(EmulatorConfig(faults=FaultConfig(seed=11, **settings)))
    two = synth_mast(EmulatorConfig(faults=FaultConfig(seed=11, **settings)))
    three = synth_mast(EmulatorConfig(faults=FaultConfig(seed=12, **settings)))
    seq = [[outcome(s.url) for _ in range(16)] for s in (one, two, three)]
    assert seq[0] == seq[1] != seq[2]
    assert {200, 503, 429, "reset"} <= set(seq[0] + seq[2])


@pytest.mark.parametrize(
    "settings, expected",
    [
        ({"p_503": 1.5}, "p_503"),
        ({"latency": -1}, "latency"),
        ({"slow_stream": -2}, "slow_stream"),
    ],
)
def test_fault_settings_are_validated(settings, expected):
    with pytest.raises(ValueError, match=expected):
        FaultConfig(**settings)


def test_unknown_override_names_the_setting():
    with pytest.raises(TypeError, match="p_404"):
        EmulatorConfig().replace(p_404=0.5)
    assert EmulatorConfig().replace(p_503=0.5, max_hold=2).faults.p_503 == 0.5


COLUMNS = "/portal/Mashup/Mashup.asmx/columnsconfig"


def columns_outcome(url):
    try:
        answer = requests.post(url + COLUMNS, data={"colConfigId": "Test.Table"}, timeout=30)
        if answer.ok:
            answer.json()
        return answer.status_code
    except requests.ConnectionError:
        return "reset"
    except (requests.exceptions.ChunkedEncodingError, ValueError):
        return "truncated"


@pytest.mark.parametrize(
    "settings, expected",
    [
        ({"p_503": 1.0}, 503),
        ({"p_429": 1.0}, 429),
        ({"p_reset": 1.0}, "reset"),
        ({"p_truncate": 1.0}, "truncated"),
        ({}, 200),
    ],
)
def test_faults_reach_columnsconfig(synth_mast, settings, expected):
    server = synth_mast(**settings)
    assert columns_outcome(server.url) == expected


def test_slow_and_late_columnsconfig(synth_mast):
    server = synth_mast(latency=0.2, slow_stream=1000)
    started = time.monotonic()
    answer = requests.post(server.url + COLUMNS, data={"colConfigId": "Test.Table"}, timeout=30)
    assert answer.json()["s_ra"]["vot.unit"] == "deg"
    assert time.monotonic() - started >= 0.2 + len(answer.content) / 1000 * 0.8


def test_columnsconfig_faults_are_reproducible_from_their_seed(synth_mast):
    settings = {"p_503": 0.25, "p_429": 0.25, "p_reset": 0.2, "p_truncate": 0.1}
    one, two, three = (
        synth_mast(EmulatorConfig(faults=FaultConfig(seed=s, **settings))) for s in (5, 5, 6)
    )
    seq = [[columns_outcome(s.url) for _ in range(16)] for s in (one, two, three)]
    assert seq[0] == seq[1] != seq[2]
    assert {200, 503, 429, "reset", "truncated"} <= set(seq[0] + seq[2])
