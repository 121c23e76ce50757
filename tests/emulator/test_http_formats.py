"""Every invoke format parses with the usual readers and carries the column metadata."""

import io
import json
import pathlib

import numpy as np
import requests
from astropy.io import ascii, votable

from mastq.emulator import formats
from mastq.emulator.model import Field, TableResult

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
        "page": 1, "pageSize": 5, "pagesFiltered": 2, "rows": 5, "rowsFiltered": 7,
        "rowsTotal": 7}
    assert [c["dataIndex"] for c in table["Columns"]] == [f["name"] for f in table["Fields"]]
    ra = table["Columns"][1]
    assert ra["text"] == "s_ra" and ra["ExtendedProperties"]["cc.text"] == "RA"
    assert ra["ExtendedProperties"]["vot.unit"] == "deg"
    assert table["Rows"][1][:3] == [2**60 + 1, 0.37, "T1"]
    assert table["Rows"][3][1] is None


def test_extjs_merges_column_properties_and_extended():
    fields = (Field("obs_collection", "string"),)
    result = TableResult.from_arrays(
        fields, {"obs_collection": np.array(["HST", "TESS"])},
        extended={"discreteHistogram": {"obs_collection": {"hist": []}}},
        column_properties={"obs_collection": {"histObj": {"hist": [{"key": "HST"}]}}})
    start, stop, paging = formats.paging_for(2, 1, 10)
    body = b"".join(formats.render_extjs(
        result, fields, start=start, stop=stop, paging=paging,
        colconfig={"obs_collection": {"text": "Mission", "vot.ucd": "meta.id"}}))
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
    assert formats.column_values(masked) == [1, None, 3]
    assert formats.column_values(np.array([b"ab", b"c"])) == ["ab", "c"]
    dates = np.array(["2020-01-02T03:04:05"], dtype="datetime64[s]")
    assert formats.column_values(dates) == ["2020-01-02T03:04:05"]


def test_json_streams_in_several_chunks():
    fields = (Field("x", "int"),)
    result = TableResult.from_arrays(fields, {"x": np.arange(50_000)})
    start, stop, paging = formats.paging_for(50_000, 1, 50_000)
    pieces = list(formats.render_json(result, fields, start=start, stop=stop, paging=paging))
    assert len(pieces) > 3
    assert [r["x"] for r in json.loads(b"".join(pieces))["data"]] == list(range(50_000))
