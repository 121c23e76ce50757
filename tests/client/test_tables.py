"""Parsing answers into tables: the real MAST recordings, nulls, sentinels, ids, units, times."""

import json
from pathlib import Path

import astropy.units as u
import numpy as np
import orjson
import pytest
from astropy.time import Time

from mastq.columns import ColumnsConfig
from mastq.exceptions import ProtocolError
from mastq.pages import parse_page
from mastq.tables import json_to_table

DATA = Path(__file__).parent.parent / "data"
RECORDINGS = ["caom.json", "advSearch.json", "advSearchPos.json", "countsResp.json",
              "products.json", "tic.json", "dd.json", "hsc.json", "matchid.json",
              "spectra.json"]
CONFIGS = {"caom.json": "columnsconfig.json", "advSearch.json": "columnsconfig.json",
           "advSearchPos.json": "columnsconfig.json", "tic.json": "ticcolumns.json",
           "dd.json": "ddcolumns.json"}


def config(name):
    return ColumnsConfig.from_json((DATA / name).read_bytes())


def expected_kind(declared, values):
    present = [v for v in values if v is not None]
    if declared == "float":
        return "f"
    if declared == "int":
        return "i"
    if declared == "boolean":
        return "b"
    if present and all(type(v) is int for v in present):
        return "i"
    return "SU"  # text: bytestrings when pure ASCII, else unicode


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_dtypes_values_and_masks(name):
    body = (DATA / name).read_bytes()
    doc = json.loads(body)
    cfg = config(CONFIGS[name]) if name in CONFIGS else None
    table = json_to_table(body, columns_config=cfg)
    declared = [f for f in doc["fields"] if f["name"] != "_selected_"]
    assert table.colnames == [f["name"] for f in declared]
    assert len(table) == len(doc["data"])  # spectra.json was cut to 26 of 45,762 rows
    for field in declared:
        col, raw = table[field["name"]], [row.get(field["name"]) for row in doc["data"]]
        assert col.dtype.kind in expected_kind(field["type"], raw), field
        nulls = np.array([v is None for v in raw])
        info = cfg.get(field["name"]) if cfg else None
        if info is None or info.ignore_value is None:
            assert np.array_equal(np.asarray(col.mask), nulls), field
        for value, cell, masked in zip(raw, col, np.asarray(col.mask), strict=True):
            if value is not None and not masked:
                assert cell == value, (field, value, cell)


@pytest.mark.parametrize("name, column, unit", [
    ("caom.json", "s_ra", u.deg), ("caom.json", "t_min", u.day), ("caom.json", "em_min", u.nm),
    ("caom.json", "t_exptime", u.s), ("caom.json", "distance", u.arcsec),
    ("tic.json", "ra", u.deg), ("tic.json", "Teff", u.K), ("advSearchPos.json", "s_dec", u.deg),
])
def test_recording_units(name, column, unit):
    table = json_to_table((DATA / name).read_bytes(), columns_config=config(CONFIGS[name]))
    assert table[column].unit == unit


def test_descriptions_ucds_and_unknown_units_kept():
    table = json_to_table((DATA / "tic.json").read_bytes(),
                          columns_config=config("ticcolumns.json"))
    assert table["logg"].unit == u.dex(u.cm / u.s**2) and table["logg"].meta["mast_unit"] == "cgs"
    assert table["mass"].unit == u.M_sun and table["mass"].meta["mast_unit"] == "solar units"
    caom = json_to_table((DATA / "caom.json").read_bytes(),
                         columns_config=config("columnsconfig.json"))
    assert caom["s_ra"].description == "Observation Right Ascension"
    assert caom["s_ra"].meta["ucd"] == "pos.eq.ra;meta.main"
    assert caom["s_region"].unit is None and caom["s_region"].meta["mast_unit"] == "deg"


def test_long_ids_are_exact_int64():
    table = json_to_table((DATA / "tic.json").read_bytes())
    assert table["SDSS"].dtype == np.int64 and table["SDSS"][1] == 1237668629461992674
    assert table["SDSS"].mask.sum() == 6
    big = {"status": "COMPLETE", "msg": "", "paging": {"rows": 2, "rowsFiltered": 2},
           "fields": [{"name": "objID", "type": "string"}],
           "data": [{"objID": 2**53 + 1}, {"objID": 9223372036854775807}]}
    col = json_to_table(orjson.dumps(big))["objID"]
    assert list(col) == [2**53 + 1, 9223372036854775807] and col.dtype == np.int64


def body_of(fields, rows, *, data_first=False):
    head = {"status": "COMPLETE", "msg": "",
            "paging": {"page": 1, "rows": len(rows), "rowsFiltered": len(rows)},
            "fields": [{"name": n, "type": t} for n, t in fields]}
    doc = {"data": rows, **head} if data_first else {**head, "data": rows}
    return orjson.dumps(doc)


