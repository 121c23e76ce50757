"""Observations against the local MAST, over loopback HTTP: inputs, units, errors, counts."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table
from astropy.time import Time

from mastq.criteria import Not
from mastq.exceptions import InvalidQueryError, NoResultsWarning, ResolverError
from mastq.products import BATCH, obsids_of, product_requests
from mastq.queries import _union

M101 = SkyCoord(210.802429 * u.deg, 54.34875 * u.deg)


@pytest.fixture(scope="module")
def around_m101(obs):
    return obs.query_region(M101, radius=0.2 * u.deg)


def ids(table):
    return set(np.asarray(table["obsid"]).tolist())


def text(column):
    """A text column as unicode, whether it came back as ``U`` or bytestring ``S``."""
    values = np.asarray(column)
    return np.char.decode(values, "utf-8") if values.dtype.kind == "S" else values.astype(str)


# ----------------------------------------------------------------- names


def test_resolve_object(obs):
    coord = obs.resolve_object("M101")
    assert coord.frame.name == "icrs"
    assert coord.separation(M101) < 1 * u.arcsec
    assert obs.resolve_object("ngc 5457").separation(M101) < 1 * u.arcsec


def test_unresolvable_name_raises_naming_it(obs):
    with pytest.raises(ResolverError, match="'Not A Real Object 123'"):
        obs.resolve_object("Not A Real Object 123")
    with pytest.raises(ResolverError, match="Not A Real Object 123"):
        obs.query_object("Not A Real Object 123")


# ----------------------------------------------------------------- region, inputs


def test_region_result_has_units_and_masks(around_m101):
    table = around_m101
    assert len(table) > 0
    expected = {
        "s_ra": u.deg,
        "s_dec": u.deg,
        "t_min": u.d,
        "t_max": u.d,
        "em_min": u.nm,
        "em_max": u.nm,
        "t_exptime": u.s,
        "distance": u.arcsec,
    }
    for name, unit in expected.items():
        assert table[name].unit == unit, name
    assert table["obsid"].dtype.kind == "U"  # declared string: str, digits kept exactly
    assert np.all(table["distance"] <= 0.2 * 3600 + 1e-6)
    masked = [c for c in table.itercols() if isinstance(c, MaskedColumn) and c.mask.any()]
    assert masked, "nulls come back masked"


@pytest.mark.parametrize(
    "coordinates, radius",
    [
        (M101.galactic, 0.2),
        ("210.802429 54.34875", 12 * u.arcmin),
        ("14h03m12.58s +54d20m55.5s", 720 * u.arcsec),
        ((210.802429, 54.34875), 0.2 * u.deg),
        ((210.802429 * u.deg, 54.34875 * u.deg), "0.2 deg"),
    ],
)
def test_region_input_forms_give_the_same_rows(obs, around_m101, coordinates, radius):
    assert ids(obs.query_region(coordinates, radius=radius)) == ids(around_m101)


def test_query_object_is_region_at_the_resolved_position(obs, around_m101):
    assert ids(obs.query_object("M101", radius=0.2)) == ids(around_m101)


def test_times_option_gives_time_columns(obs):
    table = obs.query_region(M101, radius=3 * u.arcmin, times=True)
    assert isinstance(table["t_min"], Time)
    assert table["t_min"].format == "mjd"


def test_region_errors_name_the_argument(obs):
    with pytest.raises(InvalidQueryError, match="radius"):
        obs.query_region(M101, radius=1 * u.m)
    with pytest.raises(InvalidQueryError, match="coordinates"):
        obs.query_region("M101")


def test_empty_region_warns_once_at_the_callers_line(obs):
    with pytest.warns(NoResultsWarning) as record:
        table = obs.query_region((0.5, -89.9), radius=1 * u.arcsec)
    assert len(table) == 0
    assert len(record) == 1 and record[0].filename == __file__
    with pytest.warns(NoResultsWarning) as record:  # several wildcards: one warning, ours
        obs.query_criteria(obs_id=["nothing*", "*nomatch"])
    assert len(record) == 1 and record[0].filename == __file__


# ----------------------------------------------------------------- counts


def test_region_count_matches_rows(obs, around_m101):
    assert obs.query_region_count(M101, radius=0.2) == len(around_m101)
    assert obs.query_object_count("M101", radius=12 * u.arcmin) == len(around_m101)


# ----------------------------------------------------------------- criteria


def test_criteria_discrete_and_or(obs, around_m101):
    missions = sorted(set(text(around_m101["obs_collection"])))
    table = obs.query_criteria(coordinates=M101, radius=0.2, obs_collection=missions[:2])
    assert set(text(table["obs_collection"])) <= set(missions[:2])
    expected = sum(np.isin(text(around_m101["obs_collection"]), missions[:2]))
    assert len(table) == expected
    assert "distance" in table.colnames and table["distance"].unit == u.arcsec


def test_criteria_quantity_ranges_in_any_unit(obs):
    in_nm = obs.query_criteria(objectname="M101", radius=0.5, em_min=(400, 700))
    in_um = obs.query_criteria(objectname="M101", radius=0.5, em_min=(0.4 * u.um, 7000 * u.AA))
    assert len(in_nm) > 0 and ids(in_nm) == ids(in_um)
    assert np.all((in_um["em_min"] >= 400) & (in_um["em_min"] <= 700))


def test_criteria_open_ended_time_and_exposure(obs):
    start = Time("2015-01-01")
    table = obs.query_criteria(
        objectname="M101", radius=0.5, t_min=(start, None), t_exptime=(2 * u.min, None)
    )
    assert len(table) > 0
    assert np.all(table["t_min"] >= start.mjd) and np.all(table["t_exptime"] >= 120)
    same = obs.query_criteria(
        objectname="M101", radius=0.5, t_min=(start.mjd, None), t_exptime=(120, None)
    )
    assert ids(same) == ids(table)


def test_criteria_count_matches_rows(obs):
    criteria = {"objectname": "M101", "radius": 0.5, "t_exptime": (100 * u.s, None)}
    rows = obs.query_criteria(**criteria)
    assert obs.query_criteria_count(**criteria) == len(rows) > 0


def test_wildcards_anywhere_are_a_union(obs, around_m101):
    missions = sorted(set(text(around_m101["obs_collection"])))
    first, second = missions[0], missions[-1]
    patterns = [f"{first[:2]}*", f"*{second[1:]}"]
    both = obs.query_criteria(coordinates=M101, radius=0.2, obs_collection=patterns)
    one = obs.query_criteria(coordinates=M101, radius=0.2, obs_collection=patterns[0])
    other = obs.query_criteria(coordinates=M101, radius=0.2, obs_collection=patterns[1])
    assert ids(both) == ids(one) | ids(other)
    assert len(both) == len(ids(both))  # no duplicates
    count = obs.query_criteria_count(coordinates=M101, radius=0.2, obs_collection=patterns)
    assert count == len(both)


def test_negated_range(obs, around_m101):
    outside = obs.query_criteria(coordinates=M101, radius=0.2, t_exptime=Not((0, 100)))
    exptime = np.ma.asarray(around_m101["t_exptime"])
    expected = ~exptime.mask & ((exptime.data <= 0) | (exptime.data >= 100))
    assert 0 < len(outside) < len(around_m101)
    assert ids(outside) == set(np.asarray(around_m101["obsid"])[expected].tolist())


@pytest.mark.parametrize(
    "criteria, words",
    [
        ({"obs_colection": "HST"}, "did you mean 'obs_collection'"),
        ({"obsid": "U24Z0101T"}, "did you mean obs_id="),
        ({"t_exptime": 100}, "give a range"),
        ({}, "at least one criterion"),
        ({"coordinates": M101, "objectname": "M101", "obs_collection": "HST"}, "not both"),
        ({"radius": 0.1, "obs_collection": "HST"}, "radius needs coordinates"),
        ({"coordinates": M101, "radius": 3 * u.s, "obs_collection": "HST"}, "radius"),
    ],
)
def test_criteria_errors(obs, criteria, words):
    with pytest.raises(InvalidQueryError) as info:
        obs.query_criteria(**criteria)
    assert words in str(info.value)


# ----------------------------------------------------------------- metadata, missions, products


def test_get_metadata(obs):
    meta = obs.get_metadata("observations")
    assert meta.colnames[:4] == ["Column Name", "Column Label", "Data Type", "Units"]
    rows = {row["Column Name"]: row for row in meta}
    assert rows["s_ra"]["Units"] == "deg" and rows["s_ra"]["Data Type"] == "float"
    assert rows["t_exptime"]["Description"]
    assert "_selected_" not in rows and "s_fov" not in rows
    products = obs.get_metadata("Products")
    assert "productFilename" in set(products["Column Name"])
    with pytest.raises(InvalidQueryError, match="query_type"):
        obs.get_metadata("planets")


def test_list_missions(obs, around_m101):
    missions = obs.list_missions()
    assert missions == sorted(missions)
    assert set(text(around_m101["obs_collection"])) <= set(missions)


def test_get_product_list(obs, around_m101):
    rows = around_m101[:2]
    products = obs.get_product_list(rows)
    assert len(products) > 0
    assert set(text(products["obsID"])) <= {str(i) for i in ids(rows)}
    same = obs.get_product_list([int(i) for i in rows["obsid"]])
    assert len(same) == len(products)
    with pytest.raises(InvalidQueryError, match="obsid"):
        obs.get_product_list(["U24Z0101T"])


def test_mast_query_builds_filters(mast_door):
    position = f"{M101.ra.deg}, {M101.dec.deg}, 0.2"
    table = mast_door.mast_query(
        "Mast.Caom.Filtered.Position", position=position, t_exptime=(100 * u.s, None)
    )
    assert len(table) > 0 and np.all(table["t_exptime"] >= 100)
    cone = mast_door.mast_query("Mast.Caom.Cone", ra=M101.ra, dec=M101.dec, radius=0.2 * u.deg)
    assert len(cone) >= len(table)
    with pytest.raises(InvalidQueryError, match="unknown criterion"):
        mast_door.mast_query("Mast.Caom.Filtered", t_exptme=(1, 2))


def test_obsids_of_every_form_including_bytestrings():
    expected = ["2003738726", "2003738727"]
    as_bytes = Table({"obsid": np.array(expected, dtype="S")})
    as_text = Table({"obsid": np.array(expected, dtype="U")})
    assert obsids_of(as_bytes) == obsids_of(as_text) == expected
    assert obsids_of(as_bytes[1]) == expected[1:]
    assert obsids_of([np.bytes_(b"2003738726"), 2003738726, "2003738727"]) == expected
    assert obsids_of("2003738726, 2003738727") == expected
    with pytest.raises(InvalidQueryError, match="obsid"):
        obsids_of(Table({"obs_id": ["U24Z0101T"]}))
    with pytest.raises(InvalidQueryError, match="holds no obsid"):
        obsids_of([])


def test_product_requests_are_batched_in_order():
    ids = list(range(1, 2 * BATCH + 2))
    requests = product_requests(ids)
    assert [len(r["obsid"].split(",")) for r in requests] == [BATCH, BATCH, 1]
    assert ",".join(r["obsid"] for r in requests) == ",".join(map(str, ids))


def test_union_keeps_first_row_of_each_bytestring_key():
    first = Table({"ID": np.array(["a", "b"], dtype="S"), "v": [1, 2]})
    second = Table({"ID": np.array([b"b", "c\u00e9".encode()]), "v": [3, 4]})
    union = _union([first, second], "ID")
    assert text(union["ID"]).tolist() == ["a", "b", "c\u00e9"]
    assert union["v"].tolist() == [1, 2, 4]
