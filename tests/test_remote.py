"""The same calls against the real MAST (run with ``pytest --remote-data=any``)."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

import mastq
from mastq import Catalogs, Mast, Observations

pytestmark = pytest.mark.remote_data


@pytest.fixture(autouse=True)
def real_mast(tmp_path):
    with (
        mastq.conf.set_temp("server", "https://mast.stsci.edu"),
        mastq.conf.set_temp("cache_dir", str(tmp_path)),
    ):
        yield


def test_resolve_and_cone_search():
    m101 = Observations.resolve_object("M101")
    assert m101.separation(SkyCoord(210.80242917, 54.34875, unit="deg")) < 1 * u.arcmin
    obs = Observations.query_region(m101, radius=0.02 * u.deg)
    assert len(obs) > 0 and obs["s_ra"].unit == u.deg
    assert np.all(obs["distance"] <= 0.02 * 3600 + 1e-6)


def test_count_matches_rows():
    criteria = {
        "objectname": "M101",
        "radius": 0.02 * u.deg,
        "obs_collection": "HST",
        "dataproduct_type": "image",
    }
    assert Observations.query_criteria_count(**criteria) == len(
        Observations.query_criteria(**criteria)
    )


def test_tic_cone_and_service_request():
    stars = Catalogs.query_region("158.47924 -7.1945", radius=0.01 * u.deg, catalog="Tic")
    assert len(stars) > 0 and stars["ID"].dtype.kind == "i"
    table = Mast.service_request("Mast.Caom.Cone", {"ra": 210.8, "dec": 54.35, "radius": 0.01})
    assert "obsid" in table.colnames
