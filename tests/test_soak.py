"""
Short soaks (issue 9): mixed queries against a faulty local MAST give exactly the rows of a
fault-free one, or a mastq error naming the cause, never different rows; processes sharing
one cache and killed mid-run are never served a corrupt entry; a download batch killed
mid-batch and rerun ends with every file complete and verified, none lost.

The scripts are ``bench/soak.py`` and ``bench/soak_disk.py``; their long runs (500 queries
with astroquery.mast side by side, 60 queries x 7 cache processes, 300 downloads) are the
tests marked ``soak``, skipped unless pytest runs with ``--soak`` (tests/conftest.py).
"""

import importlib.util
import sys
from pathlib import Path

import pytest

import mastq

_BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_bench(name):
    """Import ``bench/<name>.py`` under its own name (``soak_disk`` imports ``soak``)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


soak = load_bench("soak")
soak_disk = load_bench("soak_disk")


def _run(factory, n, rate, seed, *, retries, astroquery=False):
    """Soak ``n`` queries; the two servers share the session's archive (cheap to start)."""
    clean_url = factory().url
    faulty = factory(soak.faulty_config(rate, seed))
    seen = soak.count_requests(faulty)
    with mastq.conf.set_temp("retries", retries):
        queries = soak.make_queries(n, seed, soak.some_obsids(clean_url))
        tallies = soak.soak(queries, clean_url, faulty.url, astroquery=astroquery)
    return tallies, seen


def _assert_held(tally):
    report = "\n".join(tally.report())
    assert tally.counts["queries"] > 0, report
    assert tally.counts["different"] == 0, report
    assert tally.unnamed == [], report
    assert tally.counts["completed"] + tally.counts["errored"] == tally.counts["queries"]


def test_a_fifth_of_requests_failing_changes_no_row(mast_emulator_factory):
    (ours,), seen = _run(mast_emulator_factory, 40, 0.2, seed=3, retries=5)
    _assert_held(ours)
    assert sum(v for k, v in seen.items() if k.startswith("fault:")) >= 5, seen
    assert ours.counts["rows"] > 500


def test_faults_beyond_the_retries_raise_errors_naming_their_cause(mast_emulator_factory):
    (ours,), seen = _run(mast_emulator_factory, 15, 0.5, seed=4, retries=1)
    _assert_held(ours)
    assert ours.counts["errored"] > 0, "\n".join(ours.report())
    assert {"fault:503", "fault:429", "fault:reset", "fault:truncate"} <= set(seen)


def test_resets_of_a_small_query_are_not_called_the_row_limit(mast_emulator_factory):
    from mastq.exceptions import RowLimitError, TransportError

    server = mast_emulator_factory(soak.faulty_config(0.0, 0).replace(p_reset=1.0))
    with (
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache", False),
        mastq.conf.set_temp("retries", 1),
        pytest.raises(TransportError) as info,
    ):
        mastq.Mast.service_request("Mast.Caom.Cone", {"ra": 210.8, "dec": 54.35, "radius": 0.05})
    assert not isinstance(info.value, RowLimitError), str(info.value)
    assert soak.names_cause(info.value)


def test_the_fingerprint_sees_one_changed_value(mast_emulator):
    with mastq.conf.set_temp("server", mast_emulator), mastq.conf.set_temp("cache", False):
        table = mastq.Observations.query_region("210.802429 54.34875", radius=0.1)
    changed = table.copy()
    changed["s_ra"][len(table) // 2] += 1e-9
    assert soak.fingerprint(table) == soak.fingerprint(table.copy())
    assert soak.fingerprint(changed) != soak.fingerprint(table)
    assert soak.fingerprint(table[:-1]) != soak.fingerprint(table)


@pytest.mark.soak
def test_long_soak_side_by_side_with_astroquery(mast_emulator_factory):
    tallies, _ = _run(mast_emulator_factory, 500, 0.2, seed=1, retries=5, astroquery=True)
    _assert_held(tallies[0])
    assert tallies[0].misnamed == [], "\n".join(tallies[0].report())


def test_processes_sharing_one_cache_and_a_kill_never_serve_a_corrupt_entry(
    mast_emulator_factory, tmp_path
):
    """Extends the cache's own two-process tests: real queries, faults and a SIGKILL."""
    clean_url = mast_emulator_factory().url
    faulty = mast_emulator_factory(soak.faulty_config(0.2, 5))
    seen = soak.count_requests(faulty)
    tally = soak_disk.cache_soak(
        clean_url, (faulty.url, seen), tmp_path, n=10, seed=5, kills=1, timeout=120
    )
    report = "\n".join(tally.report())
    assert tally.corrupt == [] and tally.unnamed == [], report
    assert tally.runs == 3 and tally.answers >= 21, report
    assert tally.last_run_invokes < 10, report  # the last process read the cache


@pytest.mark.soak
def test_long_cache_soak(mast_emulator_factory, tmp_path):
    clean_url = mast_emulator_factory().url
    faulty = mast_emulator_factory(soak.faulty_config(0.2, 6))
    tally = soak_disk.cache_soak(
        clean_url, (faulty.url, soak.count_requests(faulty)), tmp_path, n=60, seed=6, kills=3
    )
    assert tally.corrupt == [] and tally.unnamed == [], "\n".join(tally.report())


def _download_soak(factory, tmp_path, *, limit, kills, seed):
    from mastq.observations import ObservationsClass

    if not hasattr(ObservationsClass, "download_products"):
        pytest.skip("Observations.download_products has not landed yet")
    clean_url = factory().url
    faulty = factory(soak.faulty_config(0.2, seed))
    tally = soak_disk.download_soak(
        clean_url, faulty.url, tmp_path, limit=limit, kills=kills, seed=seed, timeout=300
    )
    report = "\n".join(tally.report())
    assert tally.files == limit and tally.killed >= 1, report
    assert tally.partial == [] and tally.lost == [] and tally.missing == [], report
    assert tally.complete == limit and tally.leftovers == 0, report
    assert tally.rewritten == set(), report  # verified files are kept, not fetched again


def test_downloads_killed_mid_batch_and_rerun_lose_nothing(mast_emulator_factory, tmp_path):
    _download_soak(mast_emulator_factory, tmp_path, limit=40, kills=1, seed=7)


@pytest.mark.soak
def test_long_download_soak(mast_emulator_factory, tmp_path):
    _download_soak(mast_emulator_factory, tmp_path, limit=300, kills=3, seed=8)


def test_a_votable_result_with_the_cache_on_comes_back(mast_emulator, tmp_path):
    """Found by the cache soak: a cache that cannot store a result must not cost it."""
    params = {"ra": 124.5317560026638, "dec": -68.3130014904408, "radius": 0.1}
    with (
        mastq.conf.set_temp("server", mast_emulator),
        mastq.conf.set_temp("cache", True),
        mastq.conf.set_temp("cache_dir", str(tmp_path)),
    ):
        table = mastq.Mast.service_request("Mast.Caom.Cone", params, format="votable")
    assert len(table) > 0
