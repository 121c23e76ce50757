"""
The transport against a local MAST over loopback HTTP: polling, retries, paging, errors.

The local MAST here runs the emulator's real HTTP layer (jobs, formats, faults) over a
small deterministic service defined below, so that every row count is known.
"""

import itertools
import random
import threading
import time

import numpy as np
import pytest

import mastq
from mastq.emulator.model import Field, ServiceError, TableResult
from mastq.emulator.server import Emulator
from mastq.exceptions import (
    ProtocolError,
    QueryDeadlineError,
    RemoteServiceError,
    RetriesExhaustedError,
    RowCountMismatchError,
    RowLimitError,
    TransportError,
)
from mastq.polling import Deadline, parse_retry_after, poll_intervals, retry_pause
from mastq.request import MashupRequest
from mastq.settings import Settings
from mastq.transport import MastTransport, invoke_url

FIELDS = (
    Field("obsid", "string"),
    Field("s_ra", "float"),
    Field("obs_id", "string"),
    Field("calib_level", "int"),
    Field("_selected_", "boolean"),
)


def make_rows(n, offset=0):
    idx = np.arange(offset, offset + n)
    return {
        "obsid": idx.astype(np.int64) + 9_007_199_254_740_993,  # > 2**53: no float path
        "s_ra": np.ma.MaskedArray(idx / 7.0, mask=idx % 5 == 0),
        "obs_id": np.array([f"obs{i}" for i in idx]),
        "calib_level": np.ma.MaskedArray(idx % 4, mask=idx % 3 == 0),
        "_selected_": np.ma.MaskedArray(np.zeros(n, bool), mask=True),
    }


class Recorder:
    """A test service that records what it was asked (the server's side of the story)."""

    def __init__(self, cost=0.0):
        self.calls = []
        self.cost = cost
        self.lock = threading.Lock()

    def __call__(self, service, params, archive):
        with self.lock:
            self.calls.append((service, dict(params)))
        if service == "Test.Error":
            raise ServiceError("Unknown parameter: rad")
        if service == "Test.Short":  # announces more rows than it gives
            result = TableResult.from_arrays(FIELDS, make_rows(int(params["n"])))
            result.nrows += 3
            return result
        n = int(params.get("n", 10))
        return TableResult.from_arrays(FIELDS, make_rows(n), cost=self.cost)


def columns_config(config_id, archive):
    return {"s_ra": {"vot.unit": "deg", "vot.description": "Right ascension"}}


@pytest.fixture
def local_mast():
    """Start a local MAST with the test service; yields a function of overrides -> url."""
    servers = []

    def start(service=None, **overrides):
        server = Emulator(
            archive=object(),
            run_service=service or Recorder(),
            columns_config=columns_config,
            **overrides,
        ).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fast_conf():
    with (
        mastq.conf.set_temp("retry_backoff", 0.01),
        mastq.conf.set_temp("poll_interval", 0.02),
        mastq.conf.set_temp("cache", False),
    ):
        yield mastq.conf


def fetch(url, service="Test.Rows", n=10, **request_kw):
    with mastq.conf.set_temp("server", url):
        return MastTransport().fetch(
            MashupRequest(service, {"n": n}, **request_kw), single_page="page" in request_kw
        )


def test_polls_executing_then_complete_with_identical_requests(local_mast, fast_conf):
    service = Recorder()
    url = local_mast(service, executing_polls=3)
    sent = []
    transport = MastTransport()
    transport._session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.body))
    with mastq.conf.set_temp("server", url):
        pages = transport.fetch(MashupRequest("Test.Rows", {"n": 12}))
    assert len(sent) == 4 and len(set(sent)) == 1  # 3 EXECUTING + 1 COMPLETE, same body
    assert pages[0].status == "COMPLETE" and pages[0].nrows == 12
    assert len(service.calls) == 1


def test_multi_page_assembly_in_order(local_mast, fast_conf):
    url = local_mast()
    pages = fetch(url, n=2503, pagesize=500)
    assert [p.paging["page"] for p in pages] == [1, 2, 3, 4, 5, 6]
    assert [p.nrows for p in pages] == [500] * 5 + [3]
    ids = np.concatenate([part.values for p in pages for part in p.columns["obsid"]])
    assert ids.astype(str).tolist() == [str(i + 9_007_199_254_740_993) for i in range(2503)]


def test_single_page(local_mast, fast_conf):
    pages = fetch(local_mast(), n=95, pagesize=10, page=10)
    assert len(pages) == 1 and pages[0].nrows == 5 and pages[0].paging["page"] == 10


