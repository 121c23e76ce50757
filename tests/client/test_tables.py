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
from mastq.tables import decode_table

DATA = Path(__file__).parent.parent / "data"
RECORDINGS = [
    "caom.json",
    "advSearch.json",
    "advSearchPos.json",
    "countsResp.json",
    "products.json",
    "tic.json",
    "dd.json",
    "hsc.json",
    "matchid.json",
    "spectra.json",
]
CONFIGS = {
    "caom.json": "columnsconfig.json",
    "advSearch.json": "columnsconfig.json",
    "advSearchPos.json": "columnsconfig.json",
    "tic.json": "ticcolumns.json",
    "dd.json": "ddcolumns.json",
}


def config(name):
    return ColumnsConfig.from_json((DATA / name).read_bytes())


def expected_kind(declared):
    """The dtype kind of a declared type: the answer's own ``fields`` decide, as in astroquery."""
    return {"float": "f", "int": "i", "boolean": "b"}.get(declared, "U")


@pytest.mark.parametrize("name", RECORDINGS)
def test_recording_dtypes_values_and_masks(name):
    body = (DATA / name).read_bytes()
    doc = json.loads(body)
    cfg = config(CONFIGS[name]) if name in CONFIGS else None
    table = decode_table(body, columns_config=cfg)
    declared = [f for f in doc["fields"] if f["name"] != "_selected_"]
    assert table.colnames == [f["name"] for f in declared]
    assert len(table) == len(doc["data"])  # spectra.json was cut to 26 of 45,762 rows
    for field in declared:
        col, raw = table[field["name"]], [row.get(field["name"]) for row in doc["data"]]
        assert col.dtype.kind == expected_kind(field["type"]), field
        nulls = np.array([v is None for v in raw])
        info = cfg.get(field["name"]) if cfg else None
        if info is None or info.ignore_value is None:
            assert np.array_equal(np.asarray(col.mask), nulls), field
        for value, cell, masked in zip(raw, col, np.asarray(col.mask), strict=True):
            if value is not None and not masked:
                expected = str(value) if field["type"] == "string" else value
                assert cell == expected, (field, value, cell)


@pytest.mark.parametrize(
    "name, column, unit",
    [
        ("caom.json", "s_ra", u.deg),
        ("caom.json", "t_min", u.day),
        ("caom.json", "em_min", u.nm),
        ("caom.json", "t_exptime", u.s),
        ("caom.json", "distance", u.arcsec),
        ("tic.json", "ra", u.deg),
        ("tic.json", "Teff", u.K),
        ("advSearchPos.json", "s_dec", u.deg),
    ],
)
def test_recording_units(name, column, unit):
    table = decode_table((DATA / name).read_bytes(), columns_config=config(CONFIGS[name]))
    assert table[column].unit == unit


def test_descriptions_ucds_and_unknown_units_kept():
    table = decode_table((DATA / "tic.json").read_bytes(), columns_config=config("ticcolumns.json"))
    assert table["logg"].unit == u.dex(u.cm / u.s**2) and table["logg"].meta["mast_unit"] == "cgs"
    assert table["mass"].unit == u.M_sun and table["mass"].meta["mast_unit"] == "solar units"
    caom = decode_table(
        (DATA / "caom.json").read_bytes(), columns_config=config("columnsconfig.json")
    )
    assert caom["s_ra"].description == "Observation Right Ascension"
    assert caom["s_ra"].meta["ucd"] == "pos.eq.ra;meta.main"
    assert caom["s_region"].unit is None and caom["s_region"].meta["mast_unit"] == "deg"


def test_long_ids_declared_int_are_exact_int64():
    rows = [{"n": 2**53 + 1}, {"n": None}, {"n": 9223372036854775807}]
    col = decode_table(body_of([("n", "long")], rows))["n"]
    assert col.dtype == np.int64 and cells(col) == [2**53 + 1, None, 9223372036854775807]
    sdss = decode_table((DATA / "tic.json").read_bytes())["SDSS"]  # declared string
    assert sdss[1] == "1237668629461992674" and sdss.mask.sum() == 6


