"""Positions, radii and criteria as astronomers give them -> MAST params and filters."""

import datetime
import json
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import Angle, SkyCoord
from astropy.time import Time

from mastq.columns import ColumnsConfig
from mastq.criteria import Not, build_filter_sets, column_specs, find_column
from mastq.exceptions import InvalidQueryError
from mastq.inputs import cone_params, parse_coordinates, parse_radius

DATA = Path(__file__).parent.parent / "data"
M31 = SkyCoord(10.684708 * u.deg, 41.268750 * u.deg)


@pytest.fixture(scope="module")
def caom():
    return column_specs(json.loads((DATA / "columnsconfig.json").read_text()))


@pytest.fixture(scope="module")
def tic():
    return column_specs(json.loads((DATA / "ticcolumns.json").read_text()))


def only(sets):
    assert len(sets) == 1
    return sets[0]


# ----------------------------------------------------------------- coordinates


@pytest.mark.parametrize(
    "given",
    [
        M31,
        M31.galactic,
        M31.transform_to("fk5"),
        M31.frame,
        "10.684708 41.268750",
        "10.684708, 41.268750",
        "00h42m44.33s +41d16m07.5s",
        "00:42:44.33 +41:16:07.5",
        (10.684708, 41.268750),
        [10.684708, 41.268750],
        (10.684708 * u.deg, 41.268750 * u.deg),
        (Angle("0h42m44.33s"), 0.7202758 * u.rad),
        (np.float32(10.684708), np.float64(41.268750)),
    ],
)
def test_coordinates_in_any_form_become_icrs(given):
    coord = parse_coordinates(given)
    assert coord.frame.name == "icrs"
    assert coord.separation(M31) < 0.1 * u.arcsec


@pytest.mark.parametrize(
    "given, words",
    [
        ("M31", "query_object"),
        ((1,), "(ra, dec) pair"),
        (5, "SkyCoord"),
        (("a", "b"), "coordinates[0]"),
        ((1 * u.m, 2 * u.deg), "coordinates[0] must be an angle"),
        (SkyCoord([1, 2], [3, 4], unit="deg"), "one position"),
        ((10, 100), "valid (ra, dec)"),
    ],
)
def test_bad_coordinates_name_the_argument(given, words):
    with pytest.raises(InvalidQueryError, match="coordinates") as info:
        parse_coordinates(given)
    assert words in str(info.value)


# ----------------------------------------------------------------- radius


@pytest.mark.parametrize(
    "given, degrees",
    [
        (0.2, 0.2),
        (1, 1.0),
        (np.float64(0.5), 0.5),
        (3 * u.arcmin, 0.05),
        (36 * u.arcsec, 0.01),
        (Angle(0.1, u.deg), 0.1),
        (1 * u.mas, 1 / 3.6e6),
        (0.01 * u.rad, np.degrees(0.01)),
        ("2 arcmin", 2 / 60),
        (0, 0.0),
    ],
)
def test_radius_any_angular_unit_bare_number_is_degrees(given, degrees):
    assert parse_radius(given).deg == pytest.approx(degrees, rel=1e-12)


@pytest.mark.parametrize(
    "given, words",
    [
        (1 * u.m, "length"),
        (5 * u.s, "time"),
        (-1, "non-negative"),
        (float("nan"), "finite"),
        ("abc", "not an angle"),
        (True, "number of degrees"),
        ([1, 2] * u.deg, "one angle"),
        (None, "number of degrees"),
    ],
)
def test_bad_radius_names_radius(given, words):
    with pytest.raises(InvalidQueryError, match="radius") as info:
        parse_radius(given)
    assert words in str(info.value)


def test_cone_params_are_plain_degrees():
    params = cone_params(M31.galactic, 3 * u.arcmin)
    assert set(params) == {"ra", "dec", "radius"}
    assert all(type(v) is float for v in params.values())
    assert params["ra"] == pytest.approx(10.684708, abs=1e-6)
    assert params["radius"] == pytest.approx(0.05)


# ----------------------------------------------------------------- column metadata


