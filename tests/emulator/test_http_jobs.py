"""Long polling, jobs and the server-side result cache of the local MAST."""

import json
import threading
import time

import pytest
import requests

from mastq.emulator.http.jobs import (
    BadRequestError,
    InvalidInvocationError,
    JobTable,
    parse_invocation,
)

INVOKE = "/api/v0/invoke"


def invoke(url, **request):
    body = {"service": "Test.Table", "params": {"n": 5}, "format": "json", **request}
    answer = requests.post(url + INVOKE, data={"request": json.dumps(body)}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer


def status(answer):
    return answer.json()["status"] if "json" in answer.headers["Content-Type"] else "BODY"


def test_executing_n_times_then_complete(synth_mast):
    server = synth_mast(executing_polls=3)
    answers = [invoke(server.url, cachebreaker="a").json() for _ in range(4)]
    assert [a["status"] for a in answers] == ["EXECUTING"] * 3 + ["COMPLETE"]
    assert answers[0] == {"status": "EXECUTING", "msg": "", "percent complete": 0}
    assert 0 < answers[2]["percent complete"] < 100
    assert len(answers[3]["data"]) == 5


def test_csv_and_votable_answer_the_json_executing_document(synth_mast):
    server = synth_mast(executing_polls=1)
    first = invoke(server.url, format="csv", cachebreaker="c")
    assert first.headers["Content-Type"].startswith("application/json")
    assert first.json()["status"] == "EXECUTING"
    final = invoke(server.url, format="csv", cachebreaker="c")
    assert final.headers["Content-Type"].startswith("text/csv")
    assert final.text.startswith("obsid,s_ra")


def test_pages_and_formats_of_one_call_share_the_job(synth_mast):
    server = synth_mast(executing_polls=1)
    archive = server.app.archive
    base = {"cachebreaker": "shared", "pagesize": 2}
    assert status(invoke(server.url, page=1, **base)) == "EXECUTING"
    assert status(invoke(server.url, page=1, **base)) == "COMPLETE"
    assert status(invoke(server.url, page=2, **base)) == "COMPLETE"
    assert status(invoke(server.url, page=3, format="csv", **base)) == "BODY"
    assert archive.service_calls == 1


def test_new_cachebreaker_starts_a_fresh_execution(synth_mast):
    server = synth_mast(executing_polls=1)
    assert status(invoke(server.url, cachebreaker="one")) == "EXECUTING"
    assert status(invoke(server.url, cachebreaker="one")) == "COMPLETE"
    assert status(invoke(server.url, cachebreaker="two")) == "EXECUTING"
    assert status(invoke(server.url, cachebreaker="two")) == "COMPLETE"


def test_completed_results_are_cached_and_clearcache_drops_them(synth_mast):
    server = synth_mast(executing_polls=1)
    archive = server.app.archive
    assert status(invoke(server.url)) == "EXECUTING"
    assert status(invoke(server.url)) == "COMPLETE"
    assert status(invoke(server.url)) == "COMPLETE"
    assert archive.service_calls == 1
    assert status(invoke(server.url, clearcache=True)) == "EXECUTING"
    assert archive.service_calls == 2
    assert status(invoke(server.url)) == "COMPLETE"


def test_removecache_forgets_the_result_after_answering(synth_mast):
    server = synth_mast(executing_polls=1)
    invoke(server.url)
    assert status(invoke(server.url, removecache=True)) == "COMPLETE"
    assert status(invoke(server.url)) == "EXECUTING"


def test_errors_are_not_cached(synth_mast):
    server = synth_mast()
    archive = server.app.archive
    for _ in range(2):
        doc = invoke(server.url, service="Nope", cachebreaker="same").json()
        assert doc["status"] == "ERROR"
    assert archive.service_calls == 2


def test_query_seconds_hold_then_executing_then_complete(synth_mast):
    server = synth_mast(query_seconds=0.6, max_hold=0.2)
    started = time.monotonic()
    first = invoke(server.url, cachebreaker="slow").json()
    held = time.monotonic() - started
    assert first["status"] == "EXECUTING" and 0 <= first["percent complete"] < 100
    assert 0.15 <= held < 0.6
    second = invoke(server.url, cachebreaker="slow", timeout=0).json()
    assert second["status"] == "EXECUTING"
    time.sleep(0.45)
    assert invoke(server.url, cachebreaker="slow").json()["status"] == "COMPLETE"


def test_a_short_job_completes_within_the_hold(synth_mast):
    server = synth_mast(max_hold=2.0)
    started = time.monotonic()
    doc = invoke(server.url, params={"n": 3, "cost": 0.3}).json()
    assert doc["status"] == "COMPLETE" and time.monotonic() - started >= 0.3


def test_parse_invocation_is_case_insensitive_and_keys_ignore_paging():
    one = parse_invocation(
        json.dumps(
            {
                "service": "S",
                "params": {"a": 1, "b": 2},
                "cacheBreaker": "x",
                "PageSize": 10,
                "page": 1,
            }
        )
    )
    two = parse_invocation(
        json.dumps(
            {
                "service": "S",
                "params": {"b": 2, "a": 1},
                "cachebreaker": "x",
                "format": "csv",
                "page": 3,
            }
        )
    )
    assert one.job_key == two.job_key and one.cache_key == two.cache_key
    assert one.pagesize == 10 and one.format == "extjs" and two.format == "csv"
    assert parse_invocation('{"service": "S", "params": {}}').timeout == 20.0


@pytest.mark.parametrize(
    "text, error",
    [
        (None, BadRequestError),
        ("", BadRequestError),
        ("nope", BadRequestError),
        ('"text"', BadRequestError),
        ('{"service": "S", "params": {}, "page": 0}', InvalidInvocationError),
        ('{"service": "S", "params": {}, "timeout": "soon"}', InvalidInvocationError),
        ('{"service": "S", "params": {}, "page": 1.5}', InvalidInvocationError),
        ('{"service": "S", "params": {}, "pagesize": true}', InvalidInvocationError),
        ('{"service": "S", "params": {}, "pagesize": "many"}', InvalidInvocationError),
        ('{"service": "S", "params": {}, "page": 1e400}', InvalidInvocationError),
    ],
)
def test_parse_invocation_rejects(text, error):
    with pytest.raises(error):
        parse_invocation(text)


def test_page_and_pagesize_may_be_integral_strings_or_floats():
    inv = parse_invocation('{"service": "S", "params": {}, "page": "2", "pagesize": 50.0}')
    assert (inv.page, inv.pagesize) == (2, 50)


def test_unpolled_jobs_and_cached_results_expire():
    now = [0.0]
    table = JobTable(ttl=600.0, clock=lambda: now[0])
    inv = parse_invocation('{"service": "S", "params": {}, "cachebreaker": "k"}')
    job = table.submit(inv, lambda: "result")
    table.completed(inv, job)
    assert table.submit(inv, lambda: "other") is job
    now[0] = 601.0
    fresh = table.submit(inv, lambda: "other")
    assert fresh is not job and fresh.result == "other"


def test_concurrent_identical_requests_compute_once():
    table = JobTable()
    inv = parse_invocation('{"service": "S", "params": {}, "cachebreaker": "k"}')
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.05)
        return "r"

    jobs = []
    threads = [
        threading.Thread(target=lambda: jobs.append(table.submit(inv, compute))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(j) for j in jobs}) == 1


def test_uploaded_data_is_part_of_the_job_key(synth_mast):
    server = synth_mast(executing_polls=1)
    one = {"fields": [{"name": "ra", "type": "float"}], "data": [{"ra": 1.0}]}
    two = {"fields": [{"name": "ra", "type": "float"}], "data": [{"ra": 2.0}]}
    assert status(invoke(server.url, cachebreaker="d", data=one)) == "EXECUTING"
    assert status(invoke(server.url, cachebreaker="d", data=one)) == "COMPLETE"
    assert status(invoke(server.url, cachebreaker="d", data=two)) == "EXECUTING"
