"""Many targets in one call: arrays of positions and names, against the local MAST."""

import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

import mastq
from mastq.batch import ServiceCall
from mastq.catalogs import CatalogsClass
from mastq.emulator.model import ServiceError
from mastq.emulator.services import run_service
from mastq.exceptions import InputWarning, InvalidQueryError, MastqWarning, NoResultsWarning
from mastq.observations import ObservationsClass
from mastq.settings import Settings

POSITIONS = SkyCoord([210.8, 10.68, 83.8, 0.5], [54.35, 41.27, -5.39, -89.9], unit="deg")


def quiet_loop(method, positions, **kwargs):
    """The tables of a plain loop over the positions (no-result warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoResultsWarning)
        return [method(p, **kwargs) for p in positions]


def assert_same_rows(batch, loop, key):
    """``batch`` holds each loop table's rows, in target order, in the loop's order."""
    assert np.bincount(batch["target_index"], minlength=len(loop)).tolist() == [
        len(t) for t in loop
    ]
    for i, table in enumerate(loop):
        mine = batch[batch["target_index"] == i]
        assert [str(v) for v in mine[key]] == [str(v) for v in table[key]]


def test_observations_of_many_positions_are_the_loop_in_one_table(obs):
    batch = obs.query_region(POSITIONS, radius=0.1 * u.deg)
    assert batch.colnames[:3] == ["target_index", "target_ra", "target_dec"]
    assert batch.meta["service"] == "Mast.Caom.Crossmatch"
    assert batch.meta["failed_targets"] == []
    assert batch["distance"].unit == u.arcsec
    loop = quiet_loop(obs.query_region, POSITIONS, radius=0.1 * u.deg)
    assert_same_rows(batch, loop, "obsid")
    assert set(loop[0].colnames) <= set(batch.colnames)
    second = batch["target_ra"][batch["target_index"] == 1]
    assert np.allclose(second.quantity.to_value(u.deg), 10.68)


def test_one_radius_per_target(obs):
    radii = [0.05, 0.2, 0.01, 0.1] * u.deg
    batch = obs.query_region(POSITIONS, radius=radii)
    loop = [
        quiet_loop(obs.query_region, [p], radius=r)[0]
        for p, r in zip(POSITIONS, radii, strict=True)
    ]
    assert_same_rows(batch, loop, "obsid")


def test_catalog_positions_by_crossmatch_and_by_cones_agree_with_the_loop(cat):
    stars = cat.query_region("210.8 54.35", radius=0.5, catalog="Tic")[:5]
    positions = SkyCoord(stars["ra"], stars["dec"], unit="deg")
    tic = cat.query_region(positions, radius=20 * u.arcsec, catalog="Tic")
    assert tic.meta["service"] == "Mast.Tic.Crossmatch"
    assert_same_rows(
        tic, quiet_loop(cat.query_region, positions, radius=20 * u.arcsec, catalog="Tic"), "ID"
    )
    assert tic["dstArcSec"].unit == u.arcsec
    dd = cat.query_region(POSITIONS, catalog="DiskDetective", radius=1 * u.deg)
    assert dd.meta["service"] == "Mast.Catalogs.DiskDetective.Cone"
    assert_same_rows(
        dd,
        quiet_loop(cat.query_region, POSITIONS, catalog="DiskDetective", radius=1 * u.deg),
        "designation",
    )


def test_radii_wider_than_a_crossmatch_takes_run_as_cones(obs):
    batch = obs.query_region(POSITIONS[:2], radius=[0.01, 1.5] * u.deg)
    assert batch.meta["service"] == "Mast.Caom.Cone"
    assert_same_rows(
        batch,
        [
            quiet_loop(obs.query_region, [p], radius=r)[0]
            for p, r in zip(POSITIONS[:2], [0.01, 1.5] * u.deg, strict=True)
        ],
        "obsid",
    )


def test_catalogs_with_their_own_cone_params_run_one_cone_each(cat):
    hsc = cat.query_region(POSITIONS[:2], radius=0.05 * u.deg, catalog="Hsc", nr=20)
    assert hsc.meta["service"] == "Mast.Hsc.Db.v3"
    loop = quiet_loop(cat.query_region, POSITIONS[:2], radius=0.05 * u.deg, catalog="Hsc", nr=20)
    assert_same_rows(hsc, loop, "MatchID")
    counts = cat.query_region_count(POSITIONS[:2], radius=0.05 * u.deg, catalog="Hsc", nr=20)
    assert counts.tolist() == [len(t) for t in loop]


def test_counts_of_many_positions_are_the_scalar_counts(obs, cat):
    counts = obs.query_region_count(POSITIONS, radius=0.1)
    assert counts.tolist() == [obs.query_region_count(p, radius=0.1) for p in POSITIONS]
    tic = cat.query_region_count(POSITIONS[:2], radius=0.2 * u.deg, catalog="Ctl")
    assert tic.tolist() == [
        cat.query_region_count(p, radius=0.2, catalog="Ctl") for p in POSITIONS[:2]
    ]


def test_names_are_resolved_once_and_an_unknown_one_is_reported(obs):
    with pytest.warns(MastqWarning) as caught:
        batch = obs.query_object(["M101", "NoSuchThing123", "M31"], radius=0.05)
    assert any(isinstance(w.message, InputWarning) for w in caught)
    assert batch.colnames[:4] == ["target_index", "target_name", "target_ra", "target_dec"]
    assert set(batch["target_index"].tolist()) == {0, 2}
    assert set(batch["target_name"][batch["target_index"] == 2].tolist()) == {"M31"}
    assert [f["target"] for f in batch.meta["failed_targets"]] == ["NoSuchThing123"]
    with pytest.warns(MastqWarning):
        counts = obs.query_object_count(["M101", "NoSuchThing123"], radius=0.05)
    assert counts[0] == obs.query_object_count("M101", radius=0.05)
    assert counts.mask.tolist() == [False, True]


def test_catalog_rows_of_many_names(cat):
    batch = cat.query_object(["M101", "M31"], catalog="Tic", radius=0.05)
    loop = quiet_loop(cat.query_object, ["M101", "M31"], catalog="Tic", radius=0.05)
    assert_same_rows(batch, loop, "ID")
    assert batch["target_name"][0] == "M101"


def test_scalars_answer_exactly_as_before(obs, cat):
    one = obs.query_region(POSITIONS[0], radius=0.1)
    assert "target_index" not in one.colnames
    assert obs.query_object_count("M101", radius=0.05) == len(obs.query_object("M101", radius=0.05))
    assert isinstance(cat.query_region_count(POSITIONS[0], radius=0.1), int)


def test_a_failing_target_is_reported_and_the_others_kept(mast_emulator_factory):
    def refuse_one(service, params, archive):
        if abs(float(params.get("ra", 0)) - 10.68) < 1e-6:
            raise ServiceError("refused for the test")
        return run_service(service, params, archive)

    server = mast_emulator_factory(run_service=refuse_one)
    with (
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache", False),
        mastq.conf.set_temp("retries", 0),
    ):
        cat = CatalogsClass()
        with pytest.warns(MastqWarning, match="1 of the targets failed"):
            batch = cat.query_region(POSITIONS, catalog="DiskDetective", radius=1 * u.deg)
        with pytest.warns(MastqWarning, match="1 of the targets failed"):
            counts = cat.query_region_count(POSITIONS, catalog="DiskDetective", radius=1)
    assert [f["index"] for f in batch.meta["failed_targets"]] == [1]
    assert "refused for the test" in batch.meta["failed_targets"][0]["error"]
    assert 1 not in batch["target_index"]
    assert counts.mask.tolist() == [False, True, False, False]


def test_a_failing_crossmatch_chunk_costs_only_its_targets(mast_emulator_factory):
    def refuse_chunk(service, params, archive):
        rows = params.get("data", {}).get("data", [])
        if service.endswith("Crossmatch") and any(abs(r["_mastq_ra"] - 83.8) < 1e-6 for r in rows):
            raise ServiceError("chunk refused for the test")
        return run_service(service, params, archive)

    server = mast_emulator_factory(run_service=refuse_chunk)
    with (
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache", False),
        mastq.conf.set_temp("retries", 0),
        mastq.conf.set_temp("crossmatch_chunk", 2),
        pytest.warns(MastqWarning, match="2 of the targets failed"),
    ):
        batch = ObservationsClass().query_region(POSITIONS, radius=0.1)
    assert [f["index"] for f in batch.meta["failed_targets"]] == [2, 3]
    assert set(batch["target_index"].tolist()) == {0, 1}


def test_a_batch_request_is_a_value_any_process_can_run(local_mast):
    call = ServiceCall(
        "Mast.Caom.Cone",
        {"ra": 210.8, "dec": 54.35, "radius": 0.05},
        Settings.from_conf(),
        {"cache": False},
        count="rows",
    )
    copy = pickle.loads(pickle.dumps(call.run))
    assert copy() == len(ObservationsClass().query_region("210.8 54.35", radius=0.05))


def test_any_executor_runs_the_batch(obs):
    with ThreadPoolExecutor(2) as pool:
        batch = obs.query_region(POSITIONS, radius=0.1, executor=pool)
    assert_same_rows(batch, quiet_loop(obs.query_region, POSITIONS, radius=0.1), "obsid")


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda o: o.query_region(POSITIONS, radius=[1, 2] * u.deg), "one per target"),
        (lambda o: o.query_region(POSITIONS, page=1), "page applies to one target"),
        (lambda o: o.query_region(POSITIONS, executor="threads"), "executor must be"),
        (lambda o: o.query_region(POSITIONS, radius=[1, 2, 3, -4] * u.deg), r"radius\[3\]"),
    ],
)
def test_bad_batch_input_is_named_before_sending(obs, call, words):
    with pytest.raises(InvalidQueryError, match=words):
        call(obs)


def test_positions_in_any_frame_are_searched_in_icrs(obs):
    galactic = POSITIONS[:2].galactic
    batch = obs.query_region(galactic, radius=0.1)
    assert np.allclose(
        np.unique(batch["target_ra"].quantity.to_value(u.deg)),
        sorted(POSITIONS[:2].ra.deg),
        atol=1e-8,
    )
    assert isinstance(ObservationsClass(), ObservationsClass)
