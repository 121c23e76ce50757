"""The archive-side services of the local MAST against the real MAST recordings."""

import json
from pathlib import Path

import numpy as np
import pytest
import requests
from astropy.coordinates import SkyCoord

from mastq.emulator.caom.archive import Archive, exact_rows_filter
from mastq.emulator.model import DocumentResult, ServiceError
from mastq.emulator.services import run_service
from mastq.emulator.services.columnsconfig import columns_config

DATA = Path(__file__).parents[1] / "data"


def recorded_fields(name):
    with open(DATA / name) as handle:
        return [(f["name"], f["type"]) for f in json.load(handle)["fields"]]


@pytest.fixture(scope="module")
def archive():
    return Archive(seed=0, scale=0.3, catalog_scale=0.05)


def fields_of(result):
    return [(f.name, f.type) for f in result.fields]


def rows(result):
    return result.make_chunk(0, result.nrows)


M101 = {"ra": 210.802429, "dec": 54.34875, "radius": 0.3}


def words(text):
    return text.split()


# Today's MAST (mast-reference/CURRENT-FIELDS.md), newer than the recordings in tests/data.
TODAY_CAOM = words(
    "intentType obs_collection provenance_name instrument_name project filters "
    "wavelength_region target_name target_classification obs_id s_ra s_dec dataproduct_type "
    "proposal_pi calib_level t_min t_max t_exptime em_min em_max obs_title t_obs_release "
    "proposal_id proposal_type sequence_number s_region jpegURL dataURL dataRights mtFlag "
    "srcDen obsid objID"
)
TODAY_PRODUCTS = words(
    "obsID obs_collection dataproduct_type obs_id description type dataURI productType "
    "productGroupDescription productSubGroupDescription productDocumentationURL project "
    "prvversion proposal_id productFilename size parent_obsid dataRights calib_level "
    "filters"
)
NEW_TYPES = {
    "intentType": "string",
    "provenance_name": "string",
    "proposal_type": "string",
    "sequence_number": "int",
    "dataRights": "string",
    "mtFlag": "boolean",
    "srcDen": "float",
    "proposal_id": "string",
    "parent_obsid": "string",
    "calib_level": "int",
    "filters": "string",
}


def check_against_today_and_recording(fields, recording):
    """Names as today's MAST; each recorded field still there with its recorded type."""
    declared = dict(fields)
    for name, kind in recorded_fields(recording):
        assert declared.get(name) == kind, name
    for name in set(declared) - {name for name, _ in recorded_fields(recording)}:
        assert declared[name] == NEW_TYPES[name], name


@pytest.mark.parametrize(
    "service, params, recording, expected",
    [
        ("Mast.Caom.Cone", M101, "caom.json", TODAY_CAOM + ["distance", "_selected_"]),
        ("Mast.Caom.Filtered", {"columns": "*", "filters": []}, "advSearch.json", None),
        (
            "Mast.Caom.Filtered.Position",
            {"columns": "*", "filters": [], "position": "210.802429, 54.34875, 0.3"},
            "advSearchPos.json",
            None,
        ),
    ],
)
def test_fields_are_todays_with_the_recorded_types(archive, service, params, recording, expected):
    result = run_service(service, params, archive)
    names = [name for name, _ in fields_of(result)]
    if expected is None:  # Filtered: today's 33 in the service's own printed order
        tail = ["objID1", "distance"] if "position" in params else []
        assert names[:3] == ["dataproduct_type", "calib_level", "obs_collection"]
        assert names[len(names) - len(tail) - 3 :] == ["intentType", "obsid", "objID"] + tail
        assert sorted(names[:33]) == sorted(TODAY_CAOM) and len(names) == 33 + len(tail)
    else:
        assert names == expected
    check_against_today_and_recording(fields_of(result), recording)
    assert result.nrows > 0
    chunk = result.make_chunk(0, min(result.nrows, 50))
    assert list(chunk) == names


def test_count_fields_equal_recording(archive):
    result = run_service("Mast.Caom.Filtered", {"columns": "COUNT_BIG(*)", "filters": []}, archive)
    assert fields_of(result) == recorded_fields("countsResp.json")


