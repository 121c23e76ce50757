"""The local MAST against hostile or unlucky clients: bad input, idle sockets, big bodies."""

import json
import socket
import threading
import time

import numpy as np
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mastq.emulator import Emulator
from mastq.emulator.http.jobs import Invocation, JobTable
from mastq.emulator.model import Field, TableResult

INVOKE = "/api/v0/invoke"
CONE = {"ra": 210.8, "dec": 54.35, "radius": 0.2}


def invoke(url, body, **kwargs):
    text = body if isinstance(body, str) else json.dumps(body)
    return requests.post(url + INVOKE, data={"request": text}, timeout=30, **kwargs)


def assert_mast_error(answer, *words):
    """A json MAST error: HTTP 200, ``status: ERROR`` and a message naming ``words``."""
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/json")
    document = answer.json()
    assert document["status"] == "ERROR"
    for word in words:
        assert word in document["msg"]


def filtered(filters):
    return {
        "service": "Mast.Caom.Filtered",
        "format": "json",
        "params": {"columns": "COUNT_BIG(*)", "filters": filters},
    }


@pytest.mark.parametrize(
    "body, words",
    [
        (
            '{"service": "Mast.Caom.Cone", "params": ' + "[" * 5000 + "]" * 5000 + "}",
            ["nested deeper than"],
        ),
        (
            '{"service": "Mast.Caom.Cone", "params": {"ra": ' + "[" * 200 + "]" * 200 + "}}",
            ["nested deeper than"],
        ),
        (
            {
                "service": "Mast.Caom.Cone",
                "params": CONE,
                "format": "json",
                "page": 1,
                "pagesize": 1e300,
            },
            ["'pagesize'", "2147483647"],
        ),
        (
            {
                "service": "Mast.Caom.Cone",
                "params": CONE,
                "format": "json",
                "page": 2**40,
                "pagesize": 10,
            },
            ["'page'"],
        ),
        (
            {"service": "Mast.Caom.Cone", "params": CONE, "format": "json", "timeout": 10**400},
            ["'timeout'"],
        ),
        (
            filtered([{"paramName": "obs_collection", "values": ["HST"], "separator": 5}]),
            ["'separator'", "obs_collection"],
        ),
        (
            filtered([{"paramName": "obs_collection", "values": ["HST"], "separator": [";"]}]),
            ["'separator'"],
        ),
        (
            {"service": "Mast.Caom.Products", "params": {"obsid": "1" * 40}, "format": "json"},
            ["'obsid'", "64-bit"],
        ),
        (
            {"service": "Mast.Caom.Products", "params": {"obsid": 10**40}, "format": "json"},
            ["'obsid'"],
        ),
        (filtered([{"paramName": "t_min", "values": [{}]}]), ["t_min", "'min' and/or 'max'"]),
        (filtered([{"paramName": "obs_collection", "values": [[1]]}]), ["obs_collection", "[1]"]),
        (filtered([{"paramName": "t_min", "values": [10**400]}]), ["t_min", "must be a number"]),
        (
            {"service": "Mast.Caom.Cone", "params": dict(CONE, ra=400), "format": "json"},
            ["'ra'", "between -360 and 360"],
        ),
        (
            {"service": "Mast.Caom.Cone", "params": dict(CONE, dec=100), "format": "json"},
            ["'dec'", "between -90 and 90"],
        ),
        (
            {"service": "Mast.Catalogs.Tic.Cone", "params": dict(CONE, ra=400), "format": "json"},
            ["'ra'"],
        ),
        (
            {
                "service": "Mast.Caom.Cone",
                "params": CONE,
                "format": "json",
                "columnsconfigid": ["x"],
            },
            ["'columnsconfigid'"],
        ),
    ],
)
def test_bad_parameters_get_a_mast_error(mast_emulator, body, words):
    assert_mast_error(invoke(mast_emulator, body), *words)


def test_bad_parameters_in_csv_are_plain_text_500(mast_emulator):
    body = dict(
        filtered([{"paramName": "obs_collection", "values": ["HST"], "separator": 5}]), format="csv"
    )
    answer = invoke(mast_emulator, body)
    assert answer.status_code == 500 and answer.headers["Content-Type"].startswith("text/plain")
    assert "'separator'" in answer.text


def _broken_rows(start, stop):
    raise ZeroDivisionError("rows cannot be made")


def _broken_service(service, params, archive):
    fields = (Field("x", "int"),)
    if service == "Broken.Rows":
        return TableResult(fields=fields, nrows=5, make_chunk=_broken_rows)
    if service == "Broken.Service":
        raise KeyError("deep inside")
    return TableResult.from_arrays(fields, {"x": np.arange(3)})


