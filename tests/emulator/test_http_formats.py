"""Every invoke format parses with the usual readers and carries the column metadata."""

import io
import json
import pathlib
import threading

import numpy as np
import orjson
import pytest
import requests
from astropy.io import ascii, votable

from mastq.emulator.http import formats, jsonrows
from mastq.emulator.model import Field, TableResult
from tests.conftest import SYNTH_FIELDS, synthetic_columns

DATA = pathlib.Path(__file__).parent.parent / "data"
INVOKE = "/api/v0/invoke"


def fetch(url, fmt, n=12, **extra):
    body = {"service": "Test.Table", "params": {"n": n}, "format": fmt, **extra}
    answer = requests.post(url + INVOKE, data={"request": json.dumps(body)}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer


def test_csv_reads_with_astropy_ascii(synth_url):
    answer = fetch(synth_url, "csv", n=12)
    assert answer.headers["Content-Type"].startswith("text/csv")
    table = ascii.read(answer.text, format="csv")
    assert table.colnames == ["obsid", "s_ra", "target_name", "flag", "calib_level", "empty"]
    assert len(table) == 12
    assert list(table["obsid"]) == [2**60 + i for i in range(12)]
    assert table["target_name"][10] == 'Star, "10"'
    assert table["s_ra"].mask[3] and table["calib_level"].mask[4]
    assert abs(table["s_ra"][1] - 0.37) < 1e-12


def test_csv_pages_like_json(synth_url):
    table = ascii.read(fetch(synth_url, "csv", n=25, page=3, pagesize=10).text, format="csv")
    assert list(table["obsid"]) == [2**60 + i for i in range(20, 25)]


def test_votable_carries_units_ucds_descriptions_and_nulls(synth_url):
    answer = fetch(synth_url, "votable", n=9)
    element = votable.parse_single_table(io.BytesIO(answer.content))
    table = element.to_table()
    assert len(table) == 9
    assert str(table["s_ra"].unit) == "deg"
    fields = {f.name: f for f in element.fields}
    assert fields["s_ra"].ucd == "pos.eq.ra;meta.main"
    assert fields["s_ra"].description == "Right ascension (ICRS)"
    assert fields["calib_level"].description == "Level of calibration"
    assert int(table["obsid"][8]) == 2**60 + 8
    assert table["s_ra"].mask[3] and table["calib_level"].mask[4]
    assert table["target_name"][0] == 'Star, "0"'


def test_extjs_has_the_shape_of_the_recording(synth_url):
    recorded = json.loads((DATA / "missions.extjs").read_text())["data"]
    doc = fetch(synth_url, "extjs", n=7, page=1, pagesize=5).json()
    assert doc["status"] == "COMPLETE"
    data = doc["data"]
    assert set(data) == set(recorded) and data["name"] == "NewDataSet"
    table = data["Tables"][0]
    assert set(table) == set(recorded["Tables"][0])
    assert table["ExtendedProperties"]["Paging"] == {
        "page": 1,
        "pageSize": 5,
        "pagesFiltered": 2,
        "rows": 5,
        "rowsFiltered": 7,
        "rowsTotal": 7,
    }
    assert [c["dataIndex"] for c in table["Columns"]] == [f["name"] for f in table["Fields"]]
    ra = table["Columns"][1]
    assert ra["text"] == "s_ra" and ra["ExtendedProperties"]["cc.text"] == "RA"
    assert ra["ExtendedProperties"]["vot.unit"] == "deg"
    assert table["Rows"][1][:3] == [2**60 + 1, 0.37, "T1"]
    assert table["Rows"][3][1] is None


def test_extjs_without_rows_has_the_zero_paging_of_the_recording(synth_url):
    recorded = json.loads((DATA / "missions.extjs").read_text())["data"]["Tables"][0]
    table = fetch(synth_url, "extjs", n=0, page=1, pagesize=5).json()["data"]["Tables"][0]
    assert table["ExtendedProperties"]["Paging"] == recorded["ExtendedProperties"]["Paging"]
    assert table["Rows"] == [] and len(table["Fields"]) == len(SYNTH_FIELDS)
    paging = fetch(synth_url, "json", n=0, page=1, pagesize=5).json()["paging"]
    assert paging["pageSize"] == 5 and paging["rows"] == paging["pagesFiltered"] == 0


def test_extjs_merges_column_properties_and_extended():
    fields = (Field("obs_collection", "string"),)
    result = TableResult.from_arrays(
        fields,
        {"obs_collection": np.array(["HST", "TESS"])},
        extended={"discreteHistogram": {"obs_collection": {"hist": []}}},
        column_properties={"obs_collection": {"histObj": {"hist": [{"key": "HST"}]}}},
    )
    start, stop, paging = formats.paging_for(2, 1, 10)
    body = b"".join(
        formats.render_extjs(
            result,
            fields,
            start=start,
            stop=stop,
            paging=paging,
            colconfig={"obs_collection": {"text": "Mission", "vot.ucd": "meta.id"}},
        )
    )
    table = json.loads(body)["data"]["Tables"][0]
    props = table["Columns"][0]["ExtendedProperties"]
    assert props["histObj"] == {"hist": [{"key": "HST"}]}
    assert props["cc.text"] == "Mission" and props["vot.ucd"] == "meta.id"
    assert "discreteHistogram" in table["ExtendedProperties"]
    assert table["Rows"] == [["HST"], ["TESS"]]


def test_paging_for_edge_cases():
    assert formats.paging_for(0, 1, 10)[2]["pagesFiltered"] == 0
    start, stop, paging = formats.paging_for(100, None, None)
    assert (start, stop, paging["pageSize"], paging["pagesFiltered"]) == (0, 100, 100, 1)
    start, stop, paging = formats.paging_for(100, 7, 30)
    assert (start, stop, paging["rows"]) == (100, 100, 0)


def test_column_values_handles_masks_bytes_and_dates():
    masked = np.ma.MaskedArray([1, 2, 3], mask=[False, True, False])
    assert jsonrows.column_values(masked) == [1, None, 3]
    assert jsonrows.column_values(np.array([b"ab", b"c"])) == ["ab", "c"]
    dates = np.array(["2020-01-02T03:04:05"], dtype="datetime64[s]")
    assert jsonrows.column_values(dates) == ["2020-01-02T03:04:05"]


def test_json_streams_in_several_chunks():
    fields = (Field("x", "int"),)
    result = TableResult.from_arrays(fields, {"x": np.arange(50_000)})
    start, stop, paging = formats.paging_for(50_000, 1, 50_000)
    pieces = list(formats.render_json(result, fields, start=start, stop=stop, paging=paging))
    assert len(pieces) > 3
    assert [r["x"] for r in json.loads(b"".join(pieces))["data"]] == list(range(50_000))


# --- json rows built column-wise: byte for byte the per-row dict rendering ---------------

AWKWARD_TEXTS = [
    "plain",
    'say "hi"',
    "back\\slash",
    "tab\there",
    "new\nline",
    "nul\x00inside",
    "é unicode ✓",
    "😀 astral",
    "",
    "a,b:c{}[]",
    "\x7f del",
    "\u2028 sep",
    "\x1f",
]


def _as_mast_writes(value):
    """MAST writes whole floats as integers (``1500``, ``0``); orjson writes ``1500.0``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return int(value)
    return value


def reference_json_rows(chunk, names):
    """The straightforward rendering: one dict per row, the list dumped by orjson."""
    rows = [
        dict(zip(names, map(_as_mast_writes, row), strict=True))
        for row in zip(*[jsonrows.column_values(chunk[n]) for n in names], strict=True)
    ]
    return orjson.dumps(rows, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]


def awkward_chunk(n, seed):
    """Every dtype a service may send: nulls, NaN, ids > 2**53, escapes, unicode, bytes."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    masked = rng.random(n) < 0.1
    floats = rng.normal(0, 1e3, n) * 10.0 ** rng.integers(-12, 18, n)
    floats[rng.random(n) < 0.1] = np.nan
    special = [
        np.inf,
        -np.inf,
        -0.0,
        5e-324,
        1e16,
        0.1,
        1500.0,
        -3.0,
        2.0**53,
        9.9e15,
        123456.0,
        1e15 + 0.5,
    ]
    floats[: len(special)] = special[:n]
    texts = np.array(
        [
            AWKWARD_TEXTS[k % len(AWKWARD_TEXTS)] + ("" if k % 3 else str(k))
            for k in rng.integers(0, 10**6, n).tolist()
        ]
    )
    plain = np.array([f"obs_{k:07d}" for k in i.tolist()])
    dates = np.datetime64("2020-01-01T00:00:00") + rng.integers(0, 10**8, n).astype(
        "timedelta64[s]"
    )
    dates[::7] = np.datetime64("NaT")
    objects = np.array([None, "x\ny", 3, 2.5, True, 4.0, "1.0"] * (n // 7 + 1), dtype=object)[:n]
    return {
        "big_id": np.ma.MaskedArray(2**60 + 3 * i, mask=masked),
        "unsigned": np.uint64(2**64 - 1) - i.astype(np.uint64),
        "x": np.ma.MaskedArray(floats, mask=rng.random(n) < 0.05),
        "f32": (rng.random(n) * 100).astype(np.float32),
        "small": np.ma.MaskedArray(rng.integers(-128, 127, n).astype(np.int8), mask=masked),
        "flag": np.ma.MaskedArray(i % 2 == 0, mask=i % 5 == 0),
        "text": np.ma.MaskedArray(texts, mask=rng.random(n) < 0.1),
        "plain": plain,
        "raw": np.char.encode(texts, "utf-8"),
        "when": dates,
        "objects": objects,
        "empty": np.ma.masked_all(n, dtype=float),
        "empty_text": np.ma.MaskedArray(np.full(n, "z"), mask=np.ones(n, dtype=bool)),
        "one_char": np.ma.MaskedArray(np.array(list('ab"d' * n))[:n], mask=i % 4 == 1),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_json_rows_equal_the_per_row_rendering(seed):
    chunk = awkward_chunk(3000, seed)
    names = list(chunk)
    assert jsonrows.json_rows(chunk, names) == reference_json_rows(chunk, names)
    names.reverse()
    assert jsonrows.json_rows(chunk, names) == reference_json_rows(chunk, names)


@pytest.mark.parametrize("name", list(awkward_chunk(10, 0)))
def test_json_rows_equal_per_column_and_for_tiny_chunks(name):
    chunk = awkward_chunk(300, 5)
    for lo, hi in ((0, 300), (7, 8), (10, 12)):
        part = {name: chunk[name][lo:hi]}
        assert jsonrows.json_rows(part, [name]) == reference_json_rows(part, [name]), (lo, hi)


def test_whole_floats_are_written_as_integers_as_in_the_recordings():
    # caom.json has "t_exptime": 1500 and "distance": 0 in float-typed columns
    chunk = {
        "f": np.array([1500.0, -0.0, 0.25, 1e16, -7.0]),
        "g": np.array([2.0, 3.5], dtype=np.float32).repeat([3, 2]),
        "m": np.ma.MaskedArray([1.0, 2.0, 3.0, 4.0, 5.0], mask=[0, 1, 0, 0, 0]),
    }
    rows = jsonrows.json_rows(chunk, ["f", "g", "m"])
    assert rows.split(b"},")[0] == b'{"f":1500,"g":2,"m":1'
    assert [json.loads(b"[" + rows + b"]")[i]["f"] for i in range(5)] == [1500, 0, 0.25, 1e16, -7]
    assert b"-0" not in rows and b'"m":null' in rows and b'"g":3.5' in rows


def test_json_rows_of_plain_ascii_and_of_nothing():
    chunk = {"s": np.array(["a", "bc", "def"]), "n": np.arange(3)}
    assert jsonrows.json_rows(chunk, ["s", "n"]) == (
        b'{"s":"a","n":0},{"s":"bc","n":1},{"s":"def","n":2}'
    )
    assert jsonrows.json_rows({"n": np.arange(0)}, ["n"]) == b""
    assert jsonrows.json_rows(chunk, []) == b""


def test_render_json_of_many_chunks_equals_reference():
    chunk = awkward_chunk(45_000, 7)
    fields = tuple(Field(name, "string") for name in chunk)
    result = TableResult.from_arrays(fields, chunk)
    start, stop, paging = formats.paging_for(45_000, 2, 41_000)
    body = b"".join(formats.render_json(result, fields, start=start, stop=stop, paging=paging))
    page = {name: column[41_000:] for name, column in chunk.items()}
    expected = reference_json_rows(page, list(chunk))
    assert body.startswith(b'{"status":"COMPLETE","msg":"","data":[' + expected + b"],")
    assert json.loads(body)["paging"]["rows"] == 4000
    start, stop, paging = formats.paging_for(45_000, None, None)
    body = b"".join(formats.render_json(result, fields, start=start, stop=stop, paging=paging))
    assert body.startswith(
        b'{"status":"COMPLETE","msg":"","data":[' + reference_json_rows(chunk, list(chunk)) + b"],"
    )


def test_json_over_http_equals_reference(synth_url):
    answer = fetch(synth_url, "json", n=45_000)
    chunk = synthetic_columns(0, 45_000)
    expected = reference_json_rows(chunk, [f.name for f in SYNTH_FIELDS])
    assert answer.content.startswith(b'{"status":"COMPLETE","msg":"","data":[' + expected + b"]")


def test_page_chunks_prefetch_in_order_and_clean_up():
    fields = (Field("x", "int"),)
    result = TableResult.from_arrays(fields, {"x": np.arange(100_000)})
    got = [chunk["x"] for chunk in formats.page_chunks(result, 5, 95_005, size=20_000)]
    assert [len(c) for c in got] == [20_000] * 4 + [15_000]
    assert np.array_equal(np.concatenate(got), np.arange(5, 95_005))
    before = threading.active_count()
    chunks = formats.page_chunks(result, 0, 100_000, size=10_000)
    next(chunks)
    chunks.close()  # a client gone mid-page: the worker thread ends with the generator
    assert threading.active_count() == before


def test_page_chunks_raise_what_make_chunk_raises():
    def make_chunk(start, stop):
        if start >= 20_000:
            raise RuntimeError(f"cannot make rows {start}:{stop}")
        return {"x": np.arange(start, stop)}

    result = TableResult(fields=(Field("x", "int"),), nrows=60_000, make_chunk=make_chunk)
    chunks = formats.page_chunks(result, 0, 60_000, size=20_000)
    assert len(next(chunks)["x"]) == 20_000
    with pytest.raises(RuntimeError, match="rows 20000:40000"):
        next(chunks)


def test_votable_holds_the_integer_types_votable_lacks():
    fields = tuple(Field(n, "int") for n in ("i8", "u16", "u32", "u64", "big"))
    columns = {
        "i8": np.array([-3, 7], np.int8),
        "u16": np.array([1, 65535], np.uint16),
        "u32": np.array([0, 2**32 - 1], np.uint32),
        "u64": np.array([5, 2**40], np.uint64),
        "big": np.array([1, 2**64 - 1], np.uint64),
    }
    result = TableResult.from_arrays(fields, columns)
    body = b"".join(formats.render_votable(result, fields, start=0, stop=2, colconfig={}))
    table = votable.parse_single_table(io.BytesIO(body)).to_table()
    for name in ("i8", "u16", "u32", "u64"):
        assert table[name].tolist() == columns[name].tolist(), name
    assert [int(v) for v in table["big"]] == [1, 2**64 - 1]


M101 = {"ra": 210.802429, "dec": 54.34875, "radius": 0.05}


@pytest.mark.parametrize(
    "service, params",
    [
        ("Mast.Caom.Cone", M101),
        (
            "Mast.Caom.Filtered",
            {
                "columns": "*",
                "filters": [
                    {"paramName": "obs_collection", "values": ["JWST"]},
                    {"paramName": "s_dec", "values": [{"min": 54, "max": 55}]},
                ],
            },
        ),
        ("Mast.Catalogs.Tic.Cone", M101),
        ("Mast.Catalogs.Ctl.Cone", M101),
        ("Mast.Catalogs.GaiaDR3.Cone", M101),
    ],
)
def test_every_format_of_the_real_services_reads(mast_emulator, service, params):
    request = {"service": service, "params": params, "page": 1, "pagesize": 40}
    answers = {
        fmt: requests.post(
            mast_emulator + INVOKE,
            timeout=60,
            data={"request": json.dumps({**request, "format": fmt})},
        )
        for fmt in formats.CONTENT_TYPES
    }
    assert {fmt: a.status_code for fmt, a in answers.items()} == dict.fromkeys(answers, 200)
    rows = answers["json"].json()["data"]
    assert 0 < len(rows) <= 40
    from_votable = votable.parse_single_table(io.BytesIO(answers["votable"].content)).to_table()
    from_csv = ascii.read(answers["csv"].text, format="csv")
    extjs = answers["extjs"].json()["data"]["Tables"][0]["Rows"]
    assert len(from_votable) == len(from_csv) == len(extjs) == len(rows)
    assert from_votable.colnames == from_csv.colnames == list(rows[0])
