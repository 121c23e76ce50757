"""The archive-side services of the local MAST against the real MAST recordings."""

import json
from pathlib import Path

import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from mastq.emulator.archive import Archive, exact_rows_filter
from mastq.emulator.columnsconfig import columns_config
from mastq.emulator.model import DocumentResult, ServiceError
from mastq.emulator.services import run_service

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


@pytest.mark.parametrize("service, params, recording", [
    ("Mast.Caom.Cone", M101, "caom.json"),
    ("Mast.Caom.Filtered", {"columns": "*", "filters": []}, "advSearch.json"),
    ("Mast.Caom.Filtered.Position", {"columns": "*", "filters": [],
                                     "position": "210.802429, 54.34875, 0.3"},
     "advSearchPos.json"),
    ("Mast.Caom.Filtered", {"columns": "COUNT_BIG(*)", "filters": []}, "countsResp.json"),
])
def test_fields_equal_recording(archive, service, params, recording):
    result = run_service(service, params, archive)
    assert fields_of(result) == recorded_fields(recording)
    assert result.nrows > 0
    chunk = result.make_chunk(0, min(result.nrows, 50))
    assert list(chunk) == [name for name, _ in recorded_fields(recording)]


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
    flt = [{"paramName": "obs_collection", "values": ["HST", "JWST"], "separator": ";"},
           {"paramName": "t_exptime", "values": [{"min": 500, "max": 2000}]},
           {"paramName": "instrument_name", "values": [], "freeText": "%CAM%"}]
    chunk = rows(run_service("Mast.Caom.Filtered", {"columns": "*", "filters": flt}, archive))
    assert len(chunk["obs_id"]) > 0
    assert set(chunk["obs_collection"].tolist()) == {"JWST"}
    assert np.all((chunk["t_exptime"] >= 500) & (chunk["t_exptime"] <= 2000))
    assert all("CAM" in s for s in chunk["instrument_name"].tolist())


def test_separator_matches_parts(archive):
    flt = [{"paramName": "target_classification", "values": ["EXOPLANET HOST"]}]
    chunk = rows(run_service("Mast.Caom.Filtered", {"columns": "target_classification",
                                                    "filters": flt}, archive))
    assert len(chunk["target_classification"]) > 0
    assert all("EXOPLANET HOST" in s.split(";") for s in chunk["target_classification"])


def test_count_equals_rows(archive):
    flt = [{"paramName": "s_dec", "values": [{"min": 30}]},
           {"paramName": "dataproduct_type", "values": ["image"]}]
    count = run_service("Mast.Caom.Filtered", {"columns": "COUNT_BIG(*)", "filters": flt},
                        archive)
    result = run_service("Mast.Caom.Filtered", {"columns": "obsid", "filters": flt}, archive)
    assert rows(count)["Column1"].tolist() == [result.nrows]
    position = {"columns": "COUNT_BIG(*)", "filters": flt, "position": "210.8, 54.35, 1"}
    pos_rows = dict(position, columns="*")
    assert rows(run_service("Mast.Caom.Filtered.Position", position, archive))[
        "Column1"].tolist() == [run_service("Mast.Caom.Filtered.Position", pos_rows,
                                            archive).nrows]


def test_exact_rows_filter(archive):
    result = run_service("Mast.Caom.Filtered", {"columns": "*",
                                                "filters": exact_rows_filter(1234)}, archive)
    assert result.nrows == 1234
    assert archive.synthetic_rows(77).nrows == 77


def test_products_belong_to_observations(archive):
    cone = rows(run_service("Mast.Caom.Cone", M101, archive))
    ids = cone["obsid"][:5].tolist()
    result = run_service("Mast.Caom.Products", {"obsid": ",".join(map(str, ids))}, archive)
    assert fields_of(result) == recorded_fields("products.json")
    chunk = rows(result)
    assert list(dict.fromkeys(chunk["obsID"].tolist())) == ids
    by_obsid = dict(zip(cone["obsid"].tolist(), cone["obs_id"].tolist(), strict=True))
    for obsid, obs_id, uri, name in zip(chunk["obsID"].tolist(), chunk["obs_id"].tolist(),
                                        chunk["dataURI"].tolist(),
                                        chunk["productFilename"].tolist(), strict=True):
        assert by_obsid[obsid] == obs_id
        assert uri.endswith("/product/" + name) and name.startswith(obs_id.lower() + "_")
    assert 2 * len(ids) <= result.nrows <= 6 * len(ids)


