"""
Every catalog astroquery.mast reaches, answered by the local MAST to astroquery itself.

astroquery (unchanged) is pointed at the local MAST as in `test_astroquery_compat`; each
cone must give the rows the service gives over plain HTTP, and the answers recorded from
the real MAST (hsc, matchid, spectra, dd, panstarrs) must match the local ones in keys,
field names, types and order.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord

from mastq.emulator import point_astroquery
from tests.emulator.test_astroquery_compat import direct

M101 = SkyCoord(210.802429, 54.34875, unit="deg")
DATA = Path(__file__).parent.parent / "data"
OWN_DATA = Path(__file__).parent / "data"
CONE = {"ra": M101.ra.deg, "dec": M101.dec.deg, "radius": 0.1}
# catalog arguments of astroquery -> (service, extra params, id column)
CONES = {
    "hsc3": ({"catalog": "Hsc"}, "Mast.Hsc.Db.v3", {"nr": 50000, "ni": 1, "magtype": 1}, "MatchID"),
    "hsc2": (
        {"catalog": "Hsc", "version": 2},
        "Mast.Hsc.Db.v2",
        {"nr": 50000, "ni": 1, "magtype": 1},
        "MatchID",
    ),
    "galex": ({"catalog": "Galex"}, "Mast.Galex.Catalog", {"maxrecords": 50000}, "objID"),
    "gaia1": ({"catalog": "Gaia", "version": 1}, "Mast.Catalogs.GaiaDR1.Cone", {}, "source_id"),
    "gaia2": ({"catalog": "Gaia"}, "Mast.Catalogs.GaiaDR2.Cone", {}, "source_id"),
    "gaia3": ({"catalog": "GaiaDR3"}, "Mast.Catalogs.GaiaDR3.Cone", {}, "source_id"),
    "dd": (
        {"catalog": "DiskDetective", "radius": 3 * u.deg},
        "Mast.Catalogs.DiskDetective.Cone",
        {"radius": 3.0},
        "designation",
    ),
    "plato": ({"catalog": "Plato"}, "Mast.Catalogs.Plato.Cone", {}, "PICidDR1"),
    "tic": ({"catalog": "Tic"}, "Mast.Catalogs.Tic.Cone", {}, "ID"),
    "ctl": ({"catalog": "Ctl"}, "Mast.Catalogs.Ctl.Cone", {}, "ID"),
}


@pytest.fixture(scope="module")
def catalogs(mast_emulator):
    from astroquery.mast import CatalogsClass, conf

    with conf.set_temp("catalogs_server", mast_emulator):
        yield point_astroquery(CatalogsClass(), mast_emulator)


def _fields(document):
    return [(f["name"], f["type"]) for f in document["fields"]]


def _recording(name):
    return json.loads(((OWN_DATA if name == "panstarrs.json" else DATA) / name).read_text())


@pytest.mark.parametrize("name", sorted(CONES))
def test_cone_gives_the_service_rows(catalogs, mast_emulator, name):
    arguments, service, extra, id_column = CONES[name]
    arguments = {"radius": 0.1 * u.deg, **arguments}
    table = catalogs.query_region(M101, **arguments)
    answer = direct(mast_emulator, service, {**CONE, **extra})
    assert answer["status"] == "COMPLETE" and len(table) == len(answer["data"]) > 0
    assert [str(x) for x in table[id_column]] == [str(r[id_column]) for r in answer["data"]]
    served = [f for f, _ in _fields(answer) if f != "_selected_"]
    assert table.colnames == served


@pytest.mark.parametrize(
    "service, recording",
    [("Mast.Hsc.Db.v3", "hsc.json"), ("Mast.Catalogs.Filtered.DiskDetective.Position", "dd.json")],
)
def test_answers_have_the_recorded_shape(mast_emulator, service, recording):
    params = {**CONE, "radius": 3.0, "nr": 10, "ni": 1, "magtype": 1, "filters": []}
    if "DiskDetective" in service:
        params = {**CONE, "radius": 3.0, "columns": "*", "filters": []}
    answer = direct(mast_emulator, service, params)
    recorded = _recording(recording)
    assert set(answer) == set(recorded)
    assert _fields(answer) == _fields(recorded)
    assert set(answer["data"][0]) == set(recorded["data"][0])


def test_hsc_nr_caps_the_rows(mast_emulator):
    answer = direct(mast_emulator, "Mast.Hsc.Db.v3", {**CONE, "nr": 3, "ni": 1, "magtype": 1})
    assert len(answer["data"]) == 3
    distances = [row["Distance"] for row in answer["data"]]
    assert distances == sorted(distances) and distances[-1] <= 6.0  # arcmin, within 0.1 deg
    auto = direct(mast_emulator, "Mast.Hsc.Db.v3", {**CONE, "nr": 3, "ni": 1, "magtype": 2})
    aper, auto = answer["data"][0]["A_F814W"], auto["data"][0]["A_F814W"]
    assert aper is None or np.isclose(aper - auto, 0.2)
    bad = direct(mast_emulator, "Mast.Hsc.Db.v3", {**CONE, "nr": "many"})
    assert bad["status"] == "ERROR" and "'nr'" in bad["msg"]


def test_hsc_matches_and_spectra(catalogs, mast_emulator):
    sources = catalogs.query_region(M101, radius=0.1 * u.deg, catalog="Hsc")
    source = sources[int(np.argmax(sources["NumImages"]))]
    matches = catalogs.query_hsc_matchid(source)
    assert len(matches) == source["NumImages"] and set(matches["MatchID"]) == {source["MatchID"]}
    recorded = _recording("matchid.json")
    answer = direct(mast_emulator, "Mast.HscMatches.Db.v3", {"input": str(source["MatchID"])})
    assert _fields(answer) == _fields(recorded) and set(answer) == set(recorded)
    spectra = catalogs.get_hsc_spectra()
    answer = direct(mast_emulator, "Mast.HscSpectra.Db.All", {})
    assert _fields(answer) == _fields(_recording("spectra.json"))
    assert len(spectra) == len(answer["data"]) > 0
    assert all(isinstance(row["MatchID"], str) for row in answer["data"])


@pytest.mark.parametrize(
    "catalog, criteria, check",
    [
        ("Tic", {"Tmag": [0, 12]}, lambda t: np.all(t["Tmag"] <= 12)),
        ("Ctl", {"Tmag": [0, 12]}, lambda t: np.all(t["Tmag"] <= 12)),
        ("DiskDetective", {"w1mpro": [0, 14]}, lambda t: np.all(t["w1mpro"] <= 14)),
    ],
)
def test_criteria_queries(catalogs, catalog, criteria, check):
    table = catalogs.query_criteria(catalog=catalog, coordinates=M101, radius=3 * u.deg, **criteria)
    assert len(table) > 0 and check(table)
    everywhere = catalogs.query_criteria(catalog=catalog, **criteria)
    assert len(everywhere) >= len(table)


def test_panstarrs_cone_criteria_and_shape(catalogs, mast_emulator):
    table = catalogs.query_region(
        M101,
        radius=0.1 * u.deg,
        catalog="Panstarrs",
        columns=["objName", "objID", "nDetections", "rMeanPSFMag"],
        nDetections=[("gte", 5)],
        sort_by=[("desc", "nDetections")],
    )
    assert len(table) > 0 and table.colnames == ["objName", "objID", "nDetections", "rMeanPSFMag"]
    assert np.all(table["nDetections"] >= 5)
    assert list(table["nDetections"]) == sorted(table["nDetections"], reverse=True)
    dr1 = catalogs.query_criteria(
        catalog="Panstarrs",
        coordinates=M101,
        radius=0.1 * u.deg,
        data_release="dr1",
        table="mean",
        nDetections=[("gt", 20)],
    )
    assert len(dr1) > 0 and np.all(dr1["nDetections"] > 20)
    with pytest.raises(Exception, match="nDetectionz"):
        catalogs.query_region(M101, catalog="Panstarrs", nDetectionz=5)
    recorded = _recording("panstarrs.json")
    answer = requests.get(
        f"{mast_emulator}/api/v0.1/panstarrs/dr2/mean.json",
        params={
            **CONE,
            "columns": ["objname", "objID", "lambda", "beta", "iMeanApMag", "surveyID"],
        },
        timeout=30,
    ).json()
    assert list(answer) == list(recorded)
    assert [(c["name"], c["type"]) for c in answer["info"]] == [
        (c["name"], c["type"]) for c in recorded["info"]
    ]
    assert [type(v) for v in answer["data"][0]] == [type(v) for v in recorded["data"][0]]


def test_panstarrs_tables_and_errors(mast_emulator):
    base = f"{mast_emulator}/api/v0.1/panstarrs"
    for table in ("mean", "stack", "detection"):
        columns = requests.get(f"{base}/dr2/{table}/metadata.json", timeout=30).json()
        answer = requests.post(
            f"{base}/dr2/{table}.json", json={**CONE, "pagesize": 5}, timeout=30
        ).json()
        assert [c["name"] for c in answer["info"]] == [c["name"] for c in columns]
        assert 0 < len(answer["data"]) <= 5
    bad = requests.get(f"{base}/dr2/mean.json", params={"raMean.between": 3}, timeout=30)
    assert bad.status_code == 400 and "between" in bad.json()["detail"]
    assert requests.get(f"{base}/dr9/mean/metadata.json", timeout=30).status_code == 404


class _ToLocalMast(requests.adapters.HTTPAdapter):
    """Send requests for a fixed https host (the HLA) to the local MAST, over real HTTP."""

    def __init__(self, url):
        super().__init__()
        self._url = url

    def send(self, request, **kwargs):
        request.url = self._url + request.path_url
        return super().send(request, **kwargs)


def test_download_hsc_spectra(catalogs, mast_emulator, tmp_path):
    from astropy.io import fits

    spectra = catalogs.get_hsc_spectra()
    chosen = [spectra[int(np.argmax(spectra["SpectrumType"] == kind))] for kind in (1, 2)]
    assert [row["SpectrumType"] for row in chosen] == [1, 2]  # both HLA paths
    catalogs._session.mount("https://hla.stsci.edu/", _ToLocalMast(mast_emulator))
    try:
        manifest = catalogs.download_hsc_spectra(chosen, download_dir=str(tmp_path))
    finally:
        catalogs._session.adapters.pop("https://hla.stsci.edu/")
    assert list(manifest["Status"]) == ["COMPLETE", "COMPLETE"], list(manifest["Message"])
    for row, path in zip(chosen, manifest["Local Path"], strict=True):
        with fits.open(path) as hdus:
            assert hdus[0].header["DATASET"] == row["DatasetName"]
            assert len(hdus["SPECTRUM"].data["FLUX"]) == 512
    missing = requests.get(
        f"{mast_emulator}/cgi-bin/getdata.cgi",
        params={"config": "ops", "dataset": "NOPE"},
        timeout=30,
    )
    assert missing.status_code == 404


def test_catalogs_agree_on_positions(mast_emulator):
    gaia = direct(mast_emulator, "Mast.Catalogs.GaiaDR3.Cone", CONE)["data"]
    by_id = {str(row["source_id"]): (row["ra"], row["dec"]) for row in gaia}
    plato = direct(mast_emulator, "Mast.Catalogs.Plato.Cone", {**CONE, "radius": 1.0})["data"]
    tic = direct(mast_emulator, "Mast.Catalogs.Tic.Cone", CONE)["data"]
    pairs = [
        (by_id[str(row["sourceId"])], (row["ra"], row["dec"]))
        for row in plato
        if str(row["sourceId"]) in by_id
    ]
    pairs += [
        (by_id[str(row["GAIA"])], (row["ra"], row["dec"]))
        for row in tic
        if str(row["GAIA"]) in by_id
    ]
    assert len(pairs) > 10
    assert np.allclose([p[0] for p in pairs], [p[1] for p in pairs], atol=1e-6)