def test_error_status_raises_with_context(local_mast, fast_conf):
    url = local_mast()
    with pytest.raises(RemoteServiceError) as info:
        fetch(url, service="Test.Error")
    err = info.value
    assert err.service == "Test.Error" and err.server_message == "Unknown parameter: rad"
    assert err.url == url + "/api/v0/invoke" and err.request.service == "Test.Error"


@pytest.mark.parametrize(
    "fault",
    [{"p_503": 0.5}, {"p_429": 0.5, "retry_after": 0.05}, {"p_reset": 0.4}, {"p_truncate": 0.4}],
)
def test_transient_faults_are_retried(local_mast, fast_conf, fault):
    url = local_mast(seed=3, **fault)
    with mastq.conf.set_temp("retries", 12):
        pages = fetch(url, n=3000, pagesize=1000)
    assert sum(p.nrows for p in pages) == 3000


def test_retry_after_is_honoured(local_mast, fast_conf):
    url = local_mast(seed=1, p_429=1.0, retry_after=1)
    start = time.monotonic()
    with mastq.conf.set_temp("retries", 1), pytest.raises(RetriesExhaustedError) as info:
        fetch(url)
    assert time.monotonic() - start >= 0.95
    assert info.value.status_code == 429


def test_retries_exhausted(local_mast, fast_conf):
    url = local_mast(p_503=1.0)
    with mastq.conf.set_temp("retries", 2), pytest.raises(RetriesExhaustedError) as info:
        fetch(url)
    assert "3 attempts" in str(info.value) and info.value.status_code == 503


def test_truncated_bodies_everywhere_end_in_protocol_or_transport_error(local_mast, fast_conf):
    url = local_mast(p_truncate=1.0)
    with mastq.conf.set_temp("retries", 1), pytest.raises((ProtocolError, RetriesExhaustedError)):
        fetch(url, n=2000)


def test_reset_on_large_result_is_a_row_limit_error(local_mast, fast_conf):
    url = local_mast(row_limit=100)
    with mastq.conf.set_temp("retries", 1), pytest.raises(RowLimitError):
        fetch(url, n=101)


def test_deadline(local_mast, fast_conf):
    url = local_mast(Recorder(cost=30.0), max_hold=0.1)
    start = time.monotonic()
    with mastq.conf.set_temp("server", url), pytest.raises(QueryDeadlineError):
        MastTransport().fetch(MashupRequest("Test.Rows", {"n": 3}), deadline=Deadline.after(0.6))
    assert time.monotonic() - start < 1.5


def test_stalled_socket_does_not_hang(local_mast, fast_conf):
    url = local_mast(latency=2.0)
    start = time.monotonic()
    with (
        mastq.conf.set_temp("timeout", 0.2),
        mastq.conf.set_temp("retries", 1),
        pytest.raises(RetriesExhaustedError),
    ):
        fetch(url)
    assert time.monotonic() - start < 1.5


def test_row_count_mismatch(local_mast, fast_conf):
    url = local_mast()
    with pytest.raises(RowCountMismatchError):
        fetch(url, service="Test.Short", n=20)


def test_columns_config(local_mast, fast_conf):
    with mastq.conf.set_temp("server", local_mast()):
        config = MastTransport().columns_config("Mast.Caom.Cone")
    assert config["s_ra"].unit == "deg" and config["s_ra"].description == "Right ascension"