def test_specs_from_config_know_units_mjd_and_kind(caom):
    assert "_selected_" not in caom and "s_fov" not in caom  # UI-only / removed
    assert caom["em_min"].unit == u.nm and caom["em_min"].continuous
    assert caom["t_exptime"].unit == u.s
    assert caom["t_min"].is_mjd and caom["t_obs_release"].is_mjd
    assert caom["t_obs_release"].continuous  # MJD column without a datatype
    assert caom["obsid"].integral and caom["calib_level"].integral
    assert caom["obs_collection"].separator == ";"
    assert not caom["target_name"].continuous


def test_specs_accept_parsed_columns_config():
    raw = json.loads((DATA / "columnsconfig.json").read_text())
    specs = column_specs(ColumnsConfig(raw))
    assert specs["t_min"].is_mjd and specs["em_max"].unit == u.nm
    assert specs["s_ra"].continuous


def test_catalog_histogram_types_make_columns_continuous(tic):
    assert not tic["Tmag"].continuous  # the TIC config alone has no datatypes
    merged = column_specs(
        {"Tmag": {"type": "numeric"}, "Teff": {"vot.unit": "K", "type": "numeric"}}
    )
    assert merged["Tmag"].continuous and merged["Teff"].unit == u.K


# ----------------------------------------------------------------- criteria


def test_lists_mean_or_and_values_are_strings(caom):
    (entry,) = only(build_filter_sets({"obs_collection": ["HST", "JWST"]}, caom))
    assert entry == {"paramName": "obs_collection", "separator": ";", "values": ["HST", "JWST"]}
    (entry,) = only(build_filter_sets({"calib_level": [2, np.int64(3)]}, caom))
    assert entry["values"] == ["2", "3"]


def test_bytestring_values_are_decoded(caom):
    # Values taken from a bytestring (FITS-like, dtype S) text column of a result.
    column = np.array(["HST", "JWST", "TESS"], dtype="S")
    (entry,) = only(build_filter_sets({"obs_collection": column[:2]}, caom))
    assert entry["values"] == ["HST", "JWST"]
    level, target = only(build_filter_sets({"calib_level": [b"3"], "target_name": column[2]}, caom))
    assert level["values"] == ["3"] and target["values"] == ["TESS"]
    sets = build_filter_sets({"target_name": np.array(["M10*"], dtype="S")}, caom)
    assert only(sets)[0]["freeText"] == "M10%"


def test_quantity_ranges_are_converted_to_the_column_unit(caom):
    filters = only(
        build_filter_sets(
            {
                "em_min": (500 * u.nm, 1 * u.um),
                "t_exptime": (100 * u.s, None),
                "em_max": [0.5 * u.um, 1e4 * u.AA],
            },
            caom,
        )
    )
    assert filters[0]["values"] == [{"min": 500.0, "max": 1000.0}]
    assert filters[1]["values"] == [{"min": 100.0, "max": None}]
    assert filters[2]["values"] == [{"min": 500.0, "max": 1000.0}]


def test_frequency_range_is_converted_and_ordered(caom):
    (entry,) = only(build_filter_sets({"em_min": (1 * u.PHz, 100 * u.THz)}, caom))
    low, high = entry["values"][0]["min"], entry["values"][0]["max"]
    assert low == pytest.approx(299.792458) and high == pytest.approx(2997.92458)


def test_minutes_become_seconds(caom):
    (entry,) = only(build_filter_sets({"t_exptime": (2 * u.min, 1 * u.h)}, caom))
    assert entry["values"] == [{"min": 120.0, "max": 3600.0}]


@pytest.mark.parametrize(
    "start",
    [
        Time("2020-01-01"),
        "2020-01-01",
        datetime.datetime(2020, 1, 1),
        Time(58849.0, format="mjd"),
        58849.0,
        58849 * u.d,
    ],
)
def test_times_become_mjd(caom, start):
    (entry,) = only(build_filter_sets({"t_min": (start, None)}, caom))
    assert entry["values"] == [{"min": pytest.approx(58849.0), "max": None}]


def test_times_in_other_scales_become_utc_mjd(caom):
    start = Time("2020-01-01", scale="tt")  # 69.184 s ahead of UTC
    (entry,) = only(build_filter_sets({"t_min": (start, None)}, caom))
    assert entry["values"][0]["min"] == pytest.approx(58849.0 - 69.184 / 86400, abs=1e-9)