@pytest.mark.parametrize(
    "service, params, recording",
    [
        ("Mast.Caom.Cone", M101, "caom.json"),
        (
            "Mast.Caom.Filtered.Position",
            {"columns": "*", "filters": [], "position": "210.802429, 54.34875, 0.3"},
            "advSearchPos.json",
        ),
        ("Mast.Caom.Products", None, "products.json"),
    ],
)
def test_json_answer_has_the_shape_of_the_recording(mast_emulator, service, params, recording):
    with open(DATA / recording) as handle:
        recorded = json.load(handle)

    def invoke(service, params):
        body = {
            "service": service,
            "params": params,
            "format": "json",
            "pagesize": 50000,
            "page": 1,
        }
        return requests.post(
            mast_emulator + "/api/v0/invoke", data={"request": json.dumps(body)}, timeout=60
        ).json()

    if params is None:  # products of the first observations of a cone
        params = {"obsid": [row["obsid"] for row in invoke("Mast.Caom.Cone", M101)["data"][:4]]}
    doc = invoke(service, params)
    assert set(doc) == set(recorded) and doc["status"] == "COMPLETE"
    assert list(doc["paging"]) == list(recorded["paging"]) and doc["data"]
    names = [f["name"] for f in doc["fields"]]
    assert all(list(row) == names for row in doc["data"])
    for name in (f["name"] for f in recorded["fields"]):  # JSON value types as recorded
        sent = {type(row[name]) for row in doc["data"]} - {type(None)}
        seen = {type(row[name]) for row in recorded["data"]} - {type(None)}
        assert (
            not seen or not sent or sent <= seen | ({int, float} if seen & {int, float} else set())
        ), name
    ids = [
        row[name]
        for row in doc["data"]
        for name in ("obsid", "objID", "obsID", "parent_obsid")
        if name in row
    ]
    assert ids and all(type(value) is int for value in ids)  # typed string, sent as numbers


def test_cone_rows_within_radius_sorted_with_true_distance(archive):
    result = run_service("Mast.Caom.Cone", M101, archive)
    chunk = rows(result)
    centre = SkyCoord(M101["ra"], M101["dec"], unit="deg")
    sep = SkyCoord(chunk["s_ra"], chunk["s_dec"], unit="deg").separation(centre).arcsec
    np.testing.assert_allclose(chunk["distance"], sep, atol=1e-5)
    assert np.all(sep <= 0.3 * 3600 + 1e-6)
    assert np.all(np.diff(chunk["distance"]) >= 0)
    assert np.ma.getmaskarray(chunk["_selected_"]).all()
    assert "M101" in set(np.ma.compressed(chunk["target_name"]).tolist())
    assert chunk["obsid"].dtype == np.int64 and chunk["objID"].dtype == np.int64


def test_filters_and_or_range_freetext(archive):
    flt = [
        {"paramName": "obs_collection", "values": ["HST", "JWST"], "separator": ";"},
        {"paramName": "t_exptime", "values": [{"min": 500, "max": 2000}]},
        {"paramName": "instrument_name", "values": [], "freeText": "%CAM%"},
    ]
    chunk = rows(run_service("Mast.Caom.Filtered", {"columns": "*", "filters": flt}, archive))
    assert len(chunk["obs_id"]) > 0
    assert set(chunk["obs_collection"].tolist()) == {"JWST"}
    assert np.all((chunk["t_exptime"] >= 500) & (chunk["t_exptime"] <= 2000))
    assert all("CAM" in s for s in chunk["instrument_name"].tolist())


def test_separator_matches_parts(archive):
    flt = [{"paramName": "target_classification", "values": ["EXOPLANET HOST"]}]
    chunk = rows(
        run_service(
            "Mast.Caom.Filtered", {"columns": "target_classification", "filters": flt}, archive
        )
    )
    assert len(chunk["target_classification"]) > 0
    assert all("EXOPLANET HOST" in s.split(";") for s in chunk["target_classification"])