def _broken_config(config_id, archive):
    raise RuntimeError("no config")


@pytest.mark.parametrize(
    "service, fmt",
    [
        ("Broken.Rows", "json"),
        ("Broken.Rows", "extjs"),
        ("Broken.Rows", "votable"),
        ("Broken.Service", "json"),
    ],
)
def test_exceptions_inside_a_service_are_mast_errors(service, fmt, caplog):
    caplog.set_level("CRITICAL", logger="mastq.emulator")  # the tracebacks are expected
    with Emulator(
        archive=object(), run_service=_broken_service, columns_config=_broken_config
    ) as server:
        answer = invoke(server.url, {"service": service, "params": {}, "format": fmt})
        if fmt == "votable":
            assert answer.status_code == 500 and "text/plain" in answer.headers["Content-Type"]
        else:
            assert_mast_error(answer, service)
        fine = invoke(server.url, {"service": "Fine", "params": {}, "format": "json"})
        assert fine.json()["data"] == [{"x": 0}, {"x": 1}, {"x": 2}]


def test_other_http_errors_are_plain_text(mast_emulator):
    missing = requests.get(mast_emulator + "/no/such/path", timeout=30)
    method = requests.put(mast_emulator + INVOKE, timeout=30)
    assert (missing.status_code, method.status_code) == (404, 405)
    for answer in (missing, method):
        assert answer.headers["Content-Type"].startswith("text/plain")
    assert "GET" in method.headers["Allow"]


# -- Random junk at /api/v0/invoke: every answer is MAST-shaped -------------------------------

_SERVICES = [
    "Mast.Caom.Cone",
    "Mast.Caom.Filtered",
    "Mast.Caom.Filtered.Position",
    "Mast.Caom.Products",
    "Mast.Name.Lookup",
    "Mast.Catalogs.Tic.Cone",
    "Mast.Catalogs.Filtered.Tic",
    "Mast.Catalogs.GaiaDR3.Cone",
    "Mast.Caom.All",
    "Mast.Missions.List",
    "No.Such.Service",
]
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_PARAM_NAMES = st.sampled_from(
    [
        "ra",
        "dec",
        "radius",
        "columns",
        "filters",
        "position",
        "obsid",
        "input",
        "format",
        "paramName",
        "values",
    ]
)
_FILTER = st.fixed_dictionaries(
    {
        "paramName": st.one_of(
            st.sampled_from(["obs_collection", "t_min", "calib_level", "Tmag", "dataRights"]), _JSON
        ),
        "values": _JSON,
    },
    optional={"separator": _JSON, "freeText": _JSON},
)
_PARAMS = st.one_of(
    st.dictionaries(_PARAM_NAMES, _JSON, max_size=5),
    st.fixed_dictionaries(
        {
            "columns": st.sampled_from(["*", "COUNT_BIG(*)"]),
            "filters": st.lists(_FILTER, max_size=3),
        }
    ),
    st.fixed_dictionaries(
        {"ra": _SCALARS, "dec": _SCALARS, "radius": st.one_of(_SCALARS, st.floats(0, 0.5))}
    ),
    _JSON,
)
_REQUEST = st.fixed_dictionaries(
    {"service": st.one_of(st.sampled_from(_SERVICES), _JSON), "params": _PARAMS},
    optional={
        "format": st.one_of(st.sampled_from(["json", "csv", "votable", "extjs"]), _JSON),
        "page": _SCALARS,
        "pagesize": st.one_of(_SCALARS, st.just(1e300)),
        "timeout": _SCALARS,
        "removenullcolumns": _SCALARS,
        "data": _JSON,
        "columnsconfigid": _JSON,
        "cachebreaker": _JSON,
    },
)


def assert_mast_shaped(answer):
    kind = answer.headers.get("Content-Type", "")
    assert "html" not in kind, answer.text[:300]
    if kind.startswith("application/json"):
        document = answer.json()
        assert answer.status_code == 200
        assert (
            document.get("status") in ("COMPLETE", "EXECUTING", "ERROR")
            or "resolvedCoordinate" in document
        ), document
        if document.get("status") == "ERROR":
            assert document["msg"]
    elif kind.startswith("text/plain"):
        assert answer.status_code in (400, 500) and answer.text.strip()
    else:
        assert answer.status_code == 200 and kind.split(";")[0] in (
            "text/csv",
            "application/x-votable+xml",
        )


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(request=st.one_of(_REQUEST, _JSON, st.text(max_size=40)))
def test_random_junk_gets_mast_shaped_answers(mast_emulator, request):
    text = request if isinstance(request, str) else json.dumps(request)
    assert_mast_shaped(invoke(mast_emulator, text))


