"""The crossmatch services of the local MAST (``Mast.<Catalog>.Crossmatch``)."""

import numpy as np
import orjson
import pytest
import requests

from mastq.emulator.caom.archive import Archive
from mastq.emulator.model import ServiceError
from mastq.emulator.services import run_service
from mastq.emulator.services.crossmatch import CATALOG_CROSSMATCH
from mastq.emulator.services.sky import separation


@pytest.fixture(scope="module")
def archive():
    return Archive(seed=0, scale=0.3, catalog_scale=0.05)


def upload(ra, dec):
    return {
        "fields": [
            {"name": "name", "type": "string"},
            {"name": "ra", "type": "float"},
            {"name": "dec", "type": "float"},
        ],
        "data": [
            {"name": f"s{i}", "ra": r, "dec": d}
            for i, (r, d) in enumerate(zip(ra, dec, strict=True))
        ],
    }


def crossmatch(archive, service, data, radius):
    params = {"raColumn": "ra", "decColumn": "dec", "radius": radius, "data": data}
    result = run_service(service, params, archive)
    return result, result.make_chunk(0, result.nrows)


WITH_CONE = [
    "Mast.Caom.Crossmatch",
    *(
        name
        for name in CATALOG_CROSSMATCH
        if name not in ("Mast.Galex.Crossmatch", "Mast.Hsc.Crossmatch")
    ),
]


@pytest.mark.parametrize("service", WITH_CONE)
def test_every_match_is_the_cone_of_its_position(archive, service):
    cone = (
        "Mast.Caom.Cone"
        if service == "Mast.Caom.Crossmatch"
        else f"Mast.Catalogs.{CATALOG_CROSSMATCH[service]}.Cone"
    )
    probe = run_service(cone, {"ra": 210.8, "dec": 54.35, "radius": 5}, archive)
    near = probe.make_chunk(0, min(probe.nrows, 3))
    ra_name = "s_ra" if "Caom" in service else "ra"
    ra = list(near[ra_name]) + [0.5]
    dec = list(near["s_dec" if "Caom" in service else "dec"]) + [-89.9]
    result, rows = crossmatch(archive, service, upload(ra, dec), 0.01)
    names = [f.name for f in result.fields]
    assert names[:3] == ["name", "ra", "dec"] and names[-1] == "dstArcSec"
    for i, (r, d) in enumerate(zip(ra, dec, strict=True)):
        single = run_service(cone, {"ra": r, "dec": d, "radius": 0.01}, archive)
        mine = rows["name"] == f"s{i}"
        assert mine.sum() == single.nrows
        assert np.allclose(
            rows["dstArcSec"][mine],
            single.make_chunk(0, single.nrows)[
                single.fields[-1].name if "Caom" not in service else "distance"
            ],
        )
    assert list(rows["name"]) == sorted(rows["name"], key=lambda n: int(n[1:]))


@pytest.mark.parametrize("service", ["Mast.Galex.Crossmatch", "Mast.Hsc.Crossmatch"])
def test_matches_are_every_source_within_the_radius(archive, service):
    table = archive.catalogs.table(CATALOG_CROSSMATCH[service])
    ra, dec = table.ra[:3].tolist(), table.dec[:3].tolist()
    _, rows = crossmatch(archive, service, upload(ra, dec), 0.02)
    for i, (r, d) in enumerate(zip(ra, dec, strict=True)):
        expected = (
            np.sort(
                separation(table.ra, table.dec, r, d)[separation(table.ra, table.dec, r, d) <= 0.02]
            )
            * 3600
        )
        assert np.allclose(rows["dstArcSec"][rows["name"] == f"s{i}"], expected)


def test_catalog_columns_named_like_the_upload_are_prefixed(archive):
    _, rows = crossmatch(archive, "Mast.Tic.Crossmatch", upload([210.8], [54.35]), 1.0)
    assert "match_ra" in rows and "ID" in rows
    assert np.all(rows["ra"] == 210.8)
    assert np.all(rows["dstArcSec"] <= 3600.0)


@pytest.mark.parametrize(
    "params, words",
    [
        ({"raColumn": "ra", "decColumn": "dec", "radius": 0.01}, "'data'"),
        (
            {"raColumn": "RA", "decColumn": "dec", "radius": 0.01, "data": upload([1], [2])},
            "raColumn",
        ),
        ({"raColumn": "ra", "decColumn": "dec", "radius": -1, "data": upload([1], [2])}, "radius"),
        (
            {"raColumn": "ra", "decColumn": "dec", "radius": 0.1, "data": upload([1], [95])},
            "position",
        ),
    ],
)
def test_bad_crossmatch_input_is_named(archive, params, words):
    with pytest.raises(ServiceError, match=words):
        run_service("Mast.Tic.Crossmatch", params, archive)


def test_the_upload_rides_as_the_requests_data_over_http(mast_emulator):
    request = {
        "service": "Mast.Caom.Crossmatch",
        "format": "json",
        "pagesize": 5000,
        "page": 1,
        "params": {"raColumn": "ra", "decColumn": "dec", "radius": 0.05},
        "data": upload([210.8, 10.68], [54.35, 41.27]),
    }
    answer = requests.post(
        f"{mast_emulator}/api/v0/invoke",
        data={"request": orjson.dumps(request).decode()},
        timeout=30,
    )
    body = answer.json()
    assert body["status"] == "COMPLETE"
    assert {f["name"] for f in body["fields"]} >= {"name", "obsid", "dstArcSec"}
    assert {row["name"] for row in body["data"]} == {"s0", "s1"}
