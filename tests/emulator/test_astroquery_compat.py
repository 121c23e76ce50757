"""
astroquery.mast itself, unchanged, pointed at the local MAST.

astroquery freezes its URLs into class attributes at import (``PortalAPI.MAST_REQUEST_URL =
conf.server + ...``), so setting ``astroquery.mast.conf.server`` afterwards changes nothing.
What works: fresh ``ObservationsClass()`` / ``CatalogsClass()`` / ``MastClass()`` instances
whose two connection objects get the emulator's URLs as *instance* attributes (see
`mastq.emulator.point_astroquery`); the module-level singletons are left alone.
"""

import json
import os

import numpy as np
import pytest
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from mastq.emulator import point_astroquery
from tests.emulator.test_services import TODAY_CAOM as CAOM_COLUMNS
from tests.emulator.test_services import TODAY_PRODUCTS as PRODUCT_COLUMNS

M101 = SkyCoord(210.802429, 54.34875, unit="deg")


@pytest.fixture(scope="module")
def aq(mast_emulator):
    from astroquery.mast import CatalogsClass, MastClass, ObservationsClass

    class Clients:
        observations = point_astroquery(ObservationsClass(), mast_emulator)
        catalogs = point_astroquery(CatalogsClass(), mast_emulator)
        mast = point_astroquery(MastClass(), mast_emulator)

    return Clients


def direct(url, service, params):
    body = {"service": service, "params": params, "format": "json", "pagesize": 100000, "page": 1}
    return requests.post(
        url + "/api/v0/invoke", data={"request": json.dumps(body)}, timeout=60
    ).json()


def _separation_deg(table, ra="s_ra", dec="s_dec"):
    coords = SkyCoord(np.asarray(table[ra], float), np.asarray(table[dec], float), unit="deg")
    return coords.separation(M101).deg


def test_query_region_matches_the_cone_service(aq, mast_emulator):
    table = aq.observations.query_region(M101, radius=0.05 * u.deg)
    assert len(table) > 0
    assert np.all(_separation_deg(table) <= 0.05 + 1e-9)
    doc = direct(
        mast_emulator, "Mast.Caom.Cone", {"ra": M101.ra.deg, "dec": M101.dec.deg, "radius": 0.05}
    )
    assert sorted(int(x) for x in table["obsid"]) == sorted(r["obsid"] for r in doc["data"])


def test_query_criteria_and_count_agree(aq):
    table = aq.observations.query_criteria(
        coordinates=M101, radius=0.1 * u.deg, obs_collection=["HST"]
    )
    assert len(table) > 0 and set(table["obs_collection"]) == {"HST"}
    count = aq.observations.query_criteria_count(
        coordinates=M101, radius=0.1 * u.deg, obs_collection=["HST"]
    )
    assert int(count) == len(table)


def test_products_and_downloads(aq, tmp_path):
    observations = aq.observations.query_region(M101, radius=0.1 * u.deg)
    released = observations["t_obs_release"] < Time.now().mjd
    products = aq.observations.get_product_list(observations[released][:3])
    assert len(products) > 0
    assert set(products["parent_obsid"]) == set(observations[released][:3]["obsid"])
    manifest = aq.observations.download_products(
        products[:2], download_dir=str(tmp_path), verbose=False
    )
    assert list(manifest["Status"]) == ["COMPLETE", "COMPLETE"]
    for path in manifest["Local Path"]:
        assert str(path).startswith(str(tmp_path)) and os.path.getsize(path) > 0


def test_proprietary_download_is_reported_as_an_error(aq, tmp_path):
    observations = aq.observations.query_region(M101, radius=0.3 * u.deg)
    secret = observations[observations["t_obs_release"] > Time.now().mjd + 1]
    assert len(secret) > 0
    products = aq.observations.get_product_list(secret[:1])
    manifest = aq.observations.download_products(
        products[:1], download_dir=str(tmp_path), verbose=False
    )
    assert manifest["Status"][0] == "ERROR" and "401" in manifest["Message"][0]


def test_catalogs_tic_query_region(aq):
    table = aq.catalogs.query_region(M101, radius=0.1 * u.deg, catalog="Tic")
    assert len(table) > 0
    assert np.all(_separation_deg(table, "ra", "dec") <= 0.1 + 1e-9)
    assert table["ID"].dtype.kind in "iu" or all(str(x).isdigit() for x in table["ID"])


def test_mast_service_request(aq, mast_emulator):
    params = {"ra": M101.ra.deg, "dec": M101.dec.deg, "radius": 0.02}
    table = aq.mast.service_request("Mast.Caom.Cone", params)
    doc = direct(mast_emulator, "Mast.Caom.Cone", params)
    assert len(table) == doc["paging"]["rowsTotal"]


