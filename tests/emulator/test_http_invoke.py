"""The invoke and columnsconfig endpoints of the local MAST, over real loopback HTTP."""

import json
import pathlib
from urllib.parse import quote

import pytest
import requests

DATA = pathlib.Path(__file__).parent.parent / "data"
INVOKE = "/api/v0/invoke"
COLUMNS = "/portal/Mashup/Mashup.asmx/columnsconfig"


def invoke(url, method="POST", **request):
    body = {"format": "json", **request}
    if method == "GET":
        return requests.get(url + INVOKE, params={"request": json.dumps(body)}, timeout=30)
    return requests.post(url + INVOKE, data={"request": json.dumps(body)}, timeout=30)


def test_get_and_post_give_the_same_answer(synth_url):
    req = {"service": "Test.Table", "params": {"n": 12}, "pagesize": 5, "page": 2}
    got = invoke(synth_url, "GET", **req)
    posted = invoke(synth_url, "POST", **req)
    assert got.status_code == posted.status_code == 200
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.json() == posted.json()
    assert got.json()["paging"]["rows"] == 5


def test_astroquery_style_raw_body_and_untyped_body_are_accepted(synth_url):
    text = json.dumps(
        {
            "service": "Test.Table",
            "params": {"n": 3},
            "format": "json",
            "pagesize": 50000,
            "page": 1,
            "cacheBreaker": "x",
        }
    )
    raw = "request=" + quote(text)
    typed = requests.post(
        synth_url + INVOKE,
        data=raw,
        timeout=30,
        headers={"Content-type": "application/x-www-form-urlencoded", "Accept": "text/plain"},
    )
    untyped = requests.post(synth_url + INVOKE, data=raw.encode(), timeout=30)
    assert typed.json()["status"] == untyped.json()["status"] == "COMPLETE"
    assert typed.json()["paging"]["rowsTotal"] == 3


def test_json_shape_matches_the_recordings(synth_url):
    recorded = json.loads((DATA / "caom.json").read_text())
    answer = invoke(synth_url, service="Test.Table", params={"n": 8}, pagesize=50000, page=1)
    doc = answer.json()
    assert list(doc) == list(recorded) == ["status", "msg", "data", "fields", "paging"]
    assert list(doc["paging"]) == list(recorded["paging"])
    assert doc["status"] == "COMPLETE" and doc["msg"] == ""
    assert [f["name"] for f in doc["fields"]] == list(doc["data"][0])
    assert doc["fields"][0] == {"name": "obsid", "type": "string"}


def test_64bit_ids_are_exact_json_numbers_and_nulls_are_null(synth_url):
    doc = invoke(synth_url, service="Test.Table", params={"n": 8}).json()
    rows = doc["data"]
    assert [r["obsid"] for r in rows] == [2**60 + i for i in range(8)]
    assert (
        b'"obsid":1152921504606846976'
        in invoke(synth_url, service="Test.Table", params={"n": 1}).content
    )
    assert rows[3]["s_ra"] is None  # NaN
    assert rows[4]["calib_level"] is None  # masked
    assert rows[0]["flag"] is True and rows[0]["target_name"] == 'Star, "0"'


def test_paging_math_over_several_pages(synth_url):
    pages = [
        invoke(
            synth_url,
            service="Test.Table",
            params={"n": 23},
            pagesize=10,
            page=p,
            cachebreaker="paging",
        ).json()
        for p in (1, 2, 3, 4)
    ]
    assert [p["paging"]["rows"] for p in pages] == [10, 10, 3, 0]
    for number, doc in enumerate(pages, start=1):
        assert doc["paging"] == {
            "page": number,
            "pageSize": 10,
            "pagesFiltered": 3,
            "rows": len(doc["data"]),
            "rowsFiltered": 23,
            "rowsTotal": 23,
        }
    ids = [r["obsid"] for doc in pages for r in doc["data"]]
    assert ids == [2**60 + i for i in range(23)]


def test_without_page_or_pagesize_everything_is_one_page(synth_url):
    doc = invoke(synth_url, service="Test.Table", params={"n": 1234}).json()
    assert doc["paging"]["pagesFiltered"] == 1 and len(doc["data"]) == 1234


def test_removenullcolumns_drops_only_all_null_columns(synth_url):
    doc = invoke(synth_url, service="Test.Table", params={"n": 9}, removenullcolumns=True).json()
    names = [f["name"] for f in doc["fields"]]
    assert "empty" not in names and "s_ra" in names and "calib_level" in names
    assert "empty" not in doc["data"][0]