def test_count_equals_rows(archive):
    flt = [
        {"paramName": "s_dec", "values": [{"min": 30}]},
        {"paramName": "dataproduct_type", "values": ["image"]},
    ]
    count = run_service("Mast.Caom.Filtered", {"columns": "COUNT_BIG(*)", "filters": flt}, archive)
    result = run_service("Mast.Caom.Filtered", {"columns": "obsid", "filters": flt}, archive)
    assert rows(count)["Column1"].tolist() == [result.nrows]
    position = {"columns": "COUNT_BIG(*)", "filters": flt, "position": "210.8, 54.35, 1"}
    pos_rows = dict(position, columns="*")
    assert rows(run_service("Mast.Caom.Filtered.Position", position, archive))[
        "Column1"
    ].tolist() == [run_service("Mast.Caom.Filtered.Position", pos_rows, archive).nrows]


def test_exact_rows_filter(archive):
    result = run_service(
        "Mast.Caom.Filtered", {"columns": "*", "filters": exact_rows_filter(1234)}, archive
    )
    assert result.nrows == 1234
    assert archive.synthetic_rows(77).nrows == 77


def test_products_belong_to_observations(archive):
    cone = rows(run_service("Mast.Caom.Cone", M101, archive))
    ids = cone["obsid"][:5].tolist()
    result = run_service("Mast.Caom.Products", {"obsid": ",".join(map(str, ids))}, archive)
    assert [name for name, _ in fields_of(result)] == TODAY_PRODUCTS + ["_selected_"]
    check_against_today_and_recording(fields_of(result), "products.json")
    chunk = rows(result)
    assert list(dict.fromkeys(chunk["parent_obsid"].tolist())) == ids
    own = chunk["obsID"] == chunk["parent_obsid"]
    by_obsid = dict(zip(cone["obsid"].tolist(), cone["obs_id"].tolist(), strict=True))
    for obsid, obs_id, uri, name in zip(
        chunk["obsID"][own].tolist(),
        chunk["obs_id"][own].tolist(),
        chunk["dataURI"][own].tolist(),
        chunk["productFilename"][own].tolist(),
        strict=True,
    ):
        assert by_obsid[obsid] == obs_id
        assert uri.endswith("/product/" + name) and name.startswith(obs_id.lower() + "_")
    assert 2 * len(ids) <= result.nrows <= 7 * len(ids)
    assert set(chunk["calib_level"].tolist()) <= {1, 2, 3}


def association_members(archive, count=2):
    """obsids of ``count`` observations of one HST association, the owner not among them."""
    from mastq.emulator.caom.products import association_owner

    obs = archive.observations
    owners = association_owner(obs, np.arange(obs.nrows))
    for owner in np.unique(owners[owners >= 0]):
        members = np.flatnonzero(owners == owner)
        members = members[members != owner]
        if len(members) >= count:
            return obs.obsid(members[:count]).tolist(), int(obs.obsid(np.array([owner]))[0])
    raise AssertionError("no association with enough members")


def test_shared_products_are_listed_under_each_member(archive):
    members, owner = association_members(archive)
    chunk = rows(run_service("Mast.Caom.Products", {"obsid": members}, archive))
    shared = chunk["obsID"] != chunk["parent_obsid"]
    assert sorted(chunk["parent_obsid"][shared].tolist()) == sorted(members)
    assert set(chunk["obsID"][shared].tolist()) == {owner}
    assert len(set(chunk["dataURI"][shared].tolist())) == 1
    uri = chunk["dataURI"][shared][0]
    assert len(archive.product_file(uri).content) == chunk["size"][shared][0]
    member_row = int(archive.observations.row_of_obsid(np.array(members[:1]))[0])
    member_id = str(rows(archive.synthetic_rows(member_row + 1))["obs_id"][member_row])
    assert archive.product_file(f"mast:HST/product/{member_id.lower()}_asn.fits") is None
    alone = rows(run_service("Mast.Caom.Products", {"obsid": owner}, archive))
    assert uri in alone["dataURI"].tolist()
    assert set(alone["obsID"].tolist()) == set(alone["parent_obsid"].tolist()) == {owner}


def test_data_rights_agree_with_release_dates_and_files(archive):
    obs = archive.observations
    chunk = rows(archive.synthetic_rows(obs.nrows))
    rights = chunk["dataRights"]
    public = rights == "PUBLIC"
    assert set(rights.tolist()) == {"PUBLIC", "EXCLUSIVE_ACCESS", "RESTRICTED"}
    assert np.all(chunk["t_obs_release"][~public] > 61000)
    assert np.array_equal(~public, obs.proprietary)
    picked = np.concatenate(
        [
            np.flatnonzero(v)[:3]
            for v in (public, rights == "EXCLUSIVE_ACCESS", rights == "RESTRICTED")
        ]
    )
    products = rows(
        run_service("Mast.Caom.Products", {"obsid": chunk["obsid"][picked].tolist()}, archive)
    )
    for uri, right in zip(
        products["dataURI"].tolist(), products["dataRights"].tolist(), strict=True
    ):
        assert archive.product_file(uri).proprietary == (right != "PUBLIC"), uri


