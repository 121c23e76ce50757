"""
The same calls through astroquery.mast and mastq, against the same local MAST.

astroquery freezes its URLs into class attributes at import; they are set on the
instances for the module and restored afterwards.  astroquery 0.4.11 resolves names
through a fixed external resolver URL (no server setting), so object queries are
compared at the position mastq resolves.  Positions are given as SkyCoord, since
astroquery warns (InputWarning) about coordinate strings.
"""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time

import mastq
from mastq.catalogs import CatalogsClass
from mastq.mast import MastClass
from mastq.observations import ObservationsClass

aq_mast = pytest.importorskip("astroquery.mast")

M101 = SkyCoord(210.802429 * u.deg, 54.34875 * u.deg)
M31 = SkyCoord(10.684708 * u.deg, 41.26875 * u.deg)
_PATHS = {
    "MAST_REQUEST_URL": "/api/v0/invoke",
    "COLUMNS_CONFIG_URL": "/portal/Mashup/Mashup.asmx/columnsconfig",
}


@pytest.fixture(scope="module")
def clients(mast_emulator):
    saved = []
    for client in (aq_mast.Observations, aq_mast.Catalogs, aq_mast.Mast):
        conn = client._portal_api_connection
        saved.append((conn, dict(conn.__dict__), dict(conn._column_configs)))
        conn._column_configs.clear()
        for attr, path in _PATHS.items():
            setattr(conn, attr, mast_emulator + path)
    try:
        with mastq.conf.set_temp("server", mast_emulator), mastq.conf.set_temp("cache", False):
            yield ObservationsClass(), CatalogsClass(), MastClass()
    finally:
        for conn, attrs, configs in saved:
            for attr in _PATHS:
                if attr in attrs:
                    setattr(conn, attr, attrs[attr])
                else:
                    delattr(conn, attr)
            conn._column_configs.clear()
            conn._column_configs.update(configs)


def assert_same_rows(ours, theirs, key, *, compare=()):
    """Same rows (by key, same order) and the same values of ``compare`` columns."""
    assert len(ours) == len(theirs) > 0
    assert (
        np.asarray(ours[key]).astype(str).tolist() == np.asarray(theirs[key]).astype(str).tolist()
    )
    for name in compare:
        mine = np.ma.filled(np.ma.asarray(ours[name], dtype=float), np.nan)
        other = np.ma.filled(np.ma.asarray(theirs[name], dtype=float), np.nan)
        np.testing.assert_allclose(mine, other, rtol=1e-12, equal_nan=True, err_msg=name)


OBS_CASES = {
    "region": (
        lambda o: o.query_region(M101, radius=0.2 * u.deg),
        lambda a: a.query_region(M101, radius=0.2 * u.deg),
    ),
    "region_arcmin": (
        lambda o: o.query_region(M31.galactic, radius=4 * u.arcmin),
        lambda a: a.query_region(M31, radius=4 * u.arcmin),
    ),
    "criteria_mission": (
        lambda o: o.query_criteria(coordinates=M101, radius=0.3, obs_collection="HST"),
        lambda a: a.query_criteria(coordinates=M101, radius=0.3, obs_collection="HST"),
    ),
    "criteria_exptime_units": (
        lambda o: o.query_criteria(coordinates=M101, radius=0.3, t_exptime=(100 * u.s, 1 * u.h)),
        lambda a: a.query_criteria(coordinates=M101, radius=0.3, t_exptime=[100, 3600]),
    ),
    "criteria_wavelength_units": (
        lambda o: o.query_criteria(coordinates=M101, radius=0.3, em_min=(0.4 * u.um, 700 * u.nm)),
        lambda a: a.query_criteria(coordinates=M101, radius=0.3, em_min=[400, 700]),
    ),
    "criteria_wildcard": (
        lambda o: o.query_criteria(coordinates=M101, radius=0.3, target_name=["M1*"]),
        lambda a: a.query_criteria(coordinates=M101, radius=0.3, target_name="M1*"),
    ),
    "criteria_or_list": (
        lambda o: o.query_criteria(
            coordinates=M101, radius=0.3, dataproduct_type=["image", "spectrum"], calib_level=[2, 3]
        ),
        lambda a: a.query_criteria(
            coordinates=M101, radius=0.3, dataproduct_type=["image", "spectrum"], calib_level=[2, 3]
        ),
    ),
    "criteria_time_range": (
        lambda o: o.query_criteria(
            coordinates=M101, radius=0.3, t_min=(Time("2010-01-01"), Time("2020-01-01"))
        ),
        lambda a: a.query_criteria(coordinates=M101, radius=0.3, t_min=[55197, 58849]),
    ),
    "criteria_no_position": (
        lambda o: o.query_criteria(
            obs_collection="HST", instrument_name="WFC3/IR", dataproduct_type="image"
        ),
        lambda a: a.query_criteria(
            obs_collection="HST", instrument_name="WFC3/IR", dataproduct_type="image"
        ),
    ),
}