def test_time_array_range(caom):
    (entry,) = only(build_filter_sets({"t_max": Time(["2019-01-01", "2019-01-02"])}, caom))
    assert entry["values"][0]["min"] == pytest.approx(58484.0)
    assert entry["values"][0]["max"] == pytest.approx(58485.0)


def test_list_of_ranges_is_or(caom):
    (entry,) = only(build_filter_sets({"t_exptime": [(0, 10), (100, None)]}, caom))
    assert entry["values"] == [{"min": 0.0, "max": 10.0}, {"min": 100.0, "max": None}]


def test_astroquery_style_two_element_list_is_a_range(caom):
    (entry,) = only(build_filter_sets({"t_max": [52264.4586, 54452.8914]}, caom))
    assert entry["values"] == [{"min": 52264.4586, "max": 54452.8914}]


def test_integer_column_takes_a_range_tuple(caom):
    (entry,) = only(build_filter_sets({"calib_level": (2, 3)}, caom))
    assert entry["values"] == [{"min": 2.0, "max": 3.0}]


@pytest.mark.parametrize(
    "values, exact, patterns",
    [
        ("NGC*", [], ["NGC%"]),
        (["M101", "NGC*"], ["M101"], ["NGC%"]),
        (["*31", "M101"], ["M101"], ["%31"]),  # a wildcard first does not eat the next value
        (["A*", "B*", "C"], ["C"], ["A%", "B%"]),
        (["x%y"], [], ["x%y"]),
    ],
)
def test_wildcards_anywhere_become_free_text(caom, values, exact, patterns):
    sets = build_filter_sets({"target_name": values}, caom)
    assert [s[0]["freeText"] for s in sets] == patterns
    assert sets[0][0]["values"] == exact
    assert all(s[0]["values"] == [] for s in sets[1:])


def test_several_wildcards_multiply_filter_sets(caom):
    sets = build_filter_sets(
        {"target_name": ["A*", "B*"], "obs_collection": ["H*", "J*"], "calib_level": 3}, caom
    )
    assert len(sets) == 4
    assert {(s[0]["freeText"], s[1]["freeText"]) for s in sets} == {
        ("A%", "H%"),
        ("A%", "J%"),
        ("B%", "H%"),
        ("B%", "J%"),
    }
    assert all(s[2] == {"paramName": "calib_level", "values": ["3"]} for s in sets)


def test_too_many_wildcard_combinations(caom):
    with pytest.raises(InvalidQueryError, match="wildcard combinations"):
        build_filter_sets(
            {
                "target_name": [f"{c}*" for c in "ABCDE"],
                "obs_collection": [f"{c}*" for c in "ABCD"],
            },
            caom,
        )


def test_negated_range_is_two_open_ranges(caom):
    (entry,) = only(build_filter_sets({"t_exptime": Not((0, 10 * u.s))}, caom))
    assert entry["values"] == [{"min": None, "max": 0.0}, {"min": 10.0, "max": None}]
    (entry,) = only(build_filter_sets({"t_min": Not((Time("2020-01-01"), None))}, caom))
    assert entry["values"] == [{"min": None, "max": pytest.approx(58849.0)}]


def test_negated_exact_values_are_unsupported(caom):
    with pytest.raises(InvalidQueryError, match="obs_collection: negation .* not supported"):
        build_filter_sets({"obs_collection": Not("HST")}, caom)


def test_case_insensitive_column_names(caom):
    assert find_column("S_RA", caom).name == "s_ra"
    (entry,) = only(build_filter_sets({"Obs_Collection": "HST"}, caom))
    assert entry["paramName"] == "obs_collection"


# ----------------------------------------------------------------- criteria errors


