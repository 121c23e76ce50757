"""The ``*_async`` variants: the raw HTTP answers, one per page, as astroquery's."""

import astropy.units as u
import pytest
import requests
from astropy.coordinates import SkyCoord

from mastq.emulator import point_astroquery

M101 = SkyCoord(210.802429 * u.deg, 54.34875 * u.deg)
RADIUS = 0.05 * u.deg


def _rows(responses):
    assert responses and all(isinstance(r, requests.Response) for r in responses)
    docs = [r.json() for r in responses]
    assert all(doc["status"] == "COMPLETE" for doc in docs)
    return sum(len(doc["data"]) for doc in docs)


@pytest.fixture(scope="module")
def aq_observations(mast_emulator):
    """astroquery's ObservationsClass pointed at the local MAST (instance attributes)."""
    aq_mast = pytest.importorskip("astroquery.mast")
    return point_astroquery(aq_mast.ObservationsClass(), mast_emulator)


def test_observations_query_region_async_is_every_page(obs, aq_observations):
    table = obs.query_region(M101, radius=RADIUS)
    assert len(table) > 7
    pagesize = len(table) // 3
    ours = obs.query_region_async(M101, radius=RADIUS, pagesize=pagesize)
    theirs = aq_observations.query_region_async(M101, radius=RADIUS, pagesize=pagesize)
    assert len(ours) == len(theirs) == -(-len(table) // pagesize)
    assert _rows(ours) == _rows(theirs) == len(table)
    one = obs.query_region_async(M101, radius=RADIUS, pagesize=pagesize, page=2)
    assert len(one) == 1 and _rows(one) == pagesize
    assert one[0].json()["paging"]["page"] == 2


def test_observations_object_and_criteria_async(obs):
    assert _rows(obs.query_object_async("M101", radius=RADIUS)) == len(
        obs.query_object("M101", radius=RADIUS)
    )
    assert _rows(
        obs.query_criteria_async(objectname="M101", radius=RADIUS, obs_collection="HST")
    ) == len(obs.query_criteria(objectname="M101", radius=RADIUS, obs_collection="HST"))


def test_catalogs_async(cat):
    assert _rows(cat.query_region_async(M101, radius=RADIUS, catalog="Tic")) == len(
        cat.query_region(M101, radius=RADIUS, catalog="Tic")
    )
    assert _rows(cat.query_object_async("M101", radius=RADIUS, catalog="Tic")) == len(
        cat.query_object("M101", radius=RADIUS, catalog="Tic")
    )
    assert _rows(
        cat.query_criteria_async("Tic", coordinates=M101, radius=RADIUS, Tmag=(None, 14))
    ) == len(cat.query_criteria("Tic", coordinates=M101, radius=RADIUS, Tmag=(None, 14)))


def test_mast_service_request_async(mast_door):
    params = {"ra": M101.ra.deg, "dec": M101.dec.deg, "radius": 0.05}
    answers = mast_door.service_request_async("Mast.Caom.Cone", params, pagesize=5)
    assert len(answers) >= 2 and _rows(answers) == len(
        mast_door.service_request("Mast.Caom.Cone", params)
    )


def test_async_inputs_are_checked_before_anything_is_sent(obs, cat):
    from mastq.exceptions import InvalidQueryError, ResolverError

    with pytest.raises(InvalidQueryError, match="radius"):
        obs.query_region_async(M101, radius="wide")
    with pytest.raises(InvalidQueryError, match="catalog"):
        cat.query_region_async(M101, catalog="Ticc")
    with pytest.raises(ResolverError, match="NoSuchObject42"):
        obs.query_object_async("NoSuchObject42")
