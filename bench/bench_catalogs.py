"""
Catalog cones side by side: mastq ``Catalogs`` vs astroquery ``Catalogs``, one local MAST.

Each catalog's cone (a radius giving thousands of rows where the catalog has them) is run
through both clients against the same local MAST (``scale`` sets its size); the best of
``--repeat`` runs is kept, mastq's query cache off.  Prints rows, seconds and the ratio.

    python bench/bench_catalogs.py [--scale 4] [--repeat 3]
"""

import argparse
import sys
import time
from pathlib import Path

import astropy.units as u
from astropy.coordinates import SkyCoord

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mastq  # noqa: E402
from mastq.catalogs import CatalogsClass  # noqa: E402
from mastq.emulator import point_astroquery, running  # noqa: E402

CENTRE = SkyCoord(210.802429 * u.deg, 54.34875 * u.deg)
CASES = [
    ("Hsc", None, 0.5),
    ("Galex", None, 0.5),
    ("Gaia", 3, 0.5),
    ("Tic", None, 1.0),
    ("Ctl", None, 2.0),
    ("Plato", None, 2.0),
    ("Panstarrs", None, 0.5),
]


def astroquery_catalogs(url):
    from astroquery.mast import Catalogs

    return point_astroquery(Catalogs, url)


def best(func, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from astroquery.mast import conf as aq_conf

    with (
        running(scale=args.scale) as url,
        mastq.conf.set_temp("server", url),
        mastq.conf.set_temp("catalogs_server", url),
        mastq.conf.set_temp("cache", False),
        aq_conf.set_temp("catalogs_server", url),
    ):
        ours_client, theirs_client = CatalogsClass(), astroquery_catalogs(url)
        print(f"{'catalog':<12}{'rows':>8}{'mastq s':>10}{'astroquery s':>14}{'ratio':>8}")
        for catalog, version, radius in CASES:

            def ours(catalog=catalog, version=version, radius=radius):
                return ours_client.query_region(
                    CENTRE, radius=radius, catalog=catalog, version=version
                )

            def theirs(catalog=catalog, version=version, radius=radius):
                return theirs_client.query_region(
                    CENTRE, radius=radius * u.deg, catalog=catalog, version=version
                )

            ours(), theirs()  # catalogs built, column configs fetched, before timing
            mine, table = best(ours, args.repeat)
            other, _ = best(theirs, args.repeat)
            print(f"{catalog:<12}{len(table):>8}{mine:>10.3f}{other:>14.3f}{mine / other:>8.2f}")


if __name__ == "__main__":
    main()
