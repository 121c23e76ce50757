"""
The query cache: repeated queries answered from memory and from disk.

Run ``python bench/bench_cache.py [--rows N ...]``.  A local MAST serves CAOM rows (the
28 fields of the ``caom.json`` recording, as in ``bench_transport.py``); mastq fetches
each size once (``times=True``), then answers the same query again from its
in-memory layer and, as a new process would, from the file alone.  The same repeated
query through astroquery's ``Mast.service_request`` (which has no result cache and asks
the server again) gives the ratio; the pickle of the same table (the former format)
is timed as well.  Text columns are measured as ``str`` (numpy ``U``), the default.
"""

import argparse
import logging
import pickle
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_transport import astroquery_mast, caom_service, columns_config  # noqa: E402

import mastq  # noqa: E402
from mastq.cache import QueryCache  # noqa: E402
from mastq.emulator.server import Emulator  # noqa: E402
from mastq.services import ServiceClient  # noqa: E402


def best_of(func, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def as_str_columns(table):
    """The table with every bytes text column as str (what the client returns by default)."""
    for name in table.colnames:
        if getattr(table[name], "dtype", None) is not None and table[name].dtype.kind == "S":
            table[name] = table[name].astype(str)
    return table


def bench_size(rows, server_url, cache_dir, repeat):
    params = {"n": rows}
    client = ServiceClient()
    table = as_str_columns(
        client.service_request("Mast.Caom.Cone", params, times=True, cache=False)
    )
    key = f"bec{rows:08x}"
    write = best_of(lambda: QueryCache(cache_dir).put(key, table), repeat)
    path = Path(cache_dir) / f"{key}.mqt"
    disk = best_of(lambda: QueryCache(cache_dir).get(key), repeat)
    memory_cache = QueryCache(cache_dir)
    memory_cache.get(key)
    memory = best_of(lambda: memory_cache.get(key), repeat)
    blob = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
    unpickle = best_of(lambda: pickle.loads(blob), repeat)
    client.service_request("Mast.Caom.Cone", params, times=True)
    service = best_of(lambda: client.service_request("Mast.Caom.Cone", params, times=True), repeat)
    theirs = best_of(
        lambda: astroquery_mast(server_url).service_request("Mast.Caom.Cone", params),
        max(1, repeat // 3),
    )
    print(
        f"{rows:>8} rows ({path.stat().st_size / 1e6:.1f} MB on disk, pickle "
        f"{len(blob) / 1e6:.1f} MB): write {write * 1e3:.1f} ms, disk hit "
        f"{disk * 1e3:.1f} ms (pickle.loads {unpickle * 1e3:.1f} ms), memory hit "
        f"{memory * 1e3:.1f} ms, repeated service_request (the client's own dtypes) "
        f"{service * 1e3:.1f} ms; "
        f"astroquery repeated {theirs * 1e3:.0f} ms: ratio {service / theirs:.3f}"
    )
    return {
        "rows": rows,
        "write": write,
        "disk": disk,
        "memory": memory,
        "service": service,
        "astroquery": theirs,
        "pickle": unpickle,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 20000, 200000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print("query cache: hits from memory and from disk (goal: 20,000 rows well under 10 ms)")
    with (
        tempfile.TemporaryDirectory() as cache_dir,
        Emulator(
            archive=object(), run_service=caom_service(), columns_config=columns_config
        ) as server,
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache_dir", cache_dir),
    ):
        return [bench_size(rows, server.url, cache_dir, args.repeat) for rows in args.rows]


if __name__ == "__main__":
    main()