@pytest.mark.parametrize("fmt", ["json", "extjs"])
@pytest.mark.parametrize("hint", ["long", None])
def test_ids_declared_string_are_exact_str_whatever_the_json_carries(fmt, hint):
    ids = [2003585980, 2**53 + 1, 9223372036854775807, None, -5]
    rows = [{"obsid": v, "n": 1} for v in ids]
    fields = [("obsid", "string"), ("n", "int")]
    body = body_of(fields, rows) if fmt == "json" else extjs_of(fields, rows)
    cfg = ColumnsConfig({"obsid": {"vot.datatype": hint}} if hint else {})
    table = decode_table(body, fmt=fmt, columns_config=cfg)
    col = table["obsid"]
    assert col.dtype.kind == "U" and cells(col) == [None if v is None else str(v) for v in ids]
    assert len(table[table["obsid"] == "2003585980"]) == 1  # as with astroquery's str ids


def test_ids_declared_string_in_a_count_and_in_recordings():
    count = decode_table((DATA / "countsResp.json").read_bytes())
    assert count["Column1"][0] == "599"  # astroquery: str; int(...) reads it
    tic = decode_table((DATA / "tic.json").read_bytes())
    assert tic["ID"].dtype.kind == "U" and tic["objID"].dtype.kind == "U"
    assert decode_table((DATA / "products.json").read_bytes())["obsID"].dtype.kind == "U"


def extjs_of(fields, rows):
    table = {
        "Fields": [{"name": n, "type": t} for n, t in fields],
        "Rows": [[row.get(n) for n, _ in fields] for row in rows],
        "ExtendedProperties": {"Paging": {"rows": len(rows), "rowsFiltered": len(rows)}},
    }
    return orjson.dumps({"status": "COMPLETE", "msg": "", "data": {"Tables": [table]}})


def body_of(fields, rows, *, data_first=False):
    head = {
        "status": "COMPLETE",
        "msg": "",
        "paging": {"page": 1, "rows": len(rows), "rowsFiltered": len(rows)},
        "fields": [{"name": n, "type": t} for n, t in fields],
    }
    doc = {"data": rows, **head} if data_first else {**head, "data": rows}
    return orjson.dumps(doc)


def test_sentinels_only_where_declared():
    fields = [("em_resolution", "float"), ("x", "float"), ("n", "int")]
    rows = [
        {"em_resolution": -9999, "x": -999.0, "n": -999},
        {"em_resolution": 1.5, "x": None, "n": None},
    ]
    cfg = ColumnsConfig({"em_resolution": {"ignoreValue": -9999}})
    table = decode_table(body_of(fields, rows), columns_config=cfg)
    assert list(table["em_resolution"].mask) == [True, False]
    assert list(table["x"].mask) == [False, True] and table["x"][0] == -999.0
    assert list(table["n"].mask) == [False, True] and table["n"][0] == -999


def test_missing_keys_mixed_types_and_all_null_columns():
    fields = [("a", "string"), ("b", "float"), ("c", "string"), ("d", "boolean")]
    rows = [{"a": "x", "b": 1, "c": None, "d": True}, {"b": 2.5, "c": None}]
    table = decode_table(body_of(fields, rows, data_first=True))
    assert list(table["a"].mask) == [False, True] and table["b"].dtype == np.float64
    assert (
        table["c"].mask.all()
        and table["d"].dtype == bool
        and list(table["d"].mask) == [False, True]
    )


TRICKY = [
    "ok",
    '},{"s":"x"',
    "]",
    "}]",
    None,
    'quote " and \\ backslash',
    "line\nbreak",
    "2020-01-01T00:00:00",
    "café ☃",
]


def cells(column):
    return [None if m else v for v, m in zip(column, column.mask, strict=True)]


@pytest.mark.parametrize("data_first", [False, True])
def test_tricky_strings_round_trip(data_first):
    fields = [("s", "string"), ("i", "int")]
    rows = [{"s": TRICKY[k % len(TRICKY)], "i": k if k % 4 else None} for k in range(300)]
    table = decode_table(body_of(fields, rows, data_first=data_first))
    assert cells(table["s"]) == [r["s"] for r in rows]
    assert cells(table["i"]) == [r["i"] for r in rows] and table["i"].dtype == np.int64
    assert table["s"].dtype.kind == "U"  # not pure ASCII


