"""Criteria: any iterable means a list of values, MAST's own range form, declared types decide."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mastq.criteria import build_filter_sets, column_specs
from mastq.exceptions import InvalidQueryError
from tests.client import test_parity_astroquery as parity

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def caom():
    return column_specs(json.loads((DATA / "columnsconfig.json").read_text()))


def only(sets):
    (filters,) = sets
    return filters


def values_of(criteria, specs):
    (entry,) = only(build_filter_sets(criteria, specs))
    return entry["values"]


def generator():
    yield from ("HST", "JWST")


@pytest.mark.parametrize(
    "given",
    [
        ["HST", "JWST"],
        ("HST", "JWST"),
        {"HST", "JWST"},
        frozenset({"JWST", "HST"}),
        {"HST": 1, "JWST": 2}.keys(),
        {1: "HST", 2: "JWST"}.values(),
        generator(),
        iter(["HST", "JWST"]),
        map(str.upper, ["hst", "jwst"]),
        np.array(["HST", "JWST"]),
        np.array([b"HST", b"JWST"]),
        pd.Series(["HST", "JWST"]),
    ],
)
def test_any_iterable_is_a_list_of_values(caom, given):
    assert sorted(values_of({"obs_collection": given}, caom)) == ["HST", "JWST"]


def test_sets_are_sent_in_one_order(caom):
    assert values_of({"obs_collection": {"JWST", "HST", "TESS"}}, caom) == ["HST", "JWST", "TESS"]


def test_iterables_of_numbers_on_integer_and_float_columns(caom):
    assert values_of({"calib_level": np.arange(2, 4)}, caom) == ["2", "3"]
    assert values_of({"calib_level": pd.Series([1, 3])}, caom) == ["1", "3"]
    assert values_of({"calib_level": (2, 3)}, caom) == [{"min": 2.0, "max": 3.0}]  # a range
    assert values_of({"t_exptime": np.array([10, 20])}, caom) == [{"min": 10.0, "max": 20.0}]
    assert values_of({"t_exptime": (x for x in (1, 2))}, caom) == [{"min": 1.0, "max": 2.0}]


@pytest.mark.parametrize(
    "bad",
    [True, np.bool_(False), [True], object(), [object()], {"HST": 1}, [["HST"]], [{"min": 1}]],
)
def test_non_scalars_are_rejected_naming_the_criterion(caom, bad):
    with pytest.raises(InvalidQueryError, match="obs_collection"):
        build_filter_sets({"obs_collection": bad}, caom)


def test_non_iterable_objects_are_rejected_on_range_columns(caom):
    with pytest.raises(InvalidQueryError, match="t_exptime"):
        build_filter_sets({"t_exptime": object()}, caom)
    with pytest.raises(InvalidQueryError, match="t_exptime"):
        build_filter_sets({"t_exptime": (True, 3)}, caom)


def test_mast_own_range_form(caom):
    assert values_of({"t_exptime": [{"min": 100, "max": 200}]}, caom) == [
        {"min": 100.0, "max": 200.0}
    ]
    assert values_of({"t_exptime": {"min": 100, "max": None}}, caom) == [
        {"min": 100.0, "max": None}
    ]
    assert values_of({"t_exptime": [{"min": 1, "max": 2}, (5, None)]}, caom) == [
        {"min": 1.0, "max": 2.0},
        {"min": 5.0, "max": None},
    ]
    assert values_of({"calib_level": [{"min": 2, "max": 3}]}, caom) == [{"min": 2.0, "max": 3.0}]
    with pytest.raises(InvalidQueryError, match="'min' and 'max'"):
        build_filter_sets({"t_exptime": [{"low": 1, "max": 2}]}, caom)
    with pytest.raises(InvalidQueryError, match="obs_collection takes exact values"):
        build_filter_sets({"obs_collection": [{"min": 1, "max": 2}]}, caom)


def test_astroquery_min_max_list_on_a_float_column_is_a_range(caom):
    assert values_of({"t_max": [52264.4586, 54452.8914]}, caom) == [
        {"min": 52264.4586, "max": 54452.8914}
    ]
    assert values_of({"t_exptime": [(0, 10)]}, caom) == [{"min": 0.0, "max": 10.0}]
    with pytest.raises(InvalidQueryError, match="continuous column"):
        build_filter_sets({"t_exptime": [10]}, caom)


@pytest.mark.parametrize("declared", ["decimal", "real", "numeric", "double", "float"])
def test_every_float_type_takes_min_max_ranges(declared):
    specs = column_specs({"x": {"vot.datatype": declared}})
    assert values_of({"x": (1, 2)}, specs) == [{"min": 1.0, "max": 2.0}]


@pytest.mark.parametrize("declared", ["bigint", "smallint", "int", "long", "short"])
def test_every_integer_type_takes_exact_integers(declared):
    specs = column_specs({"n": {"vot.datatype": declared}})
    assert values_of({"n": [1, 2.0]}, specs) == ["1", "2"]
    with pytest.raises(InvalidQueryError, match="holds integers"):
        build_filter_sets({"n": "x"}, specs)


def test_query_criteria_with_iterables_on_the_local_mast(obs):
    collection = np.array(["HST", "JWST"])
    listed = obs.query_criteria(objectname="M101", radius=0.5, obs_collection=list(collection))
    assert len(listed) > 0
    for given in (
        {"HST": 1, "JWST": 1}.keys(),
        (c for c in collection),
        collection,
        pd.Series(collection),
        set(collection),
    ):
        table = obs.query_criteria(objectname="M101", radius=0.5, obs_collection=given)
        assert sorted(table["obsid"]) == sorted(listed["obsid"])


def test_mast_query_takes_mast_filter_values(mast_door):
    table = mast_door.mast_query(
        "Mast.Catalogs.Filtered.Tic.Rows", columns="ID,Teff", Teff=[{"min": 4250, "max": 4500}]
    )
    assert len(table) > 0 and table.colnames == ["ID", "Teff"]
    assert np.all((table["Teff"] >= 4250) & (table["Teff"] <= 4500))
    assert table["ID"].dtype.kind == "U"  # TIC ids are declared string, as in astroquery
    same = mast_door.mast_query(
        "Mast.Catalogs.Filtered.Tic.Rows", columns="ID,Teff", Teff=(4250, 4500)
    )
    assert sorted(same["ID"]) == sorted(table["ID"])
    one = mast_door.mast_query(
        "Mast.Catalogs.Filtered.Tic.Rows", columns="ID", ID=[str(table["ID"][0])]
    )
    assert list(one["ID"]) == [table["ID"][0]]


def test_mast_form_lists_are_values_and_objects_are_ranges(caom):
    def mast(value):
        (entry,) = only(build_filter_sets({"t_exptime": value}, caom, mast_form=True))
        return entry["values"]

    assert mast([100, 200.5]) == [100, 200.5]  # as astroquery's mast_query sends them
    assert mast(np.array([100])) == [100] and type(mast(np.array([100]))[0]) is int
    assert mast([{"min": 1, "max": 2}]) == [{"min": 1.0, "max": 2.0}]
    assert mast((1, None)) == [{"min": 1.0, "max": None}]
    assert values_of({"t_exptime": [100, 200.5]}, caom) == [{"min": 100.0, "max": 200.5}]
    with pytest.raises(InvalidQueryError, match="t_exptime"):
        mast([True])


# ------------------------------------------------------- side by side with astroquery.mast

clients = parity.clients  # the fixture pointing astroquery.mast and mastq at the local MAST
M101, aq_mast = parity.M101, parity.aq_mast


def test_mast_query_example_matches_astroquery(clients):
    criteria = {"columns": "ID,Teff", "Teff": [{"min": 4250, "max": 4500}]}
    ours = clients[2].mast_query("Mast.Catalogs.Filtered.Tic.Rows", **criteria)
    theirs = aq_mast.Mast.mast_query("Mast.Catalogs.Filtered.Tic.Rows", **criteria)
    assert len(ours) == len(theirs) > 0
    assert sorted(ours["ID"]) == sorted(theirs["ID"])
    assert ours["ID"].dtype.kind == theirs["ID"].dtype.kind == "U"


def test_query_criteria_dtypes_match_astroquery(clients):
    ours = clients[0].query_criteria(coordinates=M101, radius=0.2, obs_collection=["HST"])
    theirs = aq_mast.Observations.query_criteria(
        coordinates=M101, radius=0.2, obs_collection=["HST"]
    )
    assert ours.colnames == theirs.colnames and len(ours) == len(theirs) > 0
    kinds = {"U": "U", "f": "f", "i": "i", "b": "b"}
    for name in ours.colnames:
        assert kinds[ours[name].dtype.kind] == theirs[name].dtype.kind, name
    obsid = theirs["obsid"][0]
    assert len(ours[ours["obsid"] == obsid]) == len(theirs[theirs["obsid"] == obsid]) == 1
    assert (
        np.isin(ours["obs_collection"], ["HST"]).sum()
        == np.isin(theirs["obs_collection"], ["HST"]).sum()
        == len(ours)
    )
