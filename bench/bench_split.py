"""
A query beyond MAST's row limit: mastq splits it, astroquery gets a connection reset.

Run ``python bench/bench_split.py [--rows N] [--single N] [--limit N]``.  The local MAST
holds a dense field (`EmulatorConfig.dense_field`: ``--rows`` CAOM observations within
1 deg of (150, 2)) and resets the connection above ``--limit`` rows, as MAST does above
about 500,000.  ``Observations.query_region`` over the whole field (counted, split into
declination bands, run concurrently, merged) is timed against one query of ``--single``
rows (a smaller cone, under the limit) on the same server: rows per second of each and
their ratio (goal: the split query within 1.5x of the single one).  astroquery's
``Observations.query_region`` is then sent the over-limit cone.
"""

import argparse
import contextlib
import math
import time

import mastq
from mastq.emulator import Emulator, EmulatorConfig, point_astroquery
from mastq.observations import ObservationsClass

CENTRE, RADIUS = (150.0, 2.0), 1.0


def radius_holding(rows, total):
    """The radius (deg) of the cone around the field's centre holding ``rows`` of ``total``."""
    share = rows / total * (1 - math.cos(math.radians(RADIUS)))
    return math.degrees(math.acos(1 - share))


def astroquery_observations(url):
    from astroquery.mast import ObservationsClass as TheirObservations

    client = point_astroquery(TheirObservations(), url)
    client._portal_api_connection.TIMEOUT = 600
    return client


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def bench(rows, single, limit):
    position = f"{CENTRE[0]} {CENTRE[1]}"
    config = EmulatorConfig(dense_field=(*CENTRE, RADIUS, rows), row_limit=limit)
    print(f"a {rows:,}-row field, server row limit {limit:,} (resets above it)")
    with Emulator(config) as server, contextlib.ExitStack() as stack:
        for name, value in (("server", server.url), ("cache", False), ("row_limit", limit)):
            stack.enter_context(mastq.conf.set_temp(name, value))
        ours = ObservationsClass()
        ours.query_region(position, radius=0.001)  # first contact: column metadata, warm-up
        one, small = timed(lambda: ours.query_region(position, radius=radius_holding(single, rows)))
        print(f"  single query: {len(small):,} rows in {one:.2f} s: {len(small) / one:,.0f} rows/s")
        many, big = timed(lambda: ours.query_region(position, radius=RADIUS))
        print(
            f"  split query:  {len(big):,} rows in {many:.2f} s "
            f"({big.meta['split_parts']} parts): {len(big) / many:,.0f} rows/s"
        )
        ratio = (len(small) / one) / (len(big) / many)
        print(f"  rows/s of the single query / rows/s of the split one: {ratio:.2f} (goal <= 1.5)")
        del big, small
        start = time.perf_counter()
        try:
            theirs = astroquery_observations(server.url).query_region(position, radius=RADIUS)
            outcome = f"returned {len(theirs):,} rows"
        except Exception as exc:  # noqa: BLE001 -- whatever astroquery raises is the finding
            outcome = f"failed: {type(exc).__name__}: {str(exc)[:120]}"
        print(
            f"  astroquery on the {rows:,}-row cone {outcome} "
            f"(after {time.perf_counter() - start:.2f} s)"
        )
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--single", type=int, default=400_000)
    parser.add_argument("--limit", type=int, default=500_000)
    args = parser.parse_args(argv)
    return bench(args.rows, args.single, args.limit)


if __name__ == "__main__":
    main()