def test_ascii_text_is_str_and_dates_stay_text():
    rows = [{"d": "2020-01-01T00:00:00", "t": "HST"}, {"d": "2021-06-30T12:00:00", "t": None}]
    table = decode_table(body_of([("d", "string"), ("t", "string")], rows))
    assert table["d"].dtype.kind == "U" and list(table["d"]) == [r["d"] for r in rows]
    assert (table["t"] == "HST").filled(False).tolist() == [True, False]
    assert table["t"].mask.tolist() == [False, True]


@pytest.mark.parametrize("fmt", ["json", "json-orjson", "extjs"])
def test_bytes_text_only_on_request(fmt, monkeypatch):
    from mastq import arrowjson

    if fmt == "json-orjson":

        def refuse(body, *, text):
            raise arrowjson.ArrowDecodeError("test: use the orjson decoder")

        monkeypatch.setattr(arrowjson, "decode", refuse)
    fields, rows = [("t", "string"), ("id", "string")], [{"t": "HST", "id": 7}, {"t": None}]
    body = extjs_of(fields, rows) if fmt == "extjs" else body_of(fields, rows)
    fmt = fmt.split("-")[0]
    assert decode_table(body, fmt=fmt)["t"].dtype.kind == "U"
    table = decode_table(body, fmt=fmt, text="bytes")
    assert table["t"].dtype.kind == "S" and table["id"].dtype.kind == "S"
    assert np.asarray(table["t"])[0] == b"HST" and np.asarray(table["id"])[0] == b"7"
    assert table["t"].mask.tolist() == [False, True]
    with pytest.raises(ValueError, match="text must be one of"):
        decode_table(body, fmt=fmt, text="latin-1")


def test_numbers_and_text_in_one_column_fall_back_to_orjson():
    rows = [{"v": 1}, {"v": "x"}, {"v": None}]
    table = decode_table(body_of([("v", "string")], rows))
    assert cells(table["v"]) == ["1", "x", None]


def test_numbers_in_a_text_field_stay_exact_text():
    rows = [{"v": None} for _ in range(20)] + [{"v": 7}] + [{"v": 2.5} for _ in range(20)]
    table = decode_table(body_of([("v", "string")], rows))
    assert table["v"].dtype.kind == "U" and table["v"].mask.sum() == 20
    assert cells(table["v"])[19:22] == [None, "7", "2.5"]  # as astroquery's astype(str)
    ints = decode_table(body_of([("v", "float")], [{"v": 1}, {"v": 2}]))["v"]
    assert ints.dtype == np.float64


def test_times_on_request():
    cfg = config("columnsconfig.json")
    table = decode_table((DATA / "caom.json").read_bytes(), columns_config=cfg, times=True)
    assert isinstance(table["t_min"], Time) and table["t_min"][0].mjd == pytest.approx(49756.25506)
    assert not isinstance(table["s_ra"], Time)


def test_executing_and_error_pages():
    page = parse_page(b'{"status": "EXECUTING", "msg": "", "percent complete": 40}')
    assert page.status == "EXECUTING" and page.percent == 40
    assert parse_page(b'{"status":"ERROR","msg":"bad"}').msg == "bad"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"status": "COMPLETE", "da',
        b"[]",
        b'{"status": "COMPLETE", "data": [{"a": 1}]}',
        b'{"status": "COMPLETE", "fields": 3, "data": []}',
    ],
)
def test_bad_bodies_are_protocol_errors(body):
    with pytest.raises(ProtocolError):
        decode_table(body)


def test_extjs_recording():
    page = parse_page((DATA / "missions.extjs").read_bytes(), fmt="extjs")
    assert page.status == "COMPLETE" and page.nrows == 0 and len(page.fields) > 10
    assert "Columns" in page.document


def test_csv_and_votable():
    csv = b'obs_id,s_ra,n\n"a,b",1.5,3\nc,,4\n'
    table = decode_table(csv, fmt="csv")
    assert list(table["obs_id"]) == ["a,b", "c"] and table["s_ra"].mask.tolist() == [False, True]
    from io import BytesIO

    from astropy.table import Table

    out = BytesIO()
    Table(
        {
            "obsid": np.array([2**60, 3]),
            "x": [1.5, 2.5],
            "t": ["HST", "Ångström"],
            "s": ["2003585980", "7"],
        }
    ).write(out, format="votable")
    table = decode_table(out.getvalue(), fmt="votable")
    assert table["obsid"][0] == 2**60 and table["x"].dtype.kind == "f"
    assert table["t"].dtype.kind == "U" and list(table["t"]) == ["HST", "Ångström"]
    assert table["s"].dtype.kind == "U" and table["s"][0] == "2003585980"
    assert decode_table(csv, fmt="csv")["obs_id"].dtype.kind == "U"
    assert decode_table(out.getvalue(), fmt="votable", text="bytes")["t"].dtype.kind == "S"


