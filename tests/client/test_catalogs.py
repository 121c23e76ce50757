"""Catalogs (TIC, CTL, Gaia DR3) against the local MAST: inputs, units, criteria, errors."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from mastq.catalogs import catalog_spec
from mastq.exceptions import InvalidQueryError, ResolverError

M101 = SkyCoord(210.802429 * u.deg, 54.34875 * u.deg)


@pytest.fixture(scope="module")
def tic_m101(cat):
    return cat.query_region(M101, radius=0.1)


def ids(table, key="ID"):
    return set(np.asarray(table[key]).tolist())


def test_tic_region_units_and_ids(tic_m101):
    table = tic_m101
    assert len(table) > 0
    assert table["ra"].unit == u.deg and table["dec"].unit == u.deg
    assert table["Teff"].unit == u.K
    assert table["dstArcSec"].unit == u.arcsec  # MAST's name for the TIC separation
    assert np.all(table["dstArcSec"] <= 0.1 * 3600 + 1e-6)
    assert table["ID"].dtype.kind == "U"  # TIC ids are declared string, as in astroquery
    assert str(table["ID"][0]).isdigit()


@pytest.mark.parametrize("coordinates, radius", [
    (M101.galactic, 6 * u.arcmin),
    ("14h03m12.58s +54d20m55.5s", 0.1),
    ((210.802429, 54.34875), 360 * u.arcsec),
])
def test_region_input_forms(cat, tic_m101, coordinates, radius):
    assert ids(cat.query_region(coordinates, radius=radius)) == ids(tic_m101)


def test_query_object_and_count(cat, tic_m101):
    assert ids(cat.query_object("M101", radius=0.1 * u.deg)) == ids(tic_m101)
    assert cat.query_region_count(M101, radius=0.1) == len(tic_m101)
    assert cat.query_object_count("M101", radius=6 * u.arcmin) == len(tic_m101)
    with pytest.raises(ResolverError, match="Nowhere Object 9"):
        cat.query_object("Nowhere Object 9")


def test_ctl_region(cat):
    table = cat.query_region(M101, radius=0.2, catalog="ctl")
    assert len(table) > 0 and table["ra"].unit == u.deg


def test_gaia_region_units(cat):
    table = cat.query_region(M101, radius=3 * u.arcmin, catalog="GaiaDR3")
    assert len(table) > 0
    assert table["parallax"].unit == u.mas
    assert table["phot_g_mean_mag"].unit == u.mag
    assert table["source_id"].dtype.kind == "U" and str(table["source_id"][0]).isdigit()
    named = cat.query_object("M101", catalog="GaiaDR3", radius=3 * u.arcmin)
    assert ids(named, "source_id") == ids(table, "source_id")


def test_tic_criteria_numeric_range_and_discrete(cat, tic_m101):
    bright = cat.query_criteria("Tic", coordinates=M101, radius=0.1, Tmag=(None, 14),
                                objType="STAR")
    expected = np.asarray(tic_m101["Tmag"].filled(np.inf) <= 14) & \
        np.asarray(tic_m101["objType"] == "STAR")  # str compares with U and S columns
    assert ids(bright) == set(np.asarray(tic_m101["ID"])[expected].tolist())
    count = cat.query_criteria_count("Tic", coordinates=M101, radius=0.1, Tmag=(None, 14),
                                     objType="STAR")
    assert count == len(bright)


def test_tic_criteria_quantity_converted(cat):
    kelvin = cat.query_criteria("Tic", objectname="M101", radius=0.2,
                                Teff=(5000 * u.K, 6000 * u.K))
    plain = cat.query_criteria("Tic", objectname="M101", radius=0.2, Teff=(5000, 6000))
    assert len(plain) > 0 and ids(kelvin) == ids(plain)
    assert np.all((plain["Teff"] >= 5000) & (plain["Teff"] <= 6000))


def test_gaia_criteria(cat):
    table = cat.query_criteria("GaiaDR3", coordinates=M101, radius=0.2,
                               parallax=(0.5 * u.mas, 1 * u.arcsec))
    assert len(table) > 0 and np.all(table["parallax"] >= 0.5)
    count = cat.query_criteria_count("GaiaDR3", coordinates=M101, radius=0.2,
                                     parallax=(0.5, 1000))
    assert count == len(table)


@pytest.mark.parametrize("catalog, criteria, words", [
    ("Tic", {"Tmagg": (1, 2)}, "did you mean 'Tmag'"),
    ("Tic", {"Tmag": 12}, "give a range"),
    ("Tic", {"Teff": (1 * u.m, None)}, "Teff is in K"),
    ("GaiaDR3", {"parallax": 3}, "give a range"),
    ("Ticc", {"Tmag": (1, 2)}, "did you mean 'Tic'"),
    ("Tic", {}, "at least one criterion"),
])
def test_catalog_criteria_errors(cat, catalog, criteria, words):
    with pytest.raises(InvalidQueryError) as info:
        cat.query_criteria(catalog, coordinates=M101, radius=0.1, **criteria)
    assert words in str(info.value)


def test_catalog_names():
    assert catalog_spec("tic").name == "Tic"
    assert catalog_spec("gaia").name == "GaiaDR2"  # as in astroquery
    assert catalog_spec("GAIADR3").cone_service == "Mast.Catalogs.GaiaDR3.Cone"
    assert catalog_spec("Tic").filtered_service(position=True, rows=True) == \
        "Mast.Catalogs.Filtered.Tic.Position.Rows"
    assert catalog_spec("Tic").filtered_service(position=False, rows=False) == \
        "Mast.Catalogs.Filtered.Tic"
    with pytest.raises(InvalidQueryError, match="catalog"):
        catalog_spec("Mast.Catalogs.Tic")
