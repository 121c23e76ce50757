"""
Queries against a local MAST: paging with latency, long polling, a trickling body, the cache.

Run ``python bench/bench_transport.py``.  The local MAST runs the emulator's HTTP layer
over a CAOM-shaped test service (the 28 fields of the ``caom.json`` recording, its rows
repeated with distinct ids), so the figures do not depend on the sample archive.
mastq and astroquery's ``Mast.service_request`` query the same server side by side.
"""

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import mastq
import mastq.exceptions
from mastq.emulator import point_astroquery
from mastq.emulator.model import Field, TableResult
from mastq.emulator.server import Emulator
from mastq.services import ServiceClient

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def caom_service(nrows_default=1000):
    """A ``run_service`` answering every service with CAOM rows (``params['n']`` of them)."""
    doc = json.loads((DATA / "caom.json").read_text())
    fields = tuple(Field(f["name"], f["type"]) for f in doc["fields"])
    columns = {}
    for field in fields:
        values = [row.get(field.name) for row in doc["data"]]
        mask = np.array([v is None for v in values])
        if field.type == "float" or field.name in ("obsid", "objID"):
            data = np.array([0 if v is None else v for v in values], dtype=float)
        elif field.type == "int":
            data = np.array([0 if v is None else v for v in values], dtype=np.int64)
        elif field.type == "boolean":
            data = np.array([bool(v) for v in values])
        else:
            data = np.array(["" if v is None else v for v in values])
        columns[field.name] = (data, mask)

    def make(start, stop):
        idx = np.arange(start, stop) % len(doc["data"])
        chunk = {}
        for name, (data, mask) in columns.items():
            values = data[idx]
            if name in ("obsid", "objID"):
                values = np.arange(start, stop, dtype=np.int64) + 2_000_000_000
            chunk[name] = np.ma.MaskedArray(values, mask=mask[idx]) if mask.any() else values
        return chunk

    def run_service(service, params, archive):
        n = int(params.get("n", nrows_default))
        return TableResult(fields=fields, nrows=n, make_chunk=make)

    return run_service


def columns_config(config_id, archive):
    return json.loads((DATA / "columnsconfig.json").read_text())


def astroquery_mast(url):
    from astroquery.mast import MastClass

    client = point_astroquery(MastClass(), url)
    client._portal_api_connection.TIMEOUT = 600
    return client


def counted(session):
    sent = []
    session.hooks["response"].append(lambda r, *a, **k: sent.append(r.url))
    return sent


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def bench_paging(rows, latency):
    print(f"{rows} rows in {rows // 50000} pages of 50000, {latency * 1000:.0f} ms latency")
    with (
        Emulator(
            archive=object(),
            run_service=caom_service(),
            columns_config=columns_config,
            latency=latency,
        ) as server,
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache", False),
    ):
        # Same size, different params: neither client is served from the other's result.
        ours, table = timed(
            lambda: ServiceClient().service_request(
                "Mast.Caom.Cone", {"n": rows, "client": "mastq"}, pagesize=50000
            )
        )
        theirs, other = timed(
            lambda: astroquery_mast(server.url).service_request(
                "Mast.Caom.Cone", {"n": rows, "client": "astroquery"}, pagesize=50000
            )
        )
    print(
        f"  mastq {ours:.2f} s ({len(table)} rows), astroquery {theirs:.2f} s "
        f"({len(other)} rows): ratio {ours / theirs:.2f} (goal <= 0.4)"
    )
    return ours, theirs


def bench_polling(seconds, max_hold):
    print(f"a query EXECUTING for {seconds:g} s (server holds requests up to {max_hold:g} s)")
    results = {}
    for name in ("mastq", "astroquery"):
        with (
            Emulator(
                archive=object(),
                run_service=caom_service(),
                columns_config=columns_config,
                query_seconds=seconds,
                max_hold=max_hold,
            ) as server,
            mastq.conf.set_temp("server", server.url),
            mastq.conf.set_temp("cache", False),
        ):
            client = ServiceClient() if name == "mastq" else astroquery_mast(server.url)
            session = client.transport._session if name == "mastq" else client._session
            sent = counted(session)
            elapsed, _ = timed(lambda c=client: c.service_request("Mast.Caom.Cone", {"n": 50}))
        invokes = sum("invoke" in url for url in sent)
        results[name] = (elapsed, invokes)
        print(
            f"  {name:10s} done after {elapsed:.2f} s ({elapsed - seconds:+.2f} s after the "
            f"server), {invokes} invoke requests"
        )
    return results


def bench_trickle(deadline, rate, rows):
    """A server trickling its body: mastq must stop at its deadline (astroquery has none)."""
    print(
        f"a {rows}-row answer trickled at {rate / 1000:g} kB/s, mastq.conf.deadline = "
        f"{deadline:g} s"
    )
    with (
        Emulator(
            archive=object(),
            run_service=caom_service(),
            columns_config=columns_config,
            slow_stream=rate,
        ) as server,
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache", False),
        mastq.conf.set_temp("deadline", deadline),
    ):
        start = time.perf_counter()
        try:
            ServiceClient().service_request("Mast.Caom.Cone", {"n": rows, "client": "mastq"})
            outcome = "completed"
        except mastq.exceptions.QueryDeadlineError:
            outcome = "QueryDeadlineError"
        ours = time.perf_counter() - start
        theirs, _ = timed(
            lambda: astroquery_mast(server.url).service_request(
                "Mast.Caom.Cone", {"n": rows, "client": "astroquery"}
            )
        )
    print(
        f"  mastq      {outcome} after {ours:.2f} s ({ours - deadline:+.2f} s past the "
        f"deadline)\n  astroquery completed after {theirs:.2f} s"
    )
    return ours, theirs


def bench_cache(rows):
    with (
        tempfile.TemporaryDirectory() as cache_dir,
        Emulator(
            archive=object(), run_service=caom_service(), columns_config=columns_config
        ) as server,
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache_dir", cache_dir),
    ):
        client = ServiceClient()
        for n in rows:
            cold, _ = timed(lambda n=n: client.service_request("Mast.Caom.Cone", {"n": n}))
            warm = min(
                timed(lambda n=n: client.service_request("Mast.Caom.Cone", {"n": n}))[0]
                for _ in range(5)
            )
            print(
                f"  cache: {n} rows first {cold * 1000:.0f} ms, repeated {warm * 1000:.1f} ms "
                f"(goal < 10 ms)"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    bench_paging(args.rows, args.latency)
    bench_polling(3.0, 1.0)
    bench_polling(3.0, 0.0)
    bench_trickle(3.0, 4000, 40)
    bench_cache([1000, 20000, args.rows])


if __name__ == "__main__":
    sys.exit(main())