@pytest.mark.parametrize("case", list(OBS_CASES))
def test_observation_rows_match_and_carry_units(clients, case):
    ours_call, theirs_call = OBS_CASES[case]
    ours, theirs = ours_call(clients[0]), theirs_call(aq_mast.Observations)
    assert_same_rows(ours, theirs, "obsid", compare=("s_ra", "s_dec", "t_min", "em_min"))
    assert ours["s_ra"].unit == u.deg and ours["t_exptime"].unit == u.s
    assert theirs["s_ra"].unit is None and theirs["t_exptime"].unit is None


def test_counts_match(clients):
    obs = clients[0]
    assert obs.query_region_count(M101, radius=0.2) == aq_mast.Observations.query_region_count(
        M101, radius=0.2 * u.deg
    )
    assert obs.query_criteria_count(
        coordinates=M101, radius=0.3, obs_collection="HST"
    ) == aq_mast.Observations.query_criteria_count(
        coordinates=M101, radius=0.3, obs_collection="HST"
    )


def test_products_match(clients):
    obs = clients[0]
    rows = obs.query_region(M101, radius=0.05)[:3]
    their_rows = aq_mast.Observations.query_region(M101, radius=0.05 * u.deg)[:3]
    assert_same_rows(rows, their_rows, "obsid")  # astroquery keeps obsid as str
    ours = obs.get_product_list(rows)
    theirs = aq_mast.Observations.get_product_list(their_rows)
    assert_same_rows(ours, theirs, "dataURI", compare=("size",))


def test_missions_and_metadata_match(clients):
    obs = clients[0]
    assert obs.list_missions() == aq_mast.Observations.list_missions()
    ours, theirs = (
        obs.get_metadata("observations"),
        aq_mast.Observations.get_metadata("observations"),
    )
    assert list(ours["Column Name"]) == list(theirs["Column Name"])
    assert list(ours["Units"]) == list(theirs["Units"])


CATALOG_CASES = {
    "tic_region": (
        lambda c: c.query_region(M101, radius=0.1, catalog="Tic"),
        lambda a: a.query_region(M101, radius=0.1 * u.deg, catalog="Tic"),
        "ID",
    ),
    "ctl_region": (
        lambda c: c.query_region(M101, radius=0.2, catalog="Ctl"),
        lambda a: a.query_region(M101, radius=0.2 * u.deg, catalog="Ctl"),
        "ID",
    ),
    "gaia_region": (
        lambda c: c.query_region(M31, radius=1 * u.arcmin, catalog="GaiaDR3"),
        lambda a: a.query_region(M31, radius=1 * u.arcmin, catalog="GaiaDR3"),
        "source_id",
    ),
    "tic_criteria": (
        lambda c: c.query_criteria(
            "Tic", coordinates=M101, radius=0.2, Tmag=(8, 14), objType="STAR"
        ),
        lambda a: a.query_criteria(
            catalog="Tic", coordinates=M101, radius=0.2, Tmag=[8, 14], objType="STAR"
        ),
        "ID",
    ),
}


@pytest.mark.parametrize("case", list(CATALOG_CASES))
def test_catalog_rows_match_and_carry_units(clients, case):
    ours_call, theirs_call, key = CATALOG_CASES[case]
    ours, theirs = ours_call(clients[1]), theirs_call(aq_mast.Catalogs)
    magnitude = "Tmag" if key == "ID" else "phot_g_mean_mag"
    assert_same_rows(ours, theirs, key, compare=("ra", "dec", magnitude))
    assert ours["ra"].unit == u.deg and theirs["ra"].unit is None


def test_service_request_matches(clients):
    params = {"ra": M101.ra.deg, "dec": M101.dec.deg, "radius": 0.1}
    ours = clients[2].service_request("Mast.Caom.Cone", params)
    theirs = aq_mast.Mast.service_request("Mast.Caom.Cone", params)
    assert_same_rows(ours, theirs, "obsid", compare=("s_ra", "s_dec", "distance"))
    assert ours["distance"].unit == u.arcsec and theirs["distance"].unit is None
