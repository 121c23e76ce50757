"""
Many targets: one mastq call against a sequential astroquery loop, 50 ms per request.

Run ``python bench/bench_batch.py [--quick]``.  A local MAST answers every request after
``--latency`` seconds (default 0.05).  Two cases:

- cone searches over CAOM observations at ``--cones`` positions (default 1,000) taken
  from the archive: mastq's ``Observations.query_region(SkyCoord array)`` (by
  ``Mast.Caom.Crossmatch``), also mastq's one cone per target on its polite thread pool,
  against astroquery's ``Observations.query_region`` in a loop;
- ``--stars`` positions (default 10,000) of TIC stars: mastq's
  ``Catalogs.query_region(SkyCoord array)`` (by ``Mast.Tic.Crossmatch``) against
  astroquery's ``Catalogs.query_region`` in a loop.

The astroquery loops are timed on a sample of ``--sample`` targets (default 100) and
scaled to the whole list (a loop's time grows linearly with its length); the printout
says so.  Both clients run without their caches; both results are checked to hold the
same number of rows over the sample.
"""

import argparse
import dataclasses
import logging
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import astropy.units as u  # noqa: E402
import numpy as np  # noqa: E402
from astropy.coordinates import SkyCoord  # noqa: E402

import mastq  # noqa: E402
from mastq.batch import position_targets, query_many  # noqa: E402
from mastq.catalogs import CatalogsClass  # noqa: E402
from mastq.emulator.server import Emulator  # noqa: E402
from mastq.observations import ObservationsClass  # noqa: E402

_PATHS = {
    "MAST_REQUEST_URL": "/api/v0/invoke",
    "COLUMNS_CONFIG_URL": "/portal/Mashup/Mashup.asmx/columnsconfig",
}


def astroquery_clients(url):
    """astroquery's Observations and Catalogs, pointed at the local MAST."""
    from astroquery.mast import CatalogsClass as AqCatalogs
    from astroquery.mast import ObservationsClass as AqObservations

    clients = AqObservations(), AqCatalogs()
    for client in clients:
        for attr, path in _PATHS.items():
            setattr(client._portal_api_connection, attr, url + path)
    return clients


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def loop_estimate(query, positions, sample, **kwargs):
    """Seconds of a sequential loop over every position, from a sample; rows of the sample."""
    step = max(1, len(positions) // sample)
    chosen = positions[::step][:sample]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds, tables = timed(lambda: [query(p, **kwargs) for p in chosen])
    return seconds * len(positions) / len(chosen), [len(t) for t in tables], step


def sample_positions(ra, dec, n, seed):
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(ra), size=n, replace=len(ra) < n)
    return SkyCoord(ra[pick], dec[pick], unit="deg")


def bench_cones(server, archive, n, sample, radius):
    positions = sample_positions(archive.observations.s_ra, archive.observations.s_dec, n, 1)
    obs = ObservationsClass()
    aq_obs, _ = astroquery_clients(server.url)
    ours, table = timed(lambda: obs.query_region(positions, radius=radius))
    source = dataclasses.replace(obs._cone_source(), crossmatch_service=None)
    pool, by_cones = timed(
        lambda: query_many(obs._client, source, position_targets(positions, radius))
    )
    theirs, sample_rows, step = loop_estimate(aq_obs.query_region, positions, sample, radius=radius)
    counts = np.bincount(table["target_index"], minlength=n)[::step][:sample]
    assert counts.tolist() == sample_rows, "mastq and astroquery disagree on the sample"
    assert len(by_cones) == len(table)
    print(
        f"{n} cones over observations ({len(table)} rows): mastq by crossmatch "
        f"{ours:.2f} s, mastq one cone per target on {mastq.conf.batch_workers} threads "
        f"{pool:.2f} s; astroquery loop {theirs:.1f} s (estimated from {sample} targets): "
        f"ratio {theirs / ours:.1f}x by crossmatch, {theirs / pool:.1f}x by cones "
        f"(target >= 8x)"
    )
    return {
        "cones": n,
        "mastq": ours,
        "mastq_cones": pool,
        "astroquery": theirs,
        "ratio": theirs / ours,
    }


def bench_stars(server, archive, n, sample, radius):
    tic = archive.catalogs.table("Tic")
    positions = sample_positions(tic.ra, tic.dec, n, 2)
    cat = CatalogsClass()
    _, aq_cat = astroquery_clients(server.url)
    ours, table = timed(lambda: cat.query_region(positions, radius=radius, catalog="Tic"))
    theirs, sample_rows, step = loop_estimate(
        aq_cat.query_region, positions, sample, radius=radius, catalog="Tic"
    )
    counts = np.bincount(table["target_index"], minlength=n)[::step][:sample]
    assert counts.tolist() == sample_rows, "mastq and astroquery disagree on the sample"
    chunks = -(-n // mastq.conf.crossmatch_chunk)
    print(
        f"{n} positions against the TIC ({len(table)} rows, {chunks} crossmatch "
        f"requests): mastq {ours:.2f} s; astroquery loop {theirs:.1f} s (estimated "
        f"from {sample} targets): ratio {theirs / ours:.1f}x (target >= 50x)"
    )
    return {"stars": n, "mastq": ours, "astroquery": theirs, "ratio": theirs / ours}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--cones", type=int, default=1000)
    parser.add_argument("--stars", type=int, default=10000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="200 cones, 2,000 stars, astroquery sampled on 20 targets",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.cones, args.stars, args.sample = 200, 2000, 20
    logging.getLogger("astroquery").setLevel(logging.ERROR)
    with (
        Emulator(latency=args.latency) as server,
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache", False),
    ):
        archive = server.app.archive
        print(f"many targets, {args.latency * 1000:.0f} ms latency per request")
        return [
            bench_cones(server, archive, args.cones, args.sample, 0.01 * u.deg),
            bench_stars(server, archive, args.stars, args.sample, 10 * u.arcsec),
        ]


if __name__ == "__main__":
    main()
