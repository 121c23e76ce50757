"""
The local MAST's star catalogs (TIC, CTL, Gaia DR3, user collections), over loopback HTTP.

A local MAST is started with `mastq.emulator.catalogs.Catalogs` as its archive, and every
answer is read from the wire; the catalogs' own arrays serve as the truth to compare with.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table

from mastq.emulator.catalogs import Catalogs
from mastq.emulator.catalogs.stars import ecliptic, galactic, healpix_nested
from mastq.emulator.model import ServiceError
from mastq.emulator.server import Emulator

DATA = Path(__file__).parent.parent / "data"
M101 = (210.802429, 54.348750)
ORION = (83.822083, -5.391111)
# Histogram keys of the recorded Mast.Catalogs.All.Tic answer (mast-reference/responses/
# ticcolumns_filtered.json, 424 kB, not copied here), in the order MAST sends them.
RECORDED_DISCRETE = [
    "lumclass",
    "objType",
    "PARflag",
    "PMflag",
    "POSflag",
    "SPFlag",
    "TESSflag",
    "typeSrc",
]
RECORDED_CONTINUOUS = """
Bmag contratio d dec duplicate_id e_Bmag e_d e_GAIAmag e_gmag e_Hmag e_imag e_Jmag e_Kmag
e_logg e_lum e_mass e_MH e_plx e_pmDEC e_pmRA e_rad e_rho e_rmag e_Teff e_Tmag e_umag e_Vmag
e_w1mag e_w2mag e_w3mag e_w4mag e_zmag ebv eclat eclong GAIAmag gallat gallong gmag HIP Hmag
ID imag Jmag KIC Kmag logg lum mass MH numcont objID plx pmDEC pmRA priority prox ra rad rho
rmag SDSS Teff Tmag umag Vmag w1mag w2mag w3mag w4mag zmag
"""


def _run(service, params, archive):
    result = archive.handle(service, params)
    if result is None:
        raise ServiceError(f"unknown service {service!r}")
    return result


@pytest.fixture(scope="module")
def catalogs():
    return Catalogs(centres=[M101, ORION])


@pytest.fixture(scope="module")
def invoke(catalogs):
    server = Emulator(
        archive=catalogs,
        run_service=_run,
        columns_config=lambda config_id, archive: archive.columns_config(config_id),
    )
    server.start()
    session = requests.Session()

    def call(service, params, **extra):
        request = {
            "service": service,
            "params": params,
            "format": "json",
            "pagesize": 100000,
            "page": 1,
            **extra,
        }
        answer = session.post(
            f"{server.url}/api/v0/invoke", data={"request": json.dumps(request)}, timeout=30
        )
        answer.raise_for_status()
        return answer.json()

    call.url = server.url
    yield call
    session.close()
    server.stop()


def _recording(name):
    return json.loads((DATA / name).read_text())


def test_build_is_sized():
    built = Catalogs()
    assert 49_000 < built.table("Tic").nrows < 54_000
    assert 40_000 < built.table("GaiaDR3").nrows <= 50_000
    assert 0 < built.table("Ctl").nrows < built.table("Tic").nrows // 5


# The TIC 8.2 columns of today's MAST (mast-reference/CURRENT-FIELDS.md), before objID.
TIC82 = """eneg_EBV epos_EBV EBVflag eneg_Mass epos_Mass eneg_Rad epos_Rad eneg_rho epos_rho
eneg_logg epos_logg eneg_lum epos_lum eneg_dist epos_dist distflag eneg_Teff epos_Teff TeffFlag
gaiabp e_gaiabp gaiarp e_gaiarp gaiaqflag starchareFlag VmagFlag BmagFlag splists e_RA e_Dec
RA_orig Dec_orig e_RA_orig e_Dec_orig raddflag wdflag"""


def test_tic_fields_are_the_recording_plus_tic82(invoke):
    recorded = _recording("tic.json")["fields"]
    rows = invoke(
        "Mast.Catalogs.Filtered.Tic.Rows",
        {"columns": "*", "filters": [{"paramName": "Tmag", "values": [{"min": 5, "max": 6}]}]},
    )
    assert rows["status"] == "COMPLETE" and rows["data"]
    assert rows["fields"][:88] == recorded[:88] and rows["fields"][-1] == recorded[-1]
    assert [f["name"] for f in rows["fields"][88:-1]] == TIC82.split()
    assert len(rows["fields"]) == 125
    expected = rows["fields"]
    assert list(rows["data"][0]) == [f["name"] for f in expected]
    cone = invoke("Mast.Catalogs.Tic.Cone", {"ra": M101[0], "dec": M101[1], "radius": 0.05})
    assert cone["fields"] == expected + [{"name": "dstArcSec", "type": "float"}]
    ctl = invoke("Mast.Catalogs.Ctl.Cone", {"ra": M101[0], "dec": M101[1], "radius": 0.5})
    assert ctl["fields"] == cone["fields"]


def test_tic_values_are_typed_like_the_recording(invoke):
    answer = invoke("Mast.Catalogs.Tic.Cone", {"ra": ORION[0], "dec": ORION[1], "radius": 0.2})
    assert answer["paging"]["rows"] > 100
    data = answer["data"]
    ids = [row["ID"] for row in data]
    assert all(isinstance(i, int) and 0 < i < 2_100_000_000 for i in ids)
    assert len(set(ids)) == len(ids)
    # float columns hold JSON numbers, whole ones written as integers (tic.json: e_Tmag 1)
    for column, kinds in (
        ("HIP", (int, type(None))),
        ("Tmag", (float, int)),
        ("objID", (int,)),
        ("objType", (str,)),
        ("Vmag", (float, int, type(None))),
    ):
        assert all(isinstance(row[column], kinds) for row in data), column
    assert any(isinstance(row["Tmag"], float) for row in data)
    assert {row["objType"] for row in data} == {"STAR", "EXTENDED"}
    assert sum(row["Vmag"] is None for row in data) > len(data) // 10
    assert {row["lumclass"] for row in data} == {"DWARF", "GIANT", None}


@pytest.mark.parametrize(("catalog", "id_column"), [("Tic", "ID"), ("GaiaDR3", "source_id")])
def test_cone_matches_astropy(invoke, catalogs, catalog, id_column):
    table = catalogs.table(catalog)
    centre, radius = (M101[0] + 0.1, M101[1] - 0.05), 0.3
    answer = invoke(
        f"Mast.Catalogs.{catalog}.Cone", {"ra": centre[0], "dec": centre[1], "radius": radius}
    )
    separation = (
        SkyCoord(table.ra * u.deg, table.dec * u.deg)
        .separation(SkyCoord(centre[0] * u.deg, centre[1] * u.deg))
        .arcsec
    )
    inside = np.flatnonzero(separation <= radius * 3600)
    ids = np.asarray(table.columns[id_column])
    assert len(inside) > 50
    assert sorted(row[id_column] for row in answer["data"]) == sorted(ids[inside].tolist())
    distances = np.array([row[table.distance_name] for row in answer["data"]])
    assert np.all(np.diff(distances) >= 0)
    by_id = dict(zip(ids[inside].tolist(), separation[inside], strict=True))
    expected = np.array([by_id[row[id_column]] for row in answer["data"]])
    np.testing.assert_allclose(distances, expected, atol=1e-6)


def test_filters_and_counts(invoke, catalogs):
    filters = [
        {"paramName": "Tmag", "values": [{"min": 8.0, "max": 11.5}]},
        {"paramName": "lumclass", "values": ["GIANT"]},
    ]
    rows = invoke("Mast.Catalogs.Filtered.Tic", {"columns": "ID,Tmag,lumclass", "filters": filters})
    assert [f["name"] for f in rows["fields"]] == ["ID", "Tmag", "lumclass"]
    assert rows["data"] and all(
        8.0 <= r["Tmag"] <= 11.5 and r["lumclass"] == "GIANT" for r in rows["data"]
    )
    table = catalogs.table("Tic")
    tmag, giant = table.columns["Tmag"], table.columns["lumclass"].strings() == "GIANT"
    assert len(rows["data"]) == np.count_nonzero((tmag >= 8) & (tmag <= 11.5) & giant)
    count = invoke("Mast.Catalogs.Filtered.Tic", {"columns": "COUNT_BIG(*)", "filters": filters})
    assert count["fields"] == _recording("countsResp.json")["fields"]
    assert count["data"] == [{"Column1": len(rows["data"])}]


def test_position_variants_add_distance_and_count(invoke):
    params = {
        "columns": "*",
        "filters": [{"paramName": "objType", "values": ["STAR"]}],
        "ra": ORION[0],
        "dec": ORION[1],
        "radius": 0.3,
    }
    rows = invoke("Mast.Catalogs.Filtered.Tic.Position.Rows", params)
    assert rows["fields"][-1] == {"name": "dstArcSec", "type": "float"}
    assert rows["data"] and all(
        r["objType"] == "STAR" and r["dstArcSec"] <= 0.3 * 3600 for r in rows["data"]
    )
    count = invoke("Mast.Catalogs.Filtered.Tic.Position", {**params, "columns": "COUNT_BIG(*)"})
    assert count["data"] == [{"Column1": len(rows["data"])}]


@pytest.mark.parametrize(
    "service", ["Mast.Catalogs.Filtered.Tic.Rows", "Mast.Catalogs.Filtered.Ctl.Position.Rows"]
)
def test_rows_services_reject_counts(invoke, service):
    answer = invoke(
        service, {"columns": "COUNT_BIG(*)", "filters": [], "ra": 10, "dec": 10, "radius": 1}
    )
    assert answer["status"] == "ERROR"
    assert "COUNT_BIG(*)" in answer["msg"] and "columns" in answer["msg"]


@pytest.mark.parametrize(
    ("service", "params", "named"),
    [
        ("Mast.Catalogs.Tic.Cone", {"ra": 10, "dec": 10}, "radius"),
        ("Mast.Catalogs.GaiaDR3.Cone", {"ra": 10, "dec": 100, "radius": 1}, "dec"),
        ("Mast.Catalogs.Filtered.Tic", {"columns": "*"}, "filters"),
        ("Mast.Catalogs.Filtered.Tic", {"columns": 5, "filters": []}, "columns"),
        (
            "Mast.Catalogs.Filtered.Gaiadr3.Position",
            {"columns": "*", "filters": [], "ra": 1, "dec": 1},
            "radius",
        ),
        (
            "Mast.Catalogs.Filtered.Tic",
            {"columns": "*", "filters": [{"paramName": "nope"}]},
            "nope",
        ),
    ],
)
def test_bad_parameters_are_named(invoke, service, params, named):
    answer = invoke(service, params)
    assert answer["status"] == "ERROR"
    assert named in answer["msg"]


def test_gaia_ids_are_exact_64_bit(invoke, catalogs):
    answer = invoke("Mast.Catalogs.GaiaDR3.Cone", {"ra": M101[0], "dec": M101[1], "radius": 0.2})
    ids = [row["source_id"] for row in answer["data"]]
    assert ids and all(isinstance(i, int) and i > 2**53 for i in ids)
    assert set(ids) <= set(catalogs.table("GaiaDR3").columns["source_id"].tolist())
    for row in answer["data"]:
        assert row["designation"] == f"Gaia DR3 {row['source_id']}"
        assert (
            row["source_id"] >> 35
            == healpix_nested(np.array([row["ra"]]), np.array([row["dec"]]), 12)[0]
        )
    tic = invoke("Mast.Catalogs.Tic.Cone", {"ra": M101[0], "dec": M101[1], "radius": 0.2})
    linked = {int(row["GAIA"]) for row in tic["data"] if row["GAIA"]}
    assert linked and linked <= set(ids)


def test_all_tic_histograms(invoke, catalogs):
    answer = invoke("Mast.Catalogs.All.Tic", {}, format="extjs")
    table = answer["data"]["Tables"][0]
    assert table["Rows"] == [] and len(table["Fields"]) == 125
    extended = table["ExtendedProperties"]
    for kind, recorded in (
        ("discreteHistogram", RECORDED_DISCRETE),
        ("continuousHistogram", RECORDED_CONTINUOUS.split()),
    ):
        keys = list(extended[kind])
        assert [k for k in keys if k in recorded] == recorded  # the TIC 8.2 columns added
        assert set(keys) - set(recorded) <= set(TIC82.split())
    nrows = catalogs.table("Tic").nrows
    for name, hist in extended["discreteHistogram"].items():
        assert sum(entry["count"] for entry in hist["hist"]) == nrows, name
        assert all(hist[entry["key"]] == entry for entry in hist["hist"])
    tmag = extended["continuousHistogram"]["Tmag"]
    assert list(tmag) == ["hist", "min", "max", "type"] and list(tmag["hist"]) == ["hist"]
    assert len(tmag["hist"]["hist"]) == 145 and tmag["type"] == "numeric"
    assert sum(entry["count"] for entry in tmag["hist"]["hist"]) == nrows
    ctl = invoke("Mast.Catalogs.All.Ctl", {}, format="extjs")
    counts = ctl["data"]["Tables"][0]["ExtendedProperties"]["discreteHistogram"]["lumclass"]
    assert counts["hist"] == [{"count": catalogs.table("Ctl").nrows, "key": "DWARF"}]


def test_columns_configs(invoke):
    def config(config_id):
        answer = requests.post(
            f"{invoke.url}/portal/Mashup/Mashup.asmx/columnsconfig",
            data={"colConfigId": config_id},
            timeout=30,
        )
        return answer.json()

    recorded = _recording("ticcolumns.json")
    tess = config("Mast.Catalogs.Tess.Cone")
    assert {name: tess[name] for name in recorded} == recorded
    assert set(tess) - set(recorded) <= set(TIC82.split())  # units of the TIC 8.2 columns
    assert tess["eneg_Mass"]["vot.unit"] == "solMass"
    assert config("Mast.Catalogs.Tic.Cone") == tess
    assert config("Mast.Catalogs.Ctl.Cone")["priority"]["vot.datatype"] == "double"
    gaia = config("Mast.Catalogs.GaiaDR3.Cone")
    fields = invoke("Mast.Catalogs.GaiaDR3.Cone", {"ra": 0, "dec": 0, "radius": 0})["fields"]
    assert [f["name"] for f in fields] == list(gaia)
    assert gaia["source_id"]["vot.datatype"] == "long"
    assert gaia["parallax"]["vot.unit"] == "mas" and gaia["ra"]["vot.ucd"] == "pos.eq.ra;meta.main"


def _user_table():
    table = Table()
    table["objid"] = np.array([2**62 + 1, 2**62 + 2, 2**62 + 3], dtype=np.int64)
    table["RA"] = [150.0, 150.01, 151.0] * u.deg
    table["DEC"] = [2.0, 2.01, 2.0] * u.deg
    table["flux"] = MaskedColumn(
        [1.5, 2.5, 3.5], mask=[False, True, False], unit="mJy", description="Flux density"
    )
    table["nobs"] = np.array([3, 4, 5], dtype=np.int32)
    table["kind"] = MaskedColumn(["star", "galaxy", "star"], mask=[False, False, True])
    table["good"] = [True, False, True]
    return table


def test_user_collection_round_trip(invoke, catalogs):
    catalogs.add_collection("MyStars", _user_table())
    cone = invoke("Mast.Catalogs.MyStars.Cone", {"ra": 150.0, "dec": 2.0, "radius": 0.1})
    assert cone["fields"] == [
        {"name": "objid", "type": "string"},
        {"name": "RA", "type": "float"},
        {"name": "DEC", "type": "float"},
        {"name": "flux", "type": "float"},
        {"name": "nobs", "type": "int"},
        {"name": "kind", "type": "string"},
        {"name": "good", "type": "boolean"},
        {"name": "distance", "type": "float"},
    ]
    assert [row["objid"] for row in cone["data"]] == [2**62 + 1, 2**62 + 2]
    assert cone["data"][1]["flux"] is None and cone["data"][0]["flux"] == 1.5
    assert cone["data"][1]["good"] is False and cone["data"][1]["kind"] == "galaxy"
    rows = invoke(
        "Mast.Catalogs.Filtered.MyStars",
        {"columns": "objid,kind", "filters": [{"paramName": "good", "values": ["true"]}]},
    )
    assert rows["data"] == [
        {"objid": 2**62 + 1, "kind": "star"},
        {"objid": 2**62 + 3, "kind": None},
    ]
    config = catalogs.columns_config("Mast.Catalogs.MyStars.Cone")
    assert config["flux"]["vot.unit"] == "mJy"
    assert config["flux"]["vot.description"] == "Flux density"
    assert config["objid"]["vot.datatype"] == "long"


@pytest.mark.parametrize(
    ("name", "table", "message"),
    [
        ("Tic", Table({"ra": [1.0], "dec": [1.0]}), "name"),
        ("my stars", Table({"ra": [1.0], "dec": [1.0]}), "name"),
        ("Mine", Table({"x": [1.0], "dec": [1.0]}), "ra"),
        ("Mine", {"ra": [1.0], "dec": [1.0]}, "astropy Table"),
        ("Mine", Table({"ra": [1.0], "dec": [95.0]}), "dec"),
        ("Mine", Table({"ra": [1.0], "dec": [1.0], "distance": [3.0]}), "distance"),
    ],
)
def test_add_collection_validates(catalogs, name, table, message):
    with pytest.raises(ValueError, match=message):
        catalogs.add_collection(name, table)


def test_unknown_catalog_is_not_handled(catalogs):
    assert catalogs.handle("Mast.Catalogs.Nothing.Cone", {"ra": 1, "dec": 1, "radius": 1}) is None
    assert catalogs.handle("Mast.Caom.Cone", {"ra": 1, "dec": 1, "radius": 1}) is None
    assert catalogs.columns_config("Mast.Caom.Cone") is None


def _first_rows(catalogs, name, n=200):
    result = catalogs.handle(f"Mast.Catalogs.Filtered.{name}", {"columns": "*", "filters": []})
    chunk = result.make_chunk(0, n)
    return {
        key: np.ma.filled(values, -1).tolist() if np.ma.isMaskedArray(values) else values.tolist()
        for key, values in chunk.items()
    }


def test_catalogs_are_deterministic():
    first, second = Catalogs(seed=3, scale=0.05), Catalogs(seed=3, scale=0.05)
    other = Catalogs(seed=4, scale=0.05)
    for name in ("Tic", "GaiaDR3", "Ctl"):
        assert _first_rows(first, name) == _first_rows(second, name)
    assert _first_rows(first, "Tic") != _first_rows(other, "Tic")


def test_sky_helpers_match_astropy():
    rng = np.random.default_rng(5)
    ra, dec = rng.uniform(0, 360, 500), np.rad2deg(np.arcsin(rng.uniform(-1, 1, 500)))
    coords = SkyCoord(ra * u.deg, dec * u.deg)
    lon, lat = galactic(ra, dec)
    assert np.allclose(coords.galactic.b.deg, lat, atol=1e-3)
    assert np.allclose(coords.galactic.l.deg, lon, atol=2e-3)
    eclip = coords.barycentricmeanecliptic
    lon, lat = ecliptic(ra, dec)
    assert np.allclose(eclip.lat.deg, lat, atol=1e-3)
    # Gaia DR3 4472832130942575872 (Barnard's star) lies in level-12 pixel 130176548.
    assert healpix_nested(np.array([269.4520770]), np.array([4.6933650]), 12)[0] == 130176548