def test_todays_columns_are_plausible_per_mission(archive):
    chunk = rows(archive.synthetic_rows(archive.nrows))
    mission = chunk["obs_collection"]
    assert set(chunk["intentType"].tolist()) == {"science", "calibration"}
    assert set(chunk["intentType"][mission == "TESS"].tolist()) == {"science"}
    provenance = chunk["provenance_name"]
    assert set(provenance[mission == "TESS"].tolist()) == {"SPOC", "TESS-SPOC"}
    assert set(provenance[mission == "JWST"].tolist()) == {"CALJWST"}
    assert {"CALSTIS", "CALWF3"} <= set(provenance[mission == "HST"].tolist())
    assert provenance[mission == "GALEX"].mask.all()
    kinds = chunk["proposal_type"]
    assert {"GO", "GTO", "DD"} <= set(np.ma.compressed(kinds[mission == "HST"]).tolist())
    calibration = chunk["intentType"] == "calibration"
    assert set(np.ma.compressed(kinds[calibration]).tolist()) == {"CAL"}
    sequence = chunk["sequence_number"]
    assert sequence.dtype.kind == "i" and sequence[mission == "HST"].mask.all()
    tess = mission == "TESS"
    assert not sequence[tess].mask.any() and sequence[tess].min() >= 1
    sectors = [int(obs_id.split("-s")[1][:4]) for obs_id in chunk["obs_id"][tess].tolist()]
    assert sectors == sequence[tess].tolist()
    assert chunk["mtFlag"].dtype == bool and 0 < chunk["mtFlag"].sum() < len(mission) * 0.05
    density = chunk["srcDen"]
    assert density.mask[mission == "TESS"].all() and not density.mask[mission == "PS1"].any()
    assert np.all(density.compressed() > 0)