# ------------------------------------------------ astroquery idioms on the local MAST's answers


@pytest.fixture(scope="module")
def m101(obs):
    from astropy.coordinates import SkyCoord

    return obs.query_region(SkyCoord(210.802429, 54.34875, unit="deg"), radius=0.2 * u.deg)


def test_text_columns_behave_as_str(m101):
    collection = m101["obs_collection"]
    assert collection.dtype.kind == "U"
    assert (
        np.isin(collection, ["HST", "JWST"]).sum()
        == (collection == "HST").sum() + (collection == "JWST").sum()
        > 0
    )
    assert np.char.startswith(np.asarray(m101["obs_id"]), m101["obs_id"][0][:1]).any()
    assert all(type(v) is np.str_ for v in np.unique(collection))
    frame = m101.to_pandas()
    assert isinstance(frame["obs_collection"].iloc[0], str)
    assert isinstance(frame["obsid"].iloc[0], str)


def test_filter_on_a_str_obsid_matches_as_in_astroquery(m101):
    obsid = m101["obsid"][0]
    assert isinstance(obsid, str) and obsid.isdigit()
    assert len(m101[m101["obsid"] == obsid]) == 1


@pytest.mark.parametrize(
    "fmt, suffix", [("ascii.ecsv", ".ecsv"), ("fits", ".fits"), ("votable", ".xml")]
)
def test_writing_and_reading_back_keeps_text(m101, tmp_path, fmt, suffix):
    from astropy.table import Table

    path = tmp_path / f"m101{suffix}"
    table = m101.copy(copy_data=False)
    table.meta.clear()  # FITS headers cannot hold the dicts of table.meta (a separate matter)
    table.write(path, format=fmt)
    back = Table.read(path, format=fmt)
    assert len(back) == len(m101)
    assert [str(v) for v in back["obs_collection"]] == list(m101["obs_collection"])
    assert [str(v) for v in back["obsid"]] == list(m101["obsid"])


def test_masked_floats_fill_with_nan(m101):
    floats = [c for c in m101.itercols() if c.dtype.kind == "f" and c.mask.any()]
    assert floats
    for col in floats:
        assert np.isnan(col.fill_value) and np.isnan(col.filled()[col.mask]).all()
    table = decode_table(body_of([("x", "real")], [{"x": None}, {"x": 1.5}]))
    assert np.isnan(table["x"].filled()[0]) and table["x"].filled()[1] == 1.5


@pytest.mark.parametrize(
    "declared, kind",
    [
        ("real", "f"),
        ("decimal", "f"),
        ("double", "f"),
        ("bigint", "i"),
        ("smallint", "i"),
        ("long", "i"),
        ("boolean", "b"),
        ("string", "U"),
        ("date", "U"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "extjs"])
def test_all_null_columns_follow_their_declared_type(declared, kind, fmt):
    fields, rows = [("v", declared), ("n", "int")], [{"v": None, "n": 1}, {"v": None, "n": 2}]
    body = body_of(fields, rows) if fmt == "json" else extjs_of(fields, rows)
    col = decode_table(body, fmt=fmt)["v"]
    assert col.dtype.kind == kind and col.mask.all()


def test_the_answer_declares_the_type_not_the_columns_config():
    cfg = ColumnsConfig({"v": {"vot.datatype": "char"}, "w": {"vot.datatype": "long"}})
    rows = [{"v": None, "w": None}]
    table = decode_table(body_of([("v", "bigint"), ("w", "string")], rows), columns_config=cfg)
    assert table["v"].dtype.kind == "i" and table["w"].dtype.kind == "U"
    untyped = decode_table(body_of([("v", "mystery")], rows), columns_config=cfg)
    assert untyped["v"].dtype.kind == "U"  # unknown declared type: the config's hint