def test_name_lookup(archive):
    result = run_service("Mast.Name.Lookup", {"input": "m 101", "format": "json"}, archive)
    assert isinstance(result, DocumentResult)
    found = result.body["resolvedCoordinate"]
    assert [sorted(found[0])] == [sorted(["searchString", "resolver", "cached", "resolverTime",
                                          "searchRadius", "canonicalName", "ra", "decl",
                                          "objectType"])]
    assert found[0]["canonicalName"] == "M 101" and found[0]["searchString"] == "m 101"
    empty = run_service("Mast.Name.Lookup", {"input": "no such thing 42"}, archive)
    assert empty.body == {"resolvedCoordinate": [], "status": ""}


def test_caom_all_histograms(archive):
    result = run_service("Mast.Caom.All", {}, archive)
    assert result.nrows == 0
    with open(DATA / "missions.extjs") as handle:
        recorded = json.load(handle)["data"]["Tables"][0]["Fields"]
    assert fields_of(result) == [(f["name"], f["type"]) for f in recorded]
    hist = result.column_properties["obs_collection"]["histObj"]
    assert sum(e["count"] for e in hist["hist"]) == archive.nrows
    assert hist["HST"]["key"] == "HST"
    ra = result.column_properties["s_ra"]["histObj"]
    assert ra["type"] == "numeric" and sum(e["count"] for e in ra["hist"]) == archive.nrows


def test_missions_list(archive):
    chunk = rows(run_service("Mast.Missions.List", {}, archive))
    assert {"HST", "JWST", "TESS", "GALEX", "SPITZER_SHA"} <= set(chunk["distinctValue"])


@pytest.mark.parametrize("service, params, word", [
    ("Mast.No.Such", {}, "Mast.No.Such"),
    ("Mast.Caom.Cone", {"ra": 1, "dec": 2}, "radius"),
    ("Mast.Caom.Cone", {"ra": 1, "dec": "north", "radius": 1}, "dec"),
    ("Mast.Caom.Filtered", {"filters": []}, "columns"),
    ("Mast.Caom.Filtered", {"columns": "*"}, "filters"),
    ("Mast.Caom.Filtered", {"columns": "*", "filters": [{"paramName": "bogus",
                                                         "values": [1]}]}, "bogus"),
    ("Mast.Caom.Filtered", {"columns": "*", "filters": [{"values": ["HST"]}]},
     "missing 'paramName'"),
    ("Mast.Caom.Cone", {"ra": 1, "dec": 2, "radius": -0.5}, "radius"),
    ("Mast.Caom.Cone", {"ra": 1, "dec": -90.5, "radius": 1}, "dec"),
    ("Mast.Caom.Filtered.Position", {"columns": "*", "filters": []}, "position"),
    ("Mast.Caom.Products", {}, "obsid"),
    ("Mast.Caom.Products", {"obsid": "12,abc"}, "obsid"),
    ("Mast.Name.Lookup", {}, "input"),
])
def test_errors_name_the_bad_param(archive, service, params, word):
    with pytest.raises(ServiceError, match=word):
        run_service(service, params, archive)


def test_catalog_services_are_delegated(archive):
    result = run_service("Mast.Catalogs.Tic.Cone", M101, archive)
    assert result.nrows >= 0 and any(f.name == "ID" for f in result.fields)


def test_columns_config_covers_caom_fields(archive):
    config = columns_config("Mast.Caom.Cone", archive)
    names = {name for name, _ in recorded_fields("caom.json") + recorded_fields(
        "advSearchPos.json")}
    assert names <= set(config)
    assert columns_config("mast.caom.filtered", archive) == config
    products = columns_config("Mast.Caom.Products", archive)
    assert [name for name, _ in recorded_fields("products.json")] == list(products)
    assert columns_config("Mast.Catalogs.Tess.Cone", archive) is not None
    assert columns_config("Mast.Nothing", archive) is None