def test_sentinels_only_where_declared():
    fields = [("em_resolution", "float"), ("x", "float"), ("n", "int")]
    rows = [{"em_resolution": -9999, "x": -999.0, "n": -999}, {"em_resolution": 1.5, "x": None,
                                                                "n": None}]
    cfg = ColumnsConfig({"em_resolution": {"ignoreValue": -9999}})
    table = json_to_table(body_of(fields, rows), columns_config=cfg)
    assert list(table["em_resolution"].mask) == [True, False]
    assert list(table["x"].mask) == [False, True] and table["x"][0] == -999.0
    assert list(table["n"].mask) == [False, True] and table["n"][0] == -999


def test_missing_keys_mixed_types_and_all_null_columns():
    fields = [("a", "string"), ("b", "float"), ("c", "string"), ("d", "boolean")]
    rows = [{"a": "x", "b": 1, "c": None, "d": True}, {"b": 2.5, "c": None}]
    table = json_to_table(body_of(fields, rows, data_first=True))
    assert list(table["a"].mask) == [False, True] and table["b"].dtype == np.float64
    assert table["c"].mask.all() and table["d"].dtype == bool and list(table["d"].mask) == [
        False, True]


TRICKY = ["ok", '},{"s":"x"', "]", "}]", None, 'quote " and \\ backslash', "line\nbreak",
          "2020-01-01T00:00:00", "café ☃"]


def cells(column):
    return [None if m else v for v, m in zip(column, column.mask, strict=True)]


@pytest.mark.parametrize("data_first", [False, True])
def test_tricky_strings_round_trip(data_first):
    fields = [("s", "string"), ("i", "int")]
    rows = [{"s": TRICKY[k % len(TRICKY)], "i": k if k % 4 else None} for k in range(300)]
    table = json_to_table(body_of(fields, rows, data_first=data_first))
    assert cells(table["s"]) == [r["s"] for r in rows]
    assert cells(table["i"]) == [r["i"] for r in rows] and table["i"].dtype == np.int64
    assert table["s"].dtype.kind == "U"  # not pure ASCII


def test_ascii_text_is_bytestring_and_dates_stay_text():
    rows = [{"d": "2020-01-01T00:00:00", "t": "HST"}, {"d": "2021-06-30T12:00:00", "t": None}]
    table = json_to_table(body_of([("d", "string"), ("t", "string")], rows))
    assert table["d"].dtype.kind == "S" and list(table["d"]) == [r["d"] for r in rows]
    assert (table["t"] == "HST").filled(False).tolist() == [True, False]
    assert table["t"].mask.tolist() == [False, True]


def test_numbers_and_text_in_one_column_fall_back_to_orjson():
    rows = [{"v": 1}, {"v": "x"}, {"v": None}]
    table = json_to_table(body_of([("v", "string")], rows))
    assert cells(table["v"]) == ["1", "x", None]


def test_kinds_promoted_within_a_column():
    rows = [{"v": None} for _ in range(20)] + [{"v": 7}] + [{"v": 2.5} for _ in range(20)]
    table = json_to_table(body_of([("v", "string")], rows))
    assert table["v"].dtype == np.float64 and table["v"].mask.sum() == 20
    ints = json_to_table(body_of([("v", "float")], [{"v": 1}, {"v": 2}]))["v"]
    assert ints.dtype == np.float64


def test_times_on_request():
    cfg = config("columnsconfig.json")
    table = json_to_table((DATA / "caom.json").read_bytes(), columns_config=cfg, times=True)
    assert isinstance(table["t_min"], Time) and table["t_min"][0].mjd == pytest.approx(49756.25506)
    assert not isinstance(table["s_ra"], Time)


def test_executing_and_error_pages():
    page = parse_page(b'{"status": "EXECUTING", "msg": "", "percent complete": 40}')
    assert page.status == "EXECUTING" and page.percent == 40
    assert parse_page(b'{"status":"ERROR","msg":"bad"}').msg == "bad"


@pytest.mark.parametrize("body", [b"", b'{"status": "COMPLETE", "da', b"[]",
                                  b'{"status": "COMPLETE", "data": [{"a": 1}]}',
                                  b'{"status": "COMPLETE", "fields": 3, "data": []}'])
def test_bad_bodies_are_protocol_errors(body):
    with pytest.raises(ProtocolError):
        json_to_table(body)


def test_extjs_recording():
    page = parse_page((DATA / "missions.extjs").read_bytes(), fmt="extjs")
    assert page.status == "COMPLETE" and page.nrows == 0 and len(page.fields) > 10
    assert "Columns" in page.document


def test_csv_and_votable():
    csv = b'obs_id,s_ra,n\n"a,b",1.5,3\nc,,4\n'
    table = json_to_table(csv, fmt="csv")
    assert list(table["obs_id"]) == ["a,b", "c"] and table["s_ra"].mask.tolist() == [False, True]
    from io import BytesIO

    from astropy.table import Table
    out = BytesIO()
    Table({"obsid": np.array([2**60, 3]), "x": [1.5, 2.5]}).write(out, format="votable")
    table = json_to_table(out.getvalue(), fmt="votable")
    assert table["obsid"][0] == 2**60 and table["x"].dtype.kind == "f"