@pytest.mark.parametrize(
    "name, suggestion",
    [
        ("obs_collections", "'obs_collection'"),
        ("ra", "'s_ra'"),
        ("target", "'target_name'"),
        ("mission", "'obs_collection'"),
        ("instrument", "'instrument_name'"),
        ("obs_idd", "'obs_id'"),
        ("tmin", "'t_min'"),
    ],
)
def test_unknown_criterion_suggests(caom, name, suggestion):
    with pytest.raises(InvalidQueryError, match=f"unknown criterion '{name}'") as info:
        build_filter_sets({name: "x"}, caom, service="Mast.Caom.Filtered")
    assert "did you mean" in str(info.value) and suggestion in str(info.value)
    assert info.value.service == "Mast.Caom.Filtered"


def test_unknown_criterion_without_any_match(caom):
    with pytest.raises(InvalidQueryError, match="'zzqqxx'") as info:
        build_filter_sets({"zzqqxx": 1}, caom)
    assert "did you mean" not in str(info.value)


def test_obsid_given_a_mission_id_points_at_obs_id(caom):
    with pytest.raises(InvalidQueryError, match=r"did you mean obs_id='U24Z0101T'"):
        build_filter_sets({"obsid": "U24Z0101T"}, caom)


def test_obs_id_given_a_number_points_at_obsid(caom):
    with pytest.raises(InvalidQueryError, match=r"did you mean obsid=2003738726"):
        build_filter_sets({"obs_id": 2003738726}, caom)
    (entry,) = only(build_filter_sets({"obs_id": "2003738726"}, caom))
    assert entry["values"] == ["2003738726"]


@pytest.mark.parametrize(
    "criteria, words",
    [
        ({"t_exptime": 100}, "t_exptime is a continuous column: give a range"),
        ({"em_min": [500]}, "em_min is a continuous column"),
        ({"s_ra": 10 * u.deg}, "s_ra is a continuous column"),
        ({"t_exptime": [1, 2, 3]}, "got 3 values"),
        ({"t_exptime": (None, None)}, "at least one end"),
        ({"t_exptime": (10, 1)}, "min 10.0 is larger than max 1.0"),
        ({"t_exptime": (float("inf"), None)}, "use None for an open end"),
        ({"t_exptime": ("abc", None)}, "expected a number"),
        ({"t_exptime": (True, None)}, "expected a number"),
        ({"em_min": (1 * u.s, None)}, "em_min is in nm; 1.0 s cannot be converted"),
        ({"t_exptime": (Time("2020-01-01"), None)}, "t_exptime is not a time column"),
        ({"t_min": ("not a date", None)}, "is not a time"),
        ({"srcDen": (1 * u.m, None)}, "srcDen has no unit"),
        ({"t_exptime": ([1, 2] * u.s, None)}, "each range end must be one value"),
        ({"target_name": []}, "at least one value"),
        ({"target_name": 5 * u.deg}, "target_name takes exact values"),
        ({"calib_level": "three"}, "calib_level holds integers"),
        ({"obs_collection": None}, "obs_collection: None is not a value to match"),
        ({"target_name": ["M101", None]}, "target_name: None is not a value"),
        ({"calib_level": float("nan")}, "calib_level: nan is not a value"),
    ],
)
def test_bad_values_name_the_criterion(caom, criteria, words):
    with pytest.raises(InvalidQueryError) as info:
        build_filter_sets(criteria, caom)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "coordinates, expected",
    [
        ((np.nan, 1.0), "coordinates[0] must be one finite angle"),
        ((1.0, np.inf * u.deg), "coordinates[1] must be one finite angle"),
        (SkyCoord(np.nan, 1.0, unit="deg"), "coordinates must be a finite position"),
        (SkyCoord(az=20 * u.deg, alt=10 * u.deg, frame="altaz"), "cannot be converted to ICRS"),
        ((b"10", 20), "coordinates[0] must be an angle or a number of degrees, got bytes"),
        ((1e307 * u.rad, 10), "coordinates[0] must be one finite angle"),
    ],
)
def test_non_finite_or_unconvertible_positions_are_named(coordinates, expected):
    with pytest.raises(InvalidQueryError) as info:
        parse_coordinates(coordinates)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    "radius", [np.nan, np.inf, np.nan * u.arcmin, 1e307 * u.rad, b"1", -1 * u.arcsec]
)
def test_non_finite_radii_are_named(radius):
    with pytest.raises(InvalidQueryError, match="radius"):
        parse_radius(radius)
