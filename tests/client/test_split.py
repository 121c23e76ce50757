"""Queries beyond the row limit (`mastq.split`) and ``max_rows``, against local MASTs."""

import contextlib

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

import mastq
from mastq.catalogs import CatalogsClass
from mastq.exceptions import InvalidQueryError, MaxResultsWarning, RowLimitError
from mastq.observations import ObservationsClass
from mastq.services import ServiceClient

M101 = SkyCoord(210.802429 * u.deg, 54.34875 * u.deg)
FIELD = (150.0, 2.0, 0.5, 200_000)
"""A dense field: 200,000 observations within 0.5 deg of (150, 2)."""


@contextlib.contextmanager
def on(server, **conf):
    """``mastq.conf`` pointed at ``server`` (no cache), with other items set."""
    items = {"server": server.url, "cache": False, **conf}
    with contextlib.ExitStack() as stack:
        for name, value in items.items():
            stack.enter_context(mastq.conf.set_temp(name, value))
        yield


@pytest.fixture
def small_and_free(mast_emulator_factory):
    """The default archive behind a server resetting above 100 rows, and a limit-free one."""
    return mast_emulator_factory(row_limit=100), mast_emulator_factory()


def as_str(column):
    return np.asarray(column).astype(str)


def by_key(table, key):
    return dict(zip(as_str(table[key]).tolist(), range(len(table)), strict=True))


def assert_same_rows(split, whole, key, columns):
    """Same row set (by key, no duplicates) and the same values in ``columns``."""
    assert len(split) == len(whole)
    assert len(set(as_str(split[key]))) == len(split)
    assert set(as_str(split[key])) == set(as_str(whole[key]))
    rows = by_key(whole, key)
    order = [rows[k] for k in as_str(split[key]).tolist()]
    for name in columns:
        assert np.array_equal(np.asarray(split[name]), np.asarray(whole[name])[order]), name


# ----------------------------------------------------------------- the 200,000-row field


def test_cone_of_200000_rows_under_a_50000_limit_is_the_limit_free_answer(mast_emulator_factory):
    limited = mast_emulator_factory(row_limit=50_000, dense_field=FIELD)
    free = mast_emulator_factory(dense_field=FIELD, archive=limited.app.archive)
    with on(limited, row_limit=50_000, max_workers=2):
        table = ObservationsClass().query_region("150 2", radius=0.5 * u.deg)
    assert table.meta["split_parts"] >= 4 and table.meta["truncated"] is False
    assert table.meta["service"] == "Mast.Caom.Cone"
    with on(free):  # the limit-free answer: its ids and a few columns, and its column order
        whole = ServiceClient().service_request(
            "Mast.Caom.Filtered.Position",
            {
                "columns": "obsid,s_ra,s_dec,t_min,obs_collection,target_name",
                "filters": [],
                "position": "150, 2, 0.5",
            },
        )
        shape = ServiceClient().service_request(
            "Mast.Caom.Cone", {"ra": 150, "dec": 2, "radius": 0.01}
        )
    assert len(whole) > 200_000
    assert_same_rows(
        table,
        whole,
        "obsid",
        ["s_ra", "s_dec", "t_min", "obs_collection", "target_name", "distance"],
    )
    assert table.colnames == shape.colnames
    assert table["s_ra"].unit == u.deg and table["distance"].unit == u.arcsec
    bands = np.diff(np.asarray(table["distance"])) < 0  # by distance within each part
    assert 3 <= np.count_nonzero(bands) + 1 <= table.meta["split_parts"]


# ----------------------------------------------------------------- cones and criteria


def test_catalog_cone_split_matches_the_whole_cone(small_and_free):
    limited, free = small_and_free
    with on(free):
        whole = CatalogsClass().query_region(M101, catalog="Tic", radius=0.5 * u.deg)
    with on(limited, row_limit=100):
        table = CatalogsClass().query_region(M101, catalog="Tic", radius=0.5 * u.deg)
    assert len(whole) > 200 and table.meta["split_parts"] >= 3
    assert table.colnames == whole.colnames
    assert_same_rows(table, whole, "ID", ["ra", "dec", "Tmag", "dstArcSec"])


def test_criteria_split_on_declination_over_the_sky(mast_emulator_factory):
    limited, free = mast_emulator_factory(row_limit=1000), mast_emulator_factory()
    with on(free):
        whole = ObservationsClass().query_criteria(obs_collection="HST")
    with on(limited, row_limit=1000):
        table = ObservationsClass().query_criteria(obs_collection="HST")
    assert len(whole) > 5000 and table.meta["split_parts"] >= 6
    assert table.meta["split_column"] == "s_dec"
    assert table.colnames == whole.colnames
    assert_same_rows(table, whole, "obsid", ["s_dec", "t_min", "instrument_name"])
    assert table.meta["service"] == "Mast.Caom.Filtered"


def test_criteria_split_on_the_time_range_given(mast_emulator_factory):
    limited, free = mast_emulator_factory(row_limit=1000), mast_emulator_factory()
    criteria = {"obs_collection": ["HST", "JWST"], "t_min": (50000, 60000)}
    with on(free):
        whole = ObservationsClass().query_criteria(**criteria)
    with on(limited, row_limit=1000):
        table = ObservationsClass().query_criteria(**criteria)
    assert len(whole) > 2000 and table.meta["split_parts"] >= 3
    assert table.meta["split_column"] == "t_min"
    assert_same_rows(table, whole, "obsid", ["t_min", "s_ra"])