@pytest.mark.parametrize(
    "request_text, expected",
    [
        (None, "missing 'request'"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_missing_or_malformed_request_is_http_400(synth_url, request_text, expected):
    params = {} if request_text is None else {"request": request_text}
    answer = requests.get(synth_url + INVOKE, params=params, timeout=30)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert expected in answer.text


@pytest.mark.parametrize(
    "request_fields, expected",
    [
        ({"service": "Mast.No.Such", "params": {}}, "Unknown service: Mast.No.Such"),
        ({"service": "Test.Table", "params": {"n": "many"}}, "'n' must be an integer"),
        ({"service": "Test.Table", "params": [1]}, "'params' must be a JSON object"),
        ({"params": {}}, "'service' is required"),
        (
            {"service": "Test.Table", "params": {}, "pagesize": "big"},
            "'pagesize' must be an integer",
        ),
        ({"service": "Test.Table", "params": {}, "format": "xml"}, "unknown format 'xml'"),
        ({"service": "Test.Boom", "params": {}}, "RuntimeError: kaboom"),
    ],
)
def test_bad_service_or_params_answer_status_error_with_http_200(
    synth_url, request_fields, expected
):
    answer = invoke(synth_url, **request_fields)
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["status"] == "ERROR" and expected in doc["msg"]


@pytest.mark.parametrize("fmt", ["csv", "votable"])
def test_failed_non_json_formats_are_http_500_with_the_message(synth_url, fmt):
    answer = invoke(synth_url, service="Mast.No.Such", params={}, format=fmt)
    assert answer.status_code == 500
    assert "Unknown service: Mast.No.Such" in answer.text


def test_document_services_answer_their_document(synth_url):
    doc = invoke(
        synth_url, service="Mast.Name.Lookup", params={"input": "M101", "format": "json"}
    ).json()
    assert doc["resolvedCoordinate"][0]["searchString"] == "M101"
    assert "paging" not in doc


def test_columnsconfig_form_raw_body_get_and_unknown(synth_url):
    form = requests.post(synth_url + COLUMNS, data={"colConfigId": "Test.Table"}, timeout=30)
    raw = requests.post(
        synth_url + COLUMNS,
        data="colConfigId=Test.Table",
        timeout=30,
        headers={"Content-type": "application/x-www-form-urlencoded"},
    )
    got = requests.get(synth_url + COLUMNS, params={"colConfigId": "Test.Table"}, timeout=30)
    assert form.json() == raw.json() == got.json()
    assert form.json()["s_ra"]["vot.unit"] == "deg"
    unknown = requests.post(synth_url + COLUMNS, data={"colConfigId": "Nope"}, timeout=30)
    assert unknown.status_code == 200 and unknown.json() == {}
    missing = requests.post(synth_url + COLUMNS, data={}, timeout=30)
    assert missing.status_code == 400 and "colConfigId" in missing.text


def test_unknown_paths_are_404_and_index_lists_endpoints(synth_url):
    assert requests.get(synth_url + "/api/v0/nothing", timeout=30).status_code == 404
    index = requests.get(synth_url + "/", timeout=30)
    assert index.status_code == 200 and INVOKE in index.text


def test_big_uploaded_data_table_is_accepted(synth_url):
    upload = {
        "fields": [{"name": "ra", "type": "float"}, {"name": "dec", "type": "float"}],
        "data": [{"ra": i * 1e-3, "dec": -i * 1e-3} for i in range(30_000)],
    }
    answer = invoke(synth_url, service="Test.Table", params={"n": 2}, data=upload)
    assert len(answer.request.body) > 1_000_000
    assert answer.status_code == 200 and answer.json()["status"] == "COMPLETE"


SANTA = "/Santa-war/query"


def test_name_service_answers_like_the_recorded_resolver(synth_url):
    recorded = json.loads((DATA / "resolver.json").read_text())
    args = {
        "name": ["M101", "TIC 307210830", "no such thing"],
        "outputFormat": "json",
        "resolveAll": "true",
    }
    answer = requests.get(synth_url + SANTA, params=args, timeout=30)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    doc = answer.json()
    assert list(doc) == list(recorded) and doc["status"] == recorded["status"]
    found = doc["resolvedCoordinate"]
    assert [(e["searchString"], e["resolver"]) for e in found] == [
        ("m101", "SIMBAD"),
        ("m101", "NED"),
        ("tic 307210830", "TIC"),
        ("tic 307210830", "SIMBAD"),
        ("tic 307210830", "NED"),
    ]
    by_key = {(e["searchString"], e["resolver"]): e for e in recorded["resolvedCoordinate"]}
    for entry in found:
        expected = by_key.get((entry["searchString"], entry["resolver"]))
        if expected is not None:  # same keys (minus cache details) and true positions
            assert set(entry) == set(expected) - {
                "cacheDate",
                "radius",
                "majorAxis",
                "minorAxis",
                "positionAngle",
            }
            assert abs(entry["ra"] - expected["ra"]) < 2 / 3600  # NED differs by 0.6"
            assert abs(entry["decl"] - expected["decl"]) < 2 / 3600
    one = requests.get(
        synth_url + SANTA, params={"name": "Vega", "resolver": "NED"}, timeout=30
    ).json()["resolvedCoordinate"]
    assert [(e["resolver"], e["canonicalName"]) for e in one] == [("NED", "* alf Lyr")]


@pytest.mark.parametrize(
    "args, word", [({}, "name"), ({"name": "M1", "resolver": "VizieR"}, "resolver")]
)
def test_name_service_rejects_bad_arguments(synth_url, args, word):
    answer = requests.get(synth_url + SANTA, params=args, timeout=30)
    assert answer.status_code == 400 and word in answer.text


def test_name_service_answers_proxy_style_requests(synth_url):
    # what astroquery's fixed http://mastresolver.stsci.edu URL becomes through a proxy
    answer = requests.get(
        "http://mastresolver.stsci.edu" + SANTA,
        params={"name": "M 31"},
        proxies={"http": synth_url},
        timeout=30,
    )
    assert answer.json()["resolvedCoordinate"][0]["canonicalName"] == "M 31"