@pytest.fixture
def resolver_via_emulator(mast_emulator, monkeypatch):
    """astroquery resolves names at a fixed http URL: route it to the emulator as a proxy."""
    monkeypatch.setenv("HTTP_PROXY", mast_emulator)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("http_proxy", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return mast_emulator


def test_query_object_and_counts_resolve_names_at_the_emulator(aq, resolver_via_emulator):
    from astroquery.mast.utils import resolve_object

    assert resolve_object("M101").separation(M101).arcsec < 1e-6
    table = aq.observations.query_object("M101", radius=0.05 * u.deg)
    assert len(table) > 0 and np.all(_separation_deg(table) <= 0.05 + 1e-9)
    assert int(aq.observations.query_object_count("M101", radius=0.05 * u.deg)) == len(table)
    both = resolve_object("M101", resolve_all=True)
    assert set(both) == {"SIMBAD", "NED"}
    stars = aq.catalogs.query_object("M101", radius=0.05, catalog="Tic")
    assert len(stars) > 0 and np.all(_separation_deg(stars, "ra", "dec") <= 0.05 + 1e-9)


def test_unknown_names_raise_the_resolver_error(aq, resolver_via_emulator):
    from astroquery.exceptions import ResolverError

    with pytest.raises(ResolverError, match="NoSuchObject42"):
        aq.observations.query_object("NoSuchObject42", radius=0.05 * u.deg)


def test_query_criteria_with_several_criteria(aq):
    table = aq.observations.query_criteria(
        obs_collection=["HST", "JWST"],
        dataproduct_type="image",
        t_exptime=[500, 2000],
        instrument_name="*CAM*",
    )
    assert len(table) > 0 and set(table["obs_collection"]) <= {"HST", "JWST"}
    assert set(table["dataproduct_type"]) == {"image"}
    assert np.all((table["t_exptime"] >= 500) & (table["t_exptime"] <= 2000))
    assert all("CAM" in name for name in table["instrument_name"])


def test_product_list_of_many_observations_and_mrp_download(aq, tmp_path):
    observations = aq.observations.query_criteria(
        obs_collection="HST", calib_level=3, dataproduct_type="image"
    )
    released = observations[observations["t_obs_release"] < Time.now().mjd][:60]
    products = aq.observations.get_product_list(released)
    assert set(products["parent_obsid"]) == set(released["obsid"])
    shared = products[products["obsID"] != products["parent_obsid"]]
    assert len(shared) > 0 and set(shared["productSubGroupDescription"]) == {"ASN"}
    listings = [products[products["dataURI"] == uri] for uri in set(shared["dataURI"])]
    assert all(len(set(rows["obsID"])) == 1 for rows in listings)
    assert all(len(set(rows["parent_obsid"])) == len(rows) for rows in listings)
    assert max(len(rows) for rows in listings) >= 2  # one file, listed under each member
    minimum = aq.observations.filter_products(products, mrp_only=True)
    assert 0 < len(minimum) < len(products)
    assert set(minimum["productGroupDescription"]) == {"Minimum Recommended Products"}
    manifest = aq.observations.download_products(
        minimum[:2], download_dir=str(tmp_path), mrp_only=True, verbose=False
    )
    assert list(manifest["Status"]) == ["COMPLETE", "COMPLETE"]


def test_catalogs_criteria_and_ctl_region(aq):
    stars = aq.catalogs.query_criteria(catalog="Tic", Tmag=[5, 8], objType="STAR")
    assert len(stars) > 0 and np.all((stars["Tmag"] >= 5) & (stars["Tmag"] <= 8))
    ctl = aq.catalogs.query_region(M101, radius=0.3 * u.deg, catalog="Ctl")
    assert len(ctl) > 0 and np.all(_separation_deg(ctl, "ra", "dec") <= 0.3 + 1e-9)


def test_filter_products_and_download_on_the_new_product_fields(aq, tmp_path):
    observations = aq.observations.query_criteria(
        obs_collection="HST", dataRights="PUBLIC", intentType="science"
    )
    assert len(observations) > 0
    assert set(observations["dataRights"]) == {"PUBLIC"}
    assert set(observations["intentType"]) == {"science"}
    products = aq.observations.get_product_list(observations[:20])
    assert products.colnames[:20] == PRODUCT_COLUMNS
    raw = aq.observations.filter_products(
        products, calib_level=[1], dataRights="PUBLIC", extension="fits"
    )
    assert len(raw) > 0 and set(raw["calib_level"]) == {1}
    manifest = aq.observations.download_products(raw[:2], download_dir=str(tmp_path), verbose=False)
    assert list(manifest["Status"]) == ["COMPLETE", "COMPLETE"]
    assert [os.path.getsize(p) for p in manifest["Local Path"]] == list(raw["size"][:2])


def test_query_region_has_todays_columns(aq):
    table = aq.observations.query_region(M101, radius=0.2 * u.deg)
    assert table.colnames == CAOM_COLUMNS + ["distance"]
    assert table["obsid"].dtype.kind == "U" and table["mtFlag"].dtype == bool
    assert set(table["intentType"]) <= {"science", "calibration"}


@pytest.fixture(scope="module")
def mastq_obs(mast_emulator):
    """mastq's `ObservationsClass` on the same local MAST (no persistent cache)."""
    import mastq
    from mastq.observations import ObservationsClass

    with mastq.conf.set_temp("server", mast_emulator), mastq.conf.set_temp("cache", False):
        yield ObservationsClass()


def test_science_public_criteria_agree_between_mastq_and_astroquery(aq, mastq_obs):
    criteria = {
        "intentType": "science",
        "dataRights": "PUBLIC",
        "obs_collection": "JWST",
        "proposal_type": ["GO", "GTO"],
        "mtFlag": False,
    }
    ours = mastq_obs.query_criteria(**criteria)
    theirs = aq.observations.query_criteria(**criteria)
    assert 0 < len(ours) == len(theirs)
    assert sorted(str(x) for x in ours["obsid"]) == sorted(theirs["obsid"])
    assert ours.colnames == theirs.colnames
    assert {str(x) for x in ours["intentType"]} == {"science"}
    assert {str(x) for x in ours["dataRights"]} == {"PUBLIC"}
    assert {str(x) for x in ours["proposal_type"]} <= {"GO", "GTO"}
    sequence = {"intentType": "science", "sequence_number": [3, 5]}
    count = mastq_obs.query_criteria_count(**sequence)
    assert count > 0 and count == aq.observations.query_criteria_count(**sequence)
    assert mastq_obs.query_criteria_count(srcDen=(10, 1e6), **sequence) == 0  # none has both