# -- Sockets: idle connections, stalled bodies, request size ----------------------------------


def _closed_by_peer(sock):
    try:
        return sock.recv(1024) == b""
    except (ConnectionResetError, TimeoutError):
        return False


def _request_threads():
    """Threads serving one connection each (socketserver's ThreadingMixIn names them)."""
    return sum("process_request" in thread.name for thread in threading.enumerate())


def test_idle_connections_are_closed_and_free_their_threads():
    with Emulator(archive=object(), socket_timeout=1.0) as server:
        host, port = server.url.rsplit("/", 1)[1].split(":")
        before = _request_threads()
        sockets = [socket.create_connection((host, int(port)), timeout=10) for _ in range(200)]
        try:
            peak, deadline = 0, time.monotonic() + 3  # generous: CI machines may be busy
            while time.monotonic() < deadline and peak < before + 50:
                peak = max(peak, _request_threads())
                time.sleep(0.01)
            assert peak >= before + 50  # a thread per accepted idle client (backlog holds more)
            assert all(_closed_by_peer(s) for s in sockets)  # each closed after 1 s
            deadline = time.monotonic() + 15
            while _request_threads() > before + 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _request_threads() <= before + 5
        finally:
            for sock in sockets:
                sock.close()
        assert requests.get(server.url + "/whoami", timeout=10).ok


def test_a_stalled_request_body_is_dropped():
    with Emulator(archive=object(), socket_timeout=0.5) as server:
        host, port = server.url.rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /api/v0/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nrequest="
            )
            started = time.monotonic()
            while sock.recv(1024):
                pass  # whatever the server sends, it then closes the connection
            assert time.monotonic() - started < 5


def test_a_body_above_max_content_length_is_413(synth_mast):
    server = synth_mast(max_content_length=2000)
    body = {"service": "Test.Table", "params": {"n": 1}, "format": "json", "data": "x" * 5000}
    answer = invoke(server.url, body)
    assert answer.status_code == 413 and "2000 bytes" in answer.text
    assert "html" not in answer.headers["Content-Type"]
    for kind in ("application/x-www-form-urlencoded", None):  # chunked, no Content-Length
        chunked = requests.post(
            server.url + INVOKE,
            timeout=30,
            headers={"Content-Type": kind},
            data=(b"request=" + b"x" * 1000 for _ in range(5)),
        )
        assert chunked.status_code == 413
    assert invoke(server.url, dict(body, data="x")).json()["status"] == "COMPLETE"


# -- The job table is capped ------------------------------------------------------------------


def test_the_job_table_keeps_at_most_max_jobs(synth_mast):
    server = synth_mast(max_jobs=5)
    for k in range(40):
        body = {
            "service": "Test.Table",
            "params": {"n": 2},
            "format": "json",
            "cachebreaker": f"flood-{k}",
        }
        assert invoke(server.url, body).json()["status"] == "COMPLETE"
        assert len(server.app.jobs) <= 5


def _inv(name):
    return Invocation(
        service="S",
        params={},
        data=None,
        format="json",
        page=None,
        pagesize=None,
        removenullcolumns=False,
        timeout=0.0,
        cachebreaker=name,
        clearcache=False,
        removecache=False,
        columnsconfigid=None,
    )


def test_the_cap_drops_the_oldest_finished_jobs_first():
    now = [0.0]
    table = JobTable(query_seconds=10, max_jobs=3, clock=lambda: now[0])
    jobs = {
        "a": table.submit(_inv("a"), lambda: "a"),  # both done at 10
        "b": table.submit(_inv("b"), lambda: "b"),
    }
    now[0] = 5.0
    jobs["c"] = table.submit(_inv("c"), lambda: "c")  # runs until 15
    now[0] = 12.0  # a and b are finished, c is not
    jobs["d"] = table.submit(_inv("d"), lambda: "d")
    jobs["e"] = table.submit(_inv("e"), lambda: "e")
    assert len(table) == 3
    assert table.submit(_inv("c"), lambda: "again") is jobs["c"]  # the oldest, unfinished: kept
    assert table.submit(_inv("d"), lambda: "again") is jobs["d"]
    assert table.submit(_inv("a"), lambda: "again").result == "again"  # finished: dropped