def test_a_reset_on_a_large_query_triggers_the_plan(small_and_free):
    """conf.row_limit (500,000) above the server's (100): MAST's reset starts the plan."""
    limited, free = small_and_free
    with on(free):
        whole = ObservationsClass().query_region(M101, radius=0.5 * u.deg)
    with on(limited, retries=0, retry_backoff=0):
        table = ObservationsClass().query_object("M101", radius=0.5 * u.deg)
    assert len(whole) > 200 and table.meta["split_parts"] >= 3
    assert table.colnames == whole.colnames
    assert_same_rows(table, whole, "obsid", ["s_ra", "distance", "obs_id"])


def test_a_query_that_cannot_be_split_says_why(small_and_free):
    limited, _ = small_and_free
    with on(limited, row_limit=100), pytest.raises(RowLimitError, match="s_dec"):
        ObservationsClass().query_criteria(obs_collection="HST", s_dec=[(-90, -10), (10, 90)])


def test_a_query_within_the_limit_runs_whole(obs):
    table = obs.query_region(M101, radius=0.2 * u.deg)
    assert "split_parts" not in table.meta and table.meta["truncated"] is False
    assert table.meta["service"] == "Mast.Caom.Cone" and table.meta["pages"] >= 1


# ----------------------------------------------------------------- max_rows


def test_max_rows_caps_and_says_so(obs):
    whole = obs.query_region(M101, radius=0.2 * u.deg)
    with pytest.warns(MaxResultsWarning, match=f"first 10 of {len(whole)} rows"):
        table = obs.query_region(M101, radius=0.2 * u.deg, max_rows=10)
    assert len(table) == 10
    assert table.meta["truncated"] is True and table.meta["rows_available"] == len(whole)
    assert list(as_str(table["obsid"])) == list(as_str(whole["obsid"][:10]))  # the nearest


def test_max_rows_above_the_result_is_silent(obs):
    table = obs.query_region(M101, radius=0.2 * u.deg, max_rows=10**6)
    assert table.meta["truncated"] is False and "rows_available" not in table.meta


def test_max_rows_on_a_split_cone_keeps_the_nearest(small_and_free):
    limited, free = small_and_free
    with on(free):
        whole = CatalogsClass().query_region(M101, catalog="Tic", radius=0.5 * u.deg)
    with on(limited, row_limit=100), pytest.warns(MaxResultsWarning):
        table = CatalogsClass().query_region(M101, catalog="Tic", radius=0.5 * u.deg, max_rows=150)
    assert table.meta["split_parts"] >= 3 and table.meta["rows_available"] == len(whole)
    assert list(as_str(table["ID"])) == list(as_str(whole["ID"][:150]))


def test_max_rows_on_a_split_query(small_and_free):
    limited, _ = small_and_free
    with on(limited, row_limit=100), pytest.warns(MaxResultsWarning):
        table = CatalogsClass().query_criteria(
            "Tic", coordinates=M101, radius=0.5 * u.deg, Tmag=(0, 30), max_rows=150
        )
    assert len(table) == 150 and table.meta["rows_available"] > 150
    assert table.meta["split_parts"] >= 2


@pytest.mark.parametrize("bad", [0, -1, 2.5, "10", True])
def test_bad_max_rows_is_refused_before_anything_is_sent(bad):
    with mastq.conf.set_temp("server", "http://127.0.0.1:9"):  # nothing listens there
        for call in (
            lambda: ObservationsClass().query_region(M101, max_rows=bad),
            lambda: ObservationsClass().query_criteria(obs_collection="HST", max_rows=bad),
            lambda: CatalogsClass().query_region(M101, max_rows=bad),
        ):
            with pytest.raises(InvalidQueryError, match="max_rows"):
                call()


@pytest.mark.parametrize(
    "bad", [(1, 2, 3), (0, 95, 1, 10), (0, 0, 0, 10), (0, 0, 1, 2.5), [0, 0, 1, 10], (0, 0, 1, -1)]
)
def test_a_bad_dense_field_is_refused_naming_it(bad):
    from mastq.emulator import EmulatorConfig

    with pytest.raises(ValueError, match="dense_field"):
        EmulatorConfig(dense_field=bad)


def test_a_dense_field_adds_its_rows_after_the_others():
    from mastq.emulator.caom.archive import Archive

    plain, dense = Archive(scale=0.1), Archive(scale=0.1, dense_field=(150.0, 2.0, 0.5, 500))
    assert dense.nrows == plain.nrows + 500
    assert np.array_equal(dense.observations.s_ra[: plain.nrows], plain.observations.s_ra)
    added = SkyCoord(
        dense.observations.s_ra[plain.nrows :] * u.deg,
        dense.observations.s_dec[plain.nrows :] * u.deg,
    )
    assert np.all(added.separation(SkyCoord(150 * u.deg, 2 * u.deg)) <= 0.5 * u.deg)
