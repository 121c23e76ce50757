"""
astroquery.mast itself, unchanged, pointed at the local MAST.

astroquery freezes its URLs into class attributes at import (``PortalAPI.MAST_REQUEST_URL =
conf.server + ...``), so setting ``astroquery.mast.conf.server`` afterwards changes nothing.
What works: fresh ``ObservationsClass()`` / ``CatalogsClass()`` / ``MastClass()`` instances
whose two connection objects get the emulator's URLs as *instance* attributes (see
`_point_at`); the module-level singletons are left alone.
"""

import json
import os

import numpy as np
import pytest
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

M101 = SkyCoord(210.802429, 54.34875, unit="deg")


def _point_at(query, url):
    portal = query._portal_api_connection
    portal.MAST_REQUEST_URL = url + "/api/v0/invoke"
    portal.COLUMNS_CONFIG_URL = url + "/portal/Mashup/Mashup.asmx/columnsconfig"
    portal.MAST_DOWNLOAD_URL = url + "/api/v0.1/Download/file"
    portal.MAST_BUNDLE_URL = url + "/api/v0.1/Download/bundle"
    service = query._service_api_connection
    service.SERVICE_URL = url
    service.REQUEST_URL = url + "/api/v0.1/"
    service.MAST_DOWNLOAD_URL = url + "/api/v0.1/Download/file"
    return query


@pytest.fixture(scope="module")
def aq(mast_emulator):
    from astroquery.mast import CatalogsClass, MastClass, ObservationsClass

    class Clients:
        observations = _point_at(ObservationsClass(), mast_emulator)
        catalogs = _point_at(CatalogsClass(), mast_emulator)
        mast = _point_at(MastClass(), mast_emulator)
    return Clients


def direct(url, service, params):
    body = {"service": service, "params": params, "format": "json", "pagesize": 100000,
            "page": 1}
    return requests.post(url + "/api/v0/invoke", data={"request": json.dumps(body)},
                         timeout=60).json()


def _separation_deg(table, ra="s_ra", dec="s_dec"):
    coords = SkyCoord(np.asarray(table[ra], float), np.asarray(table[dec], float), unit="deg")
    return coords.separation(M101).deg


def test_query_region_matches_the_cone_service(aq, mast_emulator):
    table = aq.observations.query_region(M101, radius=0.05 * u.deg)
    assert len(table) > 0
    assert np.all(_separation_deg(table) <= 0.05 + 1e-9)
    doc = direct(mast_emulator, "Mast.Caom.Cone", {"ra": M101.ra.deg, "dec": M101.dec.deg,
                                                    "radius": 0.05})
    assert sorted(int(x) for x in table["obsid"]) == sorted(r["obsid"] for r in doc["data"])


def test_query_criteria_and_count_agree(aq):
    table = aq.observations.query_criteria(coordinates=M101, radius=0.1 * u.deg,
                                           obs_collection=["HST"])
    assert len(table) > 0 and set(table["obs_collection"]) == {"HST"}
    count = aq.observations.query_criteria_count(coordinates=M101, radius=0.1 * u.deg,
                                                 obs_collection=["HST"])
    assert int(count) == len(table)


def test_products_and_downloads(aq, tmp_path):
    observations = aq.observations.query_region(M101, radius=0.1 * u.deg)
    released = observations["t_obs_release"] < Time.now().mjd
    products = aq.observations.get_product_list(observations[released][:3])
    assert len(products) > 0
    assert set(int(x) for x in products["obsID"]) <= set(int(x) for x in observations["obsid"])
    manifest = aq.observations.download_products(products[:2], download_dir=str(tmp_path),
                                                 verbose=False)
    assert list(manifest["Status"]) == ["COMPLETE", "COMPLETE"]
    for path in manifest["Local Path"]:
        assert str(path).startswith(str(tmp_path)) and os.path.getsize(path) > 0


def test_proprietary_download_is_reported_as_an_error(aq, tmp_path):
    observations = aq.observations.query_region(M101, radius=0.3 * u.deg)
    secret = observations[observations["t_obs_release"] > Time.now().mjd + 1]
    assert len(secret) > 0
    products = aq.observations.get_product_list(secret[:1])
    manifest = aq.observations.download_products(products[:1], download_dir=str(tmp_path),
                                                 verbose=False)
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
