"""
Bad input over the public API (issue 9), drawn by hypothesis.

Every wrong coordinate, radius, criterion, product table, page size, service, params or
request property gets a mastq error (or a ValueError/TypeError raised by mastq itself)
that names the argument, and no invoke request reaches the local MAST (fetching column
metadata to check criteria is allowed).  The local MAST of this module counts the
requests it gets (`count_requests` of ``bench/soak.py``).

The last tests are gaps the soak found (ragged obsid lists, non-angle positions in
``mast_query``), now fixed.
"""

import importlib.util
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mastq
from mastq.catalogs import CatalogsClass
from mastq.emulator import Emulator
from mastq.exceptions import MastqError
from mastq.mast import MastClass
from mastq.observations import ObservationsClass

_SOAK = Path(__file__).resolve().parent.parent / "bench" / "soak.py"
_MASTQ = str(Path(mastq.__file__).resolve().parent)
M101 = SkyCoord(210.802429, 54.34875, unit="deg")
CONE = {"ra": 210.8, "dec": 54.35, "radius": 0.1}

quick = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _count_requests(emulator):
    if "soak" not in sys.modules:
        spec = importlib.util.spec_from_file_location("soak", _SOAK)
        sys.modules["soak"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["soak"])
    return sys.modules["soak"].count_requests(emulator)


class Local:
    """The public classes pointed at a counting local MAST."""

    def __init__(self, counts):
        self.counts = counts
        self.obs, self.cat, self.mast = ObservationsClass(), CatalogsClass(), MastClass()

    def rejects(self, call, *names):
        """
        Assert ``call()`` is refused before any invoke request, by an error naming one of
        ``names``, raised by mastq (not from deep inside a library).
        """
        before = self.counts["invoke"]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises((MastqError, ValueError, TypeError)) as info:
                call()
        error = info.value
        assert self.counts["invoke"] == before, f"an invoke request was sent before {error!r}"
        assert any(name in str(error) for name in names), (
            f"{type(error).__name__}: {error} names none of {names}"
        )
        if not isinstance(error, MastqError):
            assert str(Path(info.traceback[-1].path).resolve()).startswith(_MASTQ), (
                f"raw {type(error).__name__} from {info.traceback[-1].path}: {error}"
            )
        return error


@pytest.fixture(scope="module")
def local():
    server = Emulator().start()
    counts = _count_requests(server)
    try:
        with mastq.conf.set_temp("server", server.url), mastq.conf.set_temp("cache", False):
            local = Local(counts)
            # Column metadata is fetched once per service (allowed before refusing criteria).
            local.obs.query_criteria(coordinates=M101, radius=0.1, obs_collection="HST")
            local.cat.query_criteria("Tic", coordinates=M101, radius=0.1, Tmag=(0, 30))
            yield local
    finally:
        server.stop()


# --------------------------------------------------------------------------------------
# Strategies of wrong input
# --------------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
not_finite = st.sampled_from([math.nan, math.inf, -math.inf])
odd_objects = st.one_of(
    st.none(),
    st.booleans(),
    st.complex_numbers(allow_nan=False),
    st.binary(max_size=4),
    st.builds(object),
    st.dictionaries(st.text(max_size=3), finite, max_size=2),
    st.sets(st.integers(), max_size=2),
)
not_angle_units = st.sampled_from([u.s, u.m, u.kg, u.K, u.Jy, u.dimensionless_unscaled])

bad_coordinates = st.one_of(
    odd_objects,
    st.integers(),
    finite,
    st.tuples(
        finite,
        st.one_of(
            st.floats(min_value=90.0001, max_value=1e6),
            st.floats(min_value=-1e6, max_value=-90.0001),
        ),
    ),
    st.tuples(finite, not_finite),
    st.tuples(not_finite, finite.filter(lambda d: abs(d) < 90)),
    st.lists(finite, min_size=3, max_size=5).map(tuple),
    st.lists(finite, max_size=1),
    st.tuples(finite, finite, not_angle_units).map(lambda t: (t[0] * t[2], t[1] * t[2])),
    st.just(SkyCoord([], [], unit="deg")),  # an empty array (arrays are many targets)
    st.just(SkyCoord([1, np.nan], [2, 3], unit="deg")),
    st.integers(min_value=1, max_value=3).map(lambda n: np.zeros((n, 2))),
    st.sampled_from(["", "   ", "12 34 56 78 90", "abc def", "1d 2m 3x 4"]),
)
bad_radii = st.one_of(
    odd_objects.filter(lambda v: v is not None),  # radius=None means the default
    st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
    not_finite,
    st.tuples(finite, not_angle_units).map(lambda t: t[0] * t[1]),
    st.lists(finite, min_size=1, max_size=3),
    st.sampled_from(["abc", "", "1 parsec", "-2d"]),
    st.integers(min_value=1, max_value=3).map(lambda n: np.ones(n) * u.deg),
)
bad_sizes = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True).filter(lambda f: not f.is_integer() if math.isfinite(f) else True),
    st.just(1e300),
    st.booleans(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.builds(object),
    st.complex_numbers(allow_nan=False),
)
bad_observations = st.one_of(
    st.none(),
    st.lists(st.none(), min_size=1, max_size=2),
    st.just([]),
    not_finite,
    st.lists(st.lists(st.integers(), min_size=2, max_size=2), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2),
    st.builds(object),
    st.floats(max_value=-1, allow_nan=False, allow_infinity=False),
    st.just(Table({"x": [1, 2]})),
    st.just(Table({"obsid": np.array([], dtype=int)})),
)