def test_two_threads_share_one_transport(local_mast, fast_conf):
    url = local_mast(latency=0.05)
    transport, results, errors = MastTransport(), {}, []

    def run(n):
        try:
            results[n] = transport.fetch(MashupRequest(f"Test.Rows{n}", {"n": n}, pagesize=40))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    with mastq.conf.set_temp("server", url):
        threads = [threading.Thread(target=run, args=(n,)) for n in (97, 203)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert sum(p.nrows for p in results[97]) == 97 and sum(p.nrows for p in results[203]) == 203


@pytest.mark.parametrize("fmt", ["csv", "votable"])
def test_csv_and_votable_are_polled_and_every_page_fetched(local_mast, fast_conf, fmt):
    # csv/votable bodies carry no status or paging: an EXECUTING json answer must be
    # polled again (never read as rows) and the pages counted against rowsFiltered
    url = local_mast(executing_polls=2)
    pages = fetch(url, n=1203, pagesize=500, format=fmt)
    assert [p.nrows for p in pages] == [500, 500, 203]
    assert pages[0].paging["rowsFiltered"] == 1203 and pages[0].paging["pagesFiltered"] == 3
    ids = np.concatenate([part.values for p in pages for part in p.columns["obsid"]])
    assert ids.astype(str).tolist() == [str(i + 9_007_199_254_740_993) for i in range(1203)]


def test_csv_single_page_waits_for_the_job(local_mast, fast_conf):
    pages = fetch(local_mast(executing_polls=2), n=95, pagesize=10, page=3, format="csv")
    assert len(pages) == 1 and pages[0].status == "COMPLETE" and pages[0].nrows == 10
    assert "obsid" in pages[0].columns


def test_csv_rows_short_of_rows_filtered_is_an_error(local_mast, fast_conf):
    with pytest.raises(RowCountMismatchError, match="rowsFiltered=23"):
        fetch(local_mast(), service="Test.Short", n=20, format="csv")


def test_client_errors_are_not_retried(local_mast, fast_conf):
    url = local_mast()
    sent = []
    transport = MastTransport()
    transport._session.hooks["response"].append(lambda r, *a, **k: sent.append(r.status_code))
    with mastq.conf.set_temp("server", url), pytest.raises(TransportError) as info:
        transport.exchange(
            invoke_url(),
            {"request": "{not json"},
            parse=bytes,
            deadline=Deadline.after(5),
            context={"service": "Test.Rows"},
        )
    assert sent == [400] and info.value.status_code == 400
    assert not isinstance(info.value, RetriesExhaustedError)
    assert info.value.url == url + "/api/v0/invoke" and info.value.server_message


def test_exhausted_retries_name_the_service_and_url(local_mast, fast_conf):
    url = local_mast(p_503=1.0)
    with mastq.conf.set_temp("retries", 1), pytest.raises(RetriesExhaustedError) as info:
        fetch(url, service="Test.Named")
    text = str(info.value)
    assert "service=Test.Named" in text and f"url={url}/api/v0/invoke" in text
    assert "2 attempts" in text


class CountingTransport(MastTransport):
    """A real transport that records how many invoke calls run at once."""

    def __init__(self):
        super().__init__()
        self.lock, self.running, self.peak, self.pages = threading.Lock(), 0, 0, []

    def invoke(self, request, **kwargs):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            page = super().invoke(request, **kwargs)
        finally:
            with self.lock:
                self.running -= 1
        with self.lock:
            self.pages.append(request.page)
        return page


@pytest.mark.parametrize("workers", [1, 3])
def test_page_concurrency_is_bounded_by_max_workers(local_mast, fast_conf, workers):
    url = local_mast(latency=0.05)
    transport = CountingTransport()
    with mastq.conf.set_temp("server", url), mastq.conf.set_temp("max_workers", workers):
        pages = transport.fetch(MashupRequest("Test.Rows", {"n": 900}, pagesize=100))
    assert [p.paging["page"] for p in pages] == list(range(1, 10))  # in order
    assert sorted(transport.pages) == list(range(1, 10)) and transport.peak == workers


def test_poll_pauses_start_short_grow_and_cap():
    settings = Settings(poll_interval=0.15, poll_interval_max=1)
    pauses = list(itertools.islice(poll_intervals(settings), 12))
    assert pauses[0] == 0.15 and pauses[1] == pytest.approx(0.225)
    assert all(b >= a for a, b in itertools.pairwise(pauses)) and max(pauses) == 1.0
    assert sum(pauses[:8]) < 6  # a 3 s job is noticed well before the ~15th request


def test_retry_pauses_grow_with_jitter_cap_and_honour_retry_after():
    rng = random.Random(0)
    settings = Settings(retry_backoff=0.5, retry_backoff_max=4)
    steps = [retry_pause(n, settings, rng=rng) for n in range(1, 8)]
    assert retry_pause(1, settings, 7.5, rng=rng) == 7.5
    for n, pause in enumerate(steps, start=1):
        step = min(0.5 * 2 ** (n - 1), 4.0)
        assert step / 2 <= pause <= step
    assert parse_retry_after("3") == 3.0 and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past


# --- the deadline while a body streams, Retry-After, redirects, credentials, resets ---


def test_deadline_holds_while_a_body_trickles_in(local_mast, fast_conf):
    url = local_mast(slow_stream=4000)  # 4 kB/s: 3000 rows take well over a minute
    start = time.monotonic()
    with mastq.conf.set_temp("server", url), pytest.raises(QueryDeadlineError):
        MastTransport().fetch(MashupRequest("Test.Rows", {"n": 3000}), deadline=Deadline.after(1.5))
    assert time.monotonic() - start < 2.5


def test_a_retry_after_longer_than_the_time_left_fails_at_once(local_mast, fast_conf):
    url = local_mast(p_429=1.0, retry_after=30)
    start = time.monotonic()
    with mastq.conf.set_temp("server", url), pytest.raises(QueryDeadlineError) as info:
        MastTransport().fetch(MashupRequest("Test.Rows", {"n": 3}), deadline=Deadline.after(5))
    assert time.monotonic() - start < 1.5
    message = str(info.value)
    assert "Retry-After asks for 30 s" in message and "of the deadline of 5 s" in message


class Redirector:
    """A WSGI server answering every invoke and columnsconfig with a redirect."""

    def __init__(self, location, app=None):
        from werkzeug.serving import make_server

        self.location, self.app, self.hits = location, app, []
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Response

        path = environ["PATH_INFO"]
        self.hits.append(path)
        if path.startswith("/moved/") and self.app is not None:
            environ["PATH_INFO"] = path[len("/moved") :]
            return self.app(environ, start_response)
        location = self.location(self.url, path)
        return Response("", status=307, headers={"Location": location})(environ, start_response)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def redirector():
    started = []

    def start(location, app=None):
        started.append(Redirector(location, app))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize("what", ["invoke", "columnsconfig"])
def test_a_redirect_to_another_host_is_never_followed(local_mast, fast_conf, redirector, what):
    service = Recorder()
    other = local_mast(service).replace("127.0.0.1", "localhost")  # same rows, other host
    door = redirector(lambda here, path: other + path)
    transport = MastTransport()
    with mastq.conf.set_temp("server", door.url), pytest.raises(TransportError) as info:
        if what == "invoke":
            transport.fetch(MashupRequest("Test.Rows", {"n": 3}))
        else:
            transport.columns_config("Mast.Caom.Cone")
    message = str(info.value)
    assert "http://127.0.0.1:" in message and "http://localhost:" in message
    assert "redirected to another host" in message and service.calls == []


def test_a_same_host_redirect_is_followed(local_mast, fast_conf, redirector):
    service = Recorder()
    server = Emulator(archive=object(), run_service=service, columns_config=columns_config)
    server._bind()  # only its WSGI app is used, behind the redirector
    door = redirector(lambda here, path: here + "/moved" + path, app=server.app)
    try:
        with mastq.conf.set_temp("server", door.url):
            pages = MastTransport().fetch(MashupRequest("Test.Rows", {"n": 7}))
    finally:
        server._close()
    assert pages[0].nrows == 7 and door.hits == ["/api/v0/invoke", "/moved/api/v0/invoke"]


def test_credentials_in_the_server_url_never_show(local_mast, fast_conf, redirector, caplog):
    url = local_mast(p_503=1.0).replace("http://", "http://astronomer:s3cret@")
    caplog.set_level("DEBUG", logger="mastq")
    with (
        mastq.conf.set_temp("server", url),
        mastq.conf.set_temp("retries", 1),
        pytest.raises(RetriesExhaustedError) as info,
    ):
        fetch(url)
    door = redirector(lambda here, path: "http://localhost:1" + path)
    with (
        mastq.conf.set_temp("server", door.url.replace("http://", "http://me:s3cret@")),
        pytest.raises(TransportError) as redirected,
    ):
        fetch(door.url.replace("http://", "http://me:s3cret@"))
    for text in (
        str(info.value),
        repr(info.value),
        info.value.url,
        str(redirected.value),
        caplog.text,
    ):
        assert "s3cret" not in text
    assert "***@127.0.0.1" in info.value.url


def test_a_server_that_keeps_resetting_is_not_the_row_limit(local_mast, fast_conf):
    url = local_mast(p_reset=1.0)
    with mastq.conf.set_temp("retries", 1), pytest.raises(RetriesExhaustedError) as info:
        fetch(url, n=3)
    assert not isinstance(info.value, RowLimitError)
    assert "kept resetting" in str(info.value)


def test_the_row_limit_is_told_by_the_evidence(local_mast, fast_conf):
    service = Recorder()
    url = local_mast(service, row_limit=100)
    with (
        mastq.conf.set_temp("retries", 1),
        mastq.conf.set_temp("row_limit", 100),
        pytest.raises(RowLimitError) as info,
    ):
        fetch(url, n=101, pagesize=10)
    assert "one row per page resets" in str(info.value) and "100 rows" in str(info.value)
    asked = [params.get("n") for name, params in service.calls if name == "Test.Rows"]
    assert asked and set(asked) == {101}  # the evidence: the same query, one row per page