def test_every_listed_column_is_filterable(archive):
    config = columns_config("Mast.Caom.Cone", archive)
    listed = [
        name for name, entry in config.items() if name != "_selected_" and not entry.get("remove")
    ]
    sample = rows(
        run_service(
            "Mast.Caom.Filtered.Position",
            {"columns": "*", "filters": [], "position": "210.802429, 54.34875, 0.3"},
            archive,
        )
    )
    for name in listed:
        values = np.ma.compressed(np.ma.asarray(sample[name]))
        value = values[len(values) // 2].item()
        if isinstance(value, str):
            wanted = {"values": [value.split(";")[0]]}
        elif isinstance(value, bool):
            wanted = {"values": [str(value).lower()]}
        else:
            wanted = {"values": [{"min": value, "max": value}]}
        flt = [{"paramName": name, **wanted}]
        service = "Mast.Caom.Filtered.Position" if name == "distance" else "Mast.Caom.Filtered"
        params = {"columns": "*", "filters": flt}
        if name == "distance":
            params["position"] = "210.802429, 54.34875, 0.3"
        found = run_service(service, params, archive)
        assert 0 < found.nrows < archive.nrows or name == "intentType", name
    with pytest.raises(ServiceError, match="distance.*position"):
        run_service(
            "Mast.Caom.Filtered",
            {
                "columns": "*",
                "filters": [{"paramName": "distance", "values": [{"min": 0, "max": 10}]}],
            },
            archive,
        )


def test_science_public_criteria(archive):
    flt = [
        {"paramName": "intentType", "values": ["science"]},
        {"paramName": "dataRights", "values": ["PUBLIC"]},
        {"paramName": "mtFlag", "values": ["false"]},
    ]
    chunk = rows(run_service("Mast.Caom.Filtered", {"columns": "*", "filters": flt}, archive))
    assert 0 < len(chunk["obsid"]) < archive.nrows
    assert set(chunk["intentType"].tolist()) == {"science"}
    assert set(chunk["dataRights"].tolist()) == {"PUBLIC"} and not chunk["mtFlag"].any()


def test_name_lookup(archive):
    result = run_service("Mast.Name.Lookup", {"input": "m 101", "format": "json"}, archive)
    assert isinstance(result, DocumentResult)
    found = result.body["resolvedCoordinate"]
    assert [sorted(found[0])] == [
        sorted(
            [
                "searchString",
                "resolver",
                "cached",
                "resolverTime",
                "searchRadius",
                "canonicalName",
                "ra",
                "decl",
                "objectType",
            ]
        )
    ]
    assert found[0]["canonicalName"] == "M 101" and found[0]["searchString"] == "m 101"
    empty = run_service("Mast.Name.Lookup", {"input": "no such thing 42"}, archive)
    assert empty.body == {"resolvedCoordinate": [], "status": ""}


def test_caom_all_histograms(archive):
    result = run_service("Mast.Caom.All", {}, archive)
    assert result.nrows == 0
    with open(DATA / "missions.extjs") as handle:
        recorded = json.load(handle)["data"]["Tables"][0]["Fields"]
    assert set((f["name"], f["type"]) for f in recorded) <= set(fields_of(result))
    assert [name for name, _ in fields_of(result)] == [
        name for name in TODAY_CAOM + ["_selected_"] if name != "obs_title"
    ]
    rights = result.column_properties["dataRights"]["histObj"]
    assert sum(e["count"] for e in rights["hist"]) == archive.nrows
    hist = result.column_properties["obs_collection"]["histObj"]
    assert sum(e["count"] for e in hist["hist"]) == archive.nrows
    assert hist["HST"]["key"] == "HST"
    ra = result.column_properties["s_ra"]["histObj"]
    assert ra["type"] == "numeric" and sum(e["count"] for e in ra["hist"]) == archive.nrows


def test_missions_list(archive):
    chunk = rows(run_service("Mast.Missions.List", {}, archive))
    assert {"HST", "JWST", "TESS", "GALEX", "SPITZER_SHA"} <= set(chunk["distinctValue"])


@pytest.mark.parametrize(
    "service, params, word",
    [
        ("Mast.No.Such", {}, "Mast.No.Such"),
        ("Mast.Caom.Cone", {"ra": 1, "dec": 2}, "radius"),
        ("Mast.Caom.Cone", {"ra": 1, "dec": "north", "radius": 1}, "dec"),
        ("Mast.Caom.Filtered", {"filters": []}, "columns"),
        ("Mast.Caom.Filtered", {"columns": "*"}, "filters"),
        (
            "Mast.Caom.Filtered",
            {"columns": "*", "filters": [{"paramName": "bogus", "values": [1]}]},
            "bogus",
        ),
        (
            "Mast.Caom.Filtered",
            {"columns": "*", "filters": [{"values": ["HST"]}]},
            "missing 'paramName'",
        ),
        ("Mast.Caom.Cone", {"ra": 1, "dec": 2, "radius": -0.5}, "radius"),
        ("Mast.Caom.Cone", {"ra": 1, "dec": -90.5, "radius": 1}, "dec"),
        ("Mast.Caom.Filtered.Position", {"columns": "*", "filters": []}, "position"),
        ("Mast.Caom.Products", {}, "obsid"),
        ("Mast.Caom.Products", {"obsid": "12,abc"}, "obsid"),
        ("Mast.Name.Lookup", {}, "input"),
    ],
)
def test_errors_name_the_bad_param(archive, service, params, word):
    with pytest.raises(ServiceError, match=word):
        run_service(service, params, archive)


def test_catalog_services_are_delegated(archive):
    result = run_service("Mast.Catalogs.Tic.Cone", M101, archive)
    assert result.nrows >= 0 and any(f.name == "ID" for f in result.fields)


def test_columns_config_covers_caom_fields(archive):
    config = columns_config("Mast.Caom.Cone", archive)
    with open(DATA / "columnsconfig.json") as handle:
        recorded = json.load(handle)
    assert set(recorded) <= set(config)
    served = TODAY_CAOM + ["distance"]
    assert [name for name in config if name in served] == served
    for name in served + ["objID1"]:  # described as the recording describes its columns
        entry = config[name]
        assert entry.get("vot.datatype") and entry.get("vot.ucd"), name
        assert entry.get("vot.description"), name
        assert {
            key: entry[key]
            for key in recorded.get(name, {})
            if key not in ("vot.description", "example")
        } == {
            key: value
            for key, value in recorded.get(name, {}).items()
            if key not in ("vot.description", "example")
        }, name
    assert config["mtFlag"]["vot.datatype"] == "boolean"
    assert config["sequence_number"]["vot.datatype"] == "int"
    assert config["s_ra"]["vot.unit"] == "deg" and config["distance"]["vot.unit"] == "arcsec"
    assert columns_config("mast.caom.filtered", archive) == config
    products = columns_config("Mast.Caom.Products", archive)
    assert list(products) == TODAY_PRODUCTS + ["_selected_"]
    assert all(products[name].get("vot.description") for name in TODAY_PRODUCTS)
    assert columns_config("Mast.Catalogs.Tess.Cone", archive) is not None
    assert columns_config("Mast.Nothing", archive) is None


def test_download_answers_follow_each_products_data_rights(mast_emulator):
    from mastq.emulator.config import DEFAULT_TOKEN

    def invoke(service, params):
        body = {
            "service": service,
            "params": params,
            "format": "json",
            "pagesize": 50000,
            "page": 1,
        }
        return requests.post(
            mast_emulator + "/api/v0/invoke", data={"request": json.dumps(body)}, timeout=60
        ).json()["data"]

    observations = invoke(
        "Mast.Caom.Filtered",
        {
            "columns": "obsid,dataRights",
            "filters": [{"paramName": "obs_collection", "values": ["HST", "JWST"]}],
        },
    )
    picked = {}
    for row in observations:
        picked.setdefault(row["dataRights"], []).append(row["obsid"])
    assert set(picked) == {"PUBLIC", "EXCLUSIVE_ACCESS", "RESTRICTED"}
    ids = [obsid for rights in sorted(picked) for obsid in picked[rights][:2]]
    download = mast_emulator + "/api/v0.1/Download/file"
    for product in invoke("Mast.Caom.Products", {"obsid": ids}):
        anonymous = requests.get(download, params={"uri": product["dataURI"]}, timeout=30)
        if product["dataRights"] == "PUBLIC":
            assert anonymous.status_code == 200, product["dataURI"]
            assert len(anonymous.content) == product["size"]
        else:
            assert anonymous.status_code == 401, product["dataURI"]
            granted = requests.get(
                download,
                params={"uri": product["dataURI"]},
                timeout=30,
                cookies={"mast_token": DEFAULT_TOKEN},
            )
            assert granted.status_code == 200 and len(granted.content) == product["size"]


def test_json_rows_of_todays_column_kinds():
    import orjson

    from mastq.emulator.http.jsonrows import json_rows

    chunk = {
        "sequence_number": np.ma.masked_array(np.array([14, 0, -1, 7], ">i4"), mask=[0, 0, 1, 0]),
        "mtFlag": np.array([True, False, False, True]),
        "srcDen": np.ma.masked_invalid(np.array([5000.0, np.nan, 0.25, -0.0])),
        "f32": np.array([0.1, 2.0, np.nan, 1e-7], np.float32),
        "flag": np.ma.masked_array([True, False, True, False], mask=[0, 1, 0, 1]),
    }
    expected = [
        {"sequence_number": 14, "mtFlag": True, "srcDen": 5000, "f32": 0.1, "flag": True},
        {"sequence_number": 0, "mtFlag": False, "srcDen": None, "f32": 2, "flag": None},
        {"sequence_number": None, "mtFlag": False, "srcDen": 0.25, "f32": None, "flag": True},
        {"sequence_number": 7, "mtFlag": True, "srcDen": 0, "f32": 1e-7, "flag": None},
    ]
    rows = orjson.loads(b"[" + json_rows(chunk, list(chunk)) + b"]")
    assert [row["f32"] for row in rows] == [
        float(np.float32(0.1)),
        2,
        None,
        float(np.float32(1e-7)),
    ]
    for row, want in zip(rows, expected, strict=True):
        assert {k: v for k, v in row.items() if k != "f32"} == {
            k: v for k, v in want.items() if k != "f32"
        }
    assert b'"srcDen":5000,' in json_rows(chunk, list(chunk))