# --------------------------------------------------------------------------------------
# Positions and radii
# --------------------------------------------------------------------------------------


@quick
@given(coordinates=bad_coordinates)
def test_query_region_refuses_bad_coordinates(local, coordinates):
    local.rejects(lambda: local.obs.query_region(coordinates), "coordinates")


@quick
@given(coordinates=bad_coordinates, catalog=st.sampled_from(["Tic", "Ctl", "GaiaDR3"]))
def test_catalog_query_region_refuses_bad_coordinates(local, coordinates, catalog):
    local.rejects(lambda: local.cat.query_region(coordinates, catalog=catalog), "coordinates")


@quick
@given(radius=bad_radii)
def test_every_cone_refuses_bad_radii(local, radius):
    local.rejects(lambda: local.obs.query_region(M101, radius=radius), "radius")
    local.rejects(lambda: local.obs.query_region_count(M101, radius=radius), "radius")
    local.rejects(lambda: local.cat.query_region(M101, radius=radius), "radius")
    local.rejects(
        lambda: local.obs.query_criteria(coordinates=M101, radius=radius, obs_collection="HST"),
        "radius",
    )


@quick
@given(
    name=st.one_of(
        odd_objects.filter(lambda v: not isinstance(v, (set, dict))),
        st.integers(),
        st.just(""),
        st.just("  "),
    )
)
def test_query_object_refuses_what_is_not_a_name(local, name):
    local.rejects(lambda: local.obs.query_object(name), "objectname")


# --------------------------------------------------------------------------------------
# Criteria
# --------------------------------------------------------------------------------------


@quick
@given(name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=3, max_size=12))
def test_unknown_criteria_are_refused_by_name(local, name):
    if name in local.obs.get_metadata("observations")["Column Name"]:
        return
    local.rejects(lambda: local.obs.query_criteria(obs_collection="HST", **{name: 1}), name)


@quick
@given(
    value=st.one_of(
        not_finite,
        st.tuples(finite, finite, finite),
        st.tuples(finite, not_angle_units).map(lambda t: (t[0] * u.m, t[0] * u.m)),
        st.integers(min_value=1, max_value=3).map(lambda n: np.zeros((n, 3))),
        st.sampled_from(["long", "", "1..2"]),
    )
)
def test_wrong_ranges_of_a_continuous_column_are_refused(local, value):
    local.rejects(lambda: local.obs.query_criteria(coordinates=M101, t_exptime=value), "t_exptime")


@quick
@given(
    value=st.one_of(
        not_finite,
        st.integers(min_value=1, max_value=3).map(lambda n: np.zeros((n, 3))),
        st.tuples(finite, not_angle_units).map(lambda t: t[0] * t[1]),
    )
)
def test_wrong_values_of_a_catalog_column_are_refused(local, value):
    local.rejects(lambda: local.cat.query_criteria("Tic", coordinates=M101, Tmag=value), "Tmag")


def test_no_criterion_at_all_is_refused(local):
    local.rejects(lambda: local.obs.query_criteria(), "criterion")
    local.rejects(lambda: local.obs.query_criteria(coordinates=M101), "criterion")


@pytest.mark.parametrize("catalog", [3, None, b"Tic", ["Tic"], ""])
def test_catalog_names_of_a_wrong_type_are_refused(local, catalog):
    local.rejects(lambda: local.cat.query_region(M101, catalog=catalog), "catalog")
    local.rejects(lambda: local.cat.query_criteria(catalog, Tmag=(1, 2)), "catalog")


def test_a_list_and_a_set_of_values_give_the_same_rows(local):
    as_list = local.obs.query_criteria(coordinates=M101, radius=0.2, obs_collection=["HST", "JWST"])
    as_set = local.obs.query_criteria(coordinates=M101, radius=0.2, obs_collection={"HST", "JWST"})
    assert len(as_list) > 0
    assert sorted(as_set["obsid"].astype(str)) == sorted(as_list["obsid"].astype(str))


