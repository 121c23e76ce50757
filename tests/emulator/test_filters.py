"""Unit tests of the Mashup filter grammar and of the sky helpers of the local MAST."""

import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from mastq.emulator.model import ServiceError
from mastq.emulator.services.filters import Categorical, filter_mask, select_columns
from mastq.emulator.services.sky import cone_select, parse_cone, parse_position


@pytest.fixture
def columns():
    return {
        "target_name": np.array(["NGC 1", "ngc2", "M1", None], dtype=object),
        "t_exptime": np.ma.masked_array([1.0, 2.0, 3.0, 4.0], mask=[0, 0, 0, 1]),
        "calib_level": np.array([1, 2, 3, 3]),
        "target_classification": Categorical(
            np.array([0, 1, -1, 2]), np.array(["GALAXY;STAR", "STAR", "X"])
        ),
        "mtFlag": np.array([True, False, True, False]),
    }


def mask(filters, columns, **kw):
    return filter_mask(filters, columns, nrows=4, **kw).tolist()


def test_discrete_values_are_ored_and_case_insensitive(columns):
    assert mask([{"paramName": "target_name", "values": ["m1", "NGC 1"]}], columns) == [
        True,
        False,
        True,
        False,
    ]


def test_numeric_discrete_compares_numbers(columns):
    assert mask([{"paramName": "calib_level", "values": ["3", 1]}], columns) == [
        True,
        False,
        True,
        True,
    ]


def test_filters_are_anded(columns):
    flt = [
        {"paramName": "calib_level", "values": ["3"]},
        {"paramName": "t_exptime", "values": [{"min": 2.5, "max": None}]},
    ]
    assert mask(flt, columns) == [False, False, True, False]


def test_open_and_closed_ranges_skip_nulls(columns):
    assert mask([{"paramName": "t_exptime", "values": [{"min": 2}]}], columns) == [
        False,
        True,
        True,
        False,
    ]
    assert mask([{"paramName": "t_exptime", "values": [{"max": "1.5"}]}], columns) == [
        True,
        False,
        False,
        False,
    ]


def test_free_text_is_like(columns):
    assert mask([{"paramName": "TARGET_NAME", "values": [], "freeText": "ngc%"}], columns) == [
        True,
        True,
        False,
        False,
    ]
    assert mask([{"paramName": "target_name", "values": [], "freeText": "M_"}], columns) == [
        False,
        False,
        True,
        False,
    ]


def test_separator_splits_multi_valued(columns):
    flt = [{"paramName": "target_classification", "values": ["star"]}]
    assert mask(flt, columns) == [False, True, False, False]
    assert mask(flt, columns, separators={"target_classification": ";"}) == [
        True,
        True,
        False,
        False,
    ]
    flt[0]["separator"] = ";"
    assert mask(flt, columns) == [True, True, False, False]


def test_boolean_column_and_empty_filter(columns):
    assert mask([{"paramName": "mtFlag", "values": ["true"]}], columns) == [
        True,
        False,
        True,
        False,
    ]
    assert mask([{"paramName": "mtFlag", "values": []}], columns) == [True] * 4
    assert mask(None, columns) == [True] * 4


@pytest.mark.parametrize(
    "bad, word",
    [
        ([{"paramName": "nope", "values": [1]}], "nope"),
        ([{"values": [1]}], "paramName"),
        ([{"paramName": "calib_level", "values": ["abc"]}], "calib_level"),
        ([{"paramName": "t_exptime", "values": [{"min": "x"}]}], "min"),
        ([{"paramName": "t_exptime", "values": [{"low": 1}]}], "low"),
        ("calib_level=3", "filters"),
    ],
)
def test_malformed_filters_name_the_problem(columns, bad, word):
    with pytest.raises(ServiceError, match=word):
        filter_mask(bad, columns, nrows=4)


def test_select_columns():
    names = ["a", "b", "c"]
    assert select_columns("*", names) == names
    assert select_columns("count_big( * )", names) == "COUNT"
    assert select_columns("C, a", names) == ["c", "a"]
    with pytest.raises(ServiceError, match="zz"):
        select_columns("a,zz", names)
    with pytest.raises(ServiceError, match="columns"):
        select_columns(None, names)


@pytest.mark.parametrize(
    "ra0, dec0, radius",
    [
        (0.1, 0.0, 5.0),
        (359.9, 10.0, 3.0),
        (10.0, 89.5, 2.0),
        (100.0, -88.0, 5.0),
        (200.0, 45.0, 30.0),
        (50.0, 20.0, 100.0),
    ],
)
def test_cone_select_matches_astropy(ra0, dec0, radius):
    rng = np.random.default_rng(1)
    ra = rng.uniform(0, 360, 20000)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, 20000)))
    index, distance = cone_select(ra, dec, ra0, dec0, radius)
    sep = SkyCoord(ra, dec, unit="deg").separation(SkyCoord(ra0, dec0, unit="deg")).deg
    assert set(index.tolist()) == set(np.flatnonzero(sep <= radius).tolist())
    assert len(index) > 0
    np.testing.assert_allclose(distance, sep[index] * 3600, atol=1e-6)
    assert np.all(np.diff(distance) >= 0)
    assert index.dtype == np.int64


def test_parse_cone_and_position():
    assert parse_cone({"ra": "10", "dec": -5, "radius": 0.2}, service="S") == (10.0, -5.0, 0.2)
    assert parse_position("-350, 1.5, 0.1", service="S") == (10.0, 1.5, 0.1)
    for ra in (370, 400, -361):  # out of range is an error, never a wrapped RA or zero rows
        with pytest.raises(ServiceError, match="'ra' must be between -360 and 360"):
            parse_cone({"ra": ra, "dec": 0, "radius": 1}, service="Mast.Caom.Cone")
    for params, word in (
        ({"dec": 1, "radius": 1}, "'ra'"),
        ({"ra": 1, "dec": 95, "radius": 1}, "'dec'"),
        ({"ra": 1, "dec": 0, "radius": "big"}, "'radius'"),
    ):
        with pytest.raises(ServiceError, match=word):
            parse_cone(params, service="Mast.Caom.Cone")
    for bad in (None, "1, 2", 5, "a, b, c"):
        with pytest.raises(ServiceError, match="position"):
            parse_position(bad, service="Mast.Caom.Filtered.Position")
