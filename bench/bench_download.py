"""
Downloads from a local MAST, mastq against astroquery's ``download_products``.

Run ``python bench/bench_download.py [--files 200] [--size 1000000] [--latency 0.05]``.
The local MAST serves a synthetic archive (``tests/client/filemast.py``) with ``latency``
seconds added to every request, behind a recorder that counts what the server receives.
Both clients download the same product table into their own folders, then again with
everything present.  Goals: first run <= 0.25x astroquery's wall time, re-run <= 0.05x
with zero requests.
"""

import argparse
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import mastq  # noqa: E402
from mastq.observations import ObservationsClass  # noqa: E402
from tests.client.filemast import FileArchive, FileMast, make_files  # noqa: E402


def astroquery_observations(url):
    from astroquery.mast import ObservationsClass as AstroqueryObservations

    client = AstroqueryObservations()
    client._portal_api_connection.MAST_DOWNLOAD_URL = url + "/api/v0.1/Download/file"
    return client


def timed(server, func):
    before = len(server.recorder.log)
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, len(server.recorder.log) - before, result


def bench(files, size, latency, connections):
    print(
        f"{files} files of {size / 1e6:g} MB, {latency * 1000:.0f} ms latency per request, "
        f"mastq with {connections or mastq.conf.download_connections} connections"
    )
    server = FileMast(FileArchive(make_files(files, size)), latency=latency)
    products = server.archive.products()
    try:
        with (
            tempfile.TemporaryDirectory() as ours,
            tempfile.TemporaryDirectory() as theirs,
            mastq.conf.set_temp("server", server.url),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            mine = ObservationsClass()
            other = astroquery_observations(server.url)
            runs = []
            for label in ("first run", "re-run (all present)"):
                t_ours, n_ours, m_ours = timed(
                    server,
                    lambda: mine.download_products(
                        products, download_dir=ours, progress=False, connections=connections
                    ),
                )
                t_theirs, n_theirs, m_theirs = timed(
                    server,
                    lambda: other.download_products(products, download_dir=theirs, verbose=False),
                )
                assert set(m_ours["Status"]) == {"COMPLETE"} == set(m_theirs["Status"])
                runs.append((label, t_ours, n_ours, t_theirs, n_theirs))
    finally:
        server.stop()
    for (label, t_ours, n_ours, t_theirs, n_theirs), goal in zip(runs, (0.25, 0.05), strict=True):
        print(
            f"  {label}: mastq {t_ours:.3f} s ({n_ours} requests), astroquery "
            f"{t_theirs:.2f} s ({n_theirs} requests): ratio {t_ours / t_theirs:.3f} "
            f"(goal <= {goal})"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--connections", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    bench(args.files, args.size, args.latency, args.connections)


if __name__ == "__main__":
    sys.exit(main())