ITERABLES = {
    "generator": lambda values: (v for v in values),
    "dict keys": lambda values: dict.fromkeys(values).keys(),
    "dict values": lambda values: {i: v for i, v in enumerate(values)}.values(),
    "pandas Series": pd.Series,
    "numpy array": np.array,
    "map": lambda values: map(str, values),
}


@pytest.mark.parametrize("kind", list(ITERABLES))
def test_iterables_of_values_mean_what_a_list_means(local, kind):
    """An iterable of values is the list of them (OR), or it is refused; never a scalar."""
    values = ["HST", "JWST"]
    expected = local.obs.query_criteria(coordinates=M101, radius=0.2, obs_collection=values)
    assert len(expected) > 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = local.obs.query_criteria(
                coordinates=M101, radius=0.2, obs_collection=ITERABLES[kind](values)
            )
    except (MastqError, TypeError, ValueError) as error:
        assert "obs_collection" in str(error)
        return
    assert sorted(got["obsid"].astype(str)) == sorted(expected["obsid"].astype(str))


# --------------------------------------------------------------------------------------
# Products, page sizes, services and request properties
# --------------------------------------------------------------------------------------


@quick
@given(observations=bad_observations)
def test_get_product_list_refuses_what_holds_no_obsid(local, observations):
    local.rejects(lambda: local.obs.get_product_list(observations), "observations", "obsid")


@quick
@given(size=bad_sizes, which=st.sampled_from(["pagesize", "page"]))
def test_page_sizes_and_pages_of_every_wrong_type_are_refused(local, size, which):
    local.rejects(lambda: local.obs.query_region(M101, **{which: size}), which)
    local.rejects(lambda: local.cat.query_region(M101, **{which: size}), which)
    local.rejects(lambda: local.obs.query_criteria(obs_collection="HST", **{which: size}), which)
    local.rejects(
        lambda: local.mast.service_request("Mast.Caom.Cone", CONE, **{which: size}), which
    )


@quick
@given(service=st.one_of(odd_objects, st.integers(), st.just(""), st.just("   ")))
def test_services_that_are_not_names_are_refused(local, service):
    local.rejects(lambda: local.mast.service_request(service, CONE), "service")
    local.rejects(lambda: local.mast.mast_query(service), "service")


@quick
@given(
    params=st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=3),
        st.builds(object),
    )
)
def test_params_that_are_not_a_mapping_are_refused(local, params):
    local.rejects(lambda: local.mast.service_request("Mast.Caom.Cone", params), "params")


@quick
@given(
    prop=st.sampled_from(["format", "timeout", "removenullcolumns", "clearcache"]),
    value=st.one_of(
        st.text(max_size=4),
        st.integers(max_value=0),
        st.builds(object),
        not_finite,
        st.lists(st.integers(), max_size=2),
    ),
)
def test_request_properties_of_a_wrong_type_are_refused(local, prop, value):
    if prop == "format" and value in ("json", "csv", "extjs", "votable"):
        return
    local.rejects(lambda: local.mast.service_request("Mast.Caom.Cone", CONE, **{prop: value}), prop)


@pytest.mark.parametrize("value", ["yes", 1, 0.5, [True]])
@pytest.mark.parametrize("prop", ["cache", "times"])
def test_cache_and_times_must_be_booleans(local, prop, value):
    local.rejects(lambda: local.obs.query_region(M101, radius=0.01, **{prop: value}), prop)


@pytest.mark.parametrize(
    "position", [(math.nan, 10.0), (10.0, math.nan), (math.nan * u.deg, 1 * u.deg)]
)
def test_nan_coordinates_are_refused_before_sending(local, position):
    local.rejects(lambda: local.obs.query_region(position), "coordinates")


@pytest.mark.parametrize("timeout", [math.nan, math.inf])
def test_timeout_must_be_finite(local, timeout):
    local.rejects(
        lambda: local.mast.service_request("Mast.Caom.Cone", CONE, timeout=timeout), "timeout"
    )


@quick
@given(
    value=st.one_of(
        st.none(),
        st.builds(object),
        st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2),
        st.lists(st.lists(st.text(max_size=3), min_size=1, max_size=2), min_size=1, max_size=2),
        st.just([]),
        st.just(iter([])),
        st.builds(lambda: (v for v in [])),
    )
)
def test_criterion_values_of_a_wrong_type_are_refused(local, value):
    local.rejects(lambda: local.obs.query_criteria(obs_collection=value), "obs_collection")


# --------------------------------------------------------------------------------------
# Gaps the soak found, now fixed
# --------------------------------------------------------------------------------------


def test_ragged_obsid_lists_are_refused_by_name(local):
    local.rejects(lambda: local.obs.get_product_list([[1], [1, 2]]), "observations")


def test_mast_query_refuses_positions_that_are_not_angles(local):
    local.rejects(lambda: local.mast.mast_query("Mast.Caom.Cone", ra="x", dec=1, radius=1), "ra")
