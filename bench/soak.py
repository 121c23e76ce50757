"""
Soak: mixed queries under injected faults, mastq and astroquery.mast side by side (issue 9).

Two local MAST servers share one archive: a fault-free one and a faulty one (503, 429 with
``Retry-After``, connection resets and truncated bodies drawn per request, every body
capped in bytes/s).  Every query runs through mastq and through astroquery.mast (unchanged,
pointed at the servers) on both; the faulty answer is compared with the fault-free one::

    completed  the faulty run returned a table
    identical  ... with exactly the rows and values of the fault-free run
    errored    the faulty run raised (for mastq: a MastqError naming its cause)
    different  the faulty run returned a table that differs: silently wrong data

Usage::

    python bench/soak.py                    # 500 queries, 20% of requests failing
    python bench/soak.py --quick            # 60 queries
    python bench/soak.py --queries 200 --fault-rate 0.5 --retries 1 --no-astroquery
    python bench/soak.py --cache            # + processes sharing one cache, killed mid-run
    python bench/soak.py --queries 0 --no-astroquery --downloads 300   # the download soak

mastq must show zero "silently different" and name the cause of every error (a
`RowLimitError` for a query whose fault-free result is small is reported as a wrong
cause).  The cache and download soaks are in ``bench/soak_disk.py``.  The exit status
is 1 when mastq failed any of these checks.

Everything runs on loopback; every query is bounded by ``mastq.conf.deadline`` (mastq)
and by the servers closing faulty connections (astroquery).
"""

import argparse
import contextlib
import hashlib
import json
import logging
import random
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mastq  # noqa: E402
from mastq.catalogs import CatalogsClass  # noqa: E402
from mastq.emulator import (  # noqa: E402
    Emulator,
    EmulatorConfig,
    FaultConfig,
    point_astroquery,
)
from mastq.emulator.http.faults import FaultInjector  # noqa: E402
from mastq.emulator.services.names import OBJECTS  # noqa: E402
from mastq.exceptions import MastqError, RowLimitError  # noqa: E402
from mastq.mast import MastClass  # noqa: E402
from mastq.observations import ObservationsClass  # noqa: E402

log = logging.getLogger("mastq.bench.soak")

FORMATS = ("json", "csv", "votable")
CATALOGS = ("Tic", "Ctl", "GaiaDR3")
COLLECTIONS = ("HST", "JWST", "TESS", "GALEX", "SWIFT")
PAGESIZES = (7, 25, 60)
CAUSE_WORDS = (
    "503",
    "429",
    "reset",
    "truncat",
    "incomplete",
    "prematurely",
    "retries",
    "deadline",
    "connection",
    "timed out",
    "timeout",
    "closed",
)
"""Words by which a mastq error names the transient cause it gave up on."""


# --------------------------------------------------------------------------------------
# The queries
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One query: a label and the same call through mastq and through astroquery."""

    label: str
    kind: str
    ours: object  # callable(Clients) -> Table
    theirs: object  # callable(Clients) -> Table


@dataclass
class Clients:
    """The astronomer-facing objects of one client library pointed at one server."""

    observations: object
    catalogs: object
    mast: object
    server: str = ""


def _cone(rng):
    target = rng.choice(OBJECTS)
    return SkyCoord(target.ra * u.deg, target.dec * u.deg), target.ra, target.dec


def _query(rng, obsids):
    """One randomly drawn query (both spellings), from ``rng``."""
    coord, ra, dec = _cone(rng)
    radius = rng.choice((0.02, 0.05, 0.1, 0.2))
    kind = rng.choice(
        (
            "obs_region",
            "obs_criteria",
            "obs_count",
            "criteria_count",
            "cat_region",
            "cat_criteria",
            "products",
            "service",
            "paged",
        )
    )
    if kind == "obs_region":
        return Query(
            f"Observations.query_region({ra:.3f}, {dec:.3f}, r={radius})",
            kind,
            lambda c: c.observations.query_region(coord, radius=radius * u.deg),
            lambda c: c.observations.query_region(coord, radius=radius * u.deg),
        )
    if kind in ("obs_criteria", "criteria_count"):
        coll = rng.choice(COLLECTIONS)
        counted = kind == "criteria_count"
        name = "query_criteria_count" if counted else "query_criteria"
        return Query(
            f"Observations.{name}({ra:.3f}, {dec:.3f}, r=1, {coll})",
            kind,
            lambda c: getattr(c.observations, name)(
                coordinates=coord, radius=1.0 * u.deg, obs_collection=coll
            ),
            lambda c: getattr(c.observations, name)(
                coordinates=coord, radius=1.0 * u.deg, obs_collection=coll
            ),
        )
    if kind == "obs_count":
        return Query(
            f"Observations.query_region_count({ra:.3f}, {dec:.3f}, r={radius})",
            kind,
            lambda c: c.observations.query_region_count(coord, radius=radius * u.deg),
            lambda c: c.observations.query_region_count(coord, radius=radius * u.deg),
        )
    if kind == "cat_region":
        catalog, small = rng.choice(CATALOGS), radius / 10
        return Query(
            f"Catalogs.query_region({ra:.3f}, {dec:.3f}, r={small}, {catalog})",
            kind,
            lambda c: c.catalogs.query_region(coord, radius=small * u.deg, catalog=catalog),
            lambda c: c.catalogs.query_region(coord, radius=small * u.deg, catalog=catalog),
        )
    if kind == "cat_criteria":
        low = rng.choice((6, 8, 10))
        return Query(
            f"Catalogs.query_criteria(Tic, {ra:.3f}, {dec:.3f}, Tmag {low}..{low + 4})",
            kind,
            lambda c: c.catalogs.query_criteria(
                "Tic", coordinates=coord, radius=0.05, Tmag=(low, low + 4)
            ),
            lambda c: c.catalogs.query_criteria(
                "Tic", coordinates=coord, radius=0.05, Tmag=[low, low + 4]
            ),
        )
    if kind == "products":
        chosen = sorted(rng.sample(obsids, k=min(len(obsids), rng.choice((1, 2, 4)))))
        return Query(
            f"Observations.get_product_list({chosen})",
            kind,
            lambda c: c.observations.get_product_list(chosen),
            lambda c: c.observations.get_product_list(chosen),
        )
    params = {"ra": ra, "dec": dec, "radius": radius}
    if kind == "service":
        fmt = rng.choice(FORMATS)
        return Query(
            f"Mast.service_request(Mast.Caom.Cone, {params}, format={fmt})",
            kind,
            lambda c: c.mast.service_request("Mast.Caom.Cone", params, format=fmt),
            lambda c: c.mast.service_request("Mast.Caom.Cone", params, format=fmt),
        )
    pagesize = rng.choice(PAGESIZES)
    return Query(
        f"Mast.service_request(Mast.Caom.Cone, {params}, pagesize={pagesize})",
        kind,
        lambda c: c.mast.service_request("Mast.Caom.Cone", params, pagesize=pagesize),
        lambda c: c.mast.service_request("Mast.Caom.Cone", params, pagesize=pagesize),
    )


def make_queries(n, seed, obsids):
    """
    ``n`` mixed queries drawn from ``random.Random(seed)``.

    Parameters
    ----------
    n : int
        How many.
    seed : int
        Seed of the draw (the same seed gives the same queries).
    obsids : list of str
        Observation ids the product-list queries pick from.

    Returns
    -------
    list of Query
    """
    rng = random.Random(seed)
    return [_query(rng, obsids) for _ in range(int(n))]


# --------------------------------------------------------------------------------------
# The clients
# --------------------------------------------------------------------------------------


def mastq_clients(url):
    """mastq's classes; queries run under ``conf.set_temp("server", url)`` (see `_server`)."""
    return Clients(ObservationsClass(), CatalogsClass(), MastClass(), server=url)


def astroquery_clients(url):
    """astroquery.mast's classes, fresh instances whose URLs point at ``url``."""
    from astroquery.mast import CatalogsClass as AqCatalogs
    from astroquery.mast import MastClass as AqMast
    from astroquery.mast import ObservationsClass as AqObservations

    def point(query):
        point_astroquery(query, url)
        query._portal_api_connection._column_configs = {}
        return query

    return Clients(point(AqObservations()), point(AqCatalogs()), point(AqMast()))


@contextlib.contextmanager
def _server(clients):
    if not clients.server:
        yield
        return
    with mastq.conf.set_temp("server", clients.server):
        yield


# --------------------------------------------------------------------------------------
# Running and comparing
# --------------------------------------------------------------------------------------


def fingerprint(result):
    """
    What must match between two runs: column names, row count, every value and mask.

    Parameters
    ----------
    result : `~astropy.table.Table` or scalar (a count)

    Returns
    -------
    tuple
        ``(rows, sha256 hex)``.
    """
    digest = hashlib.sha256()
    if not hasattr(result, "colnames"):
        digest.update(repr(int(result)).encode())
        return 1, digest.hexdigest()
    digest.update(repr(result.colnames).encode())
    for name in result.colnames:
        column = result[name]
        mask = np.ma.getmaskarray(column)
        values = np.asarray(np.ma.getdata(column)).astype(str)
        values[mask] = "--"
        digest.update(name.encode())
        digest.update("\x1f".join(values.ravel().tolist()).encode())
    return len(result), digest.hexdigest()


@dataclass
class Outcome:
    """What one call gave: a fingerprint, or an exception; and how long it took."""

    seconds: float
    stamp: tuple = None
    error: BaseException = None
    from_cache: bool = False


def attempt(call, clients):
    """Run ``call(clients)`` and keep what it gave (warnings are silenced)."""
    start = time.monotonic()
    try:
        with warnings.catch_warnings(), _server(clients):
            warnings.simplefilter("ignore")
            result = call(clients)
        meta = getattr(result, "meta", {})
        return Outcome(
            time.monotonic() - start,
            stamp=fingerprint(result),
            from_cache=bool(meta.get("from_cache", False)),
        )
    except Exception as error:  # noqa: BLE001 - the soak sorts every failure
        return Outcome(time.monotonic() - start, error=error)


def names_cause(error):
    """True if ``error`` is a `MastqError` that says what failed (status, reset, deadline...)."""
    if not isinstance(error, MastqError):
        return False
    text = str(error).lower()
    return error.status_code is not None or any(word in text for word in CAUSE_WORDS)


@dataclass
class Tally:
    """Counts of one client over a soak, with the cases worth reading."""

    client: str
    counts: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    different: list = field(default_factory=list)
    unnamed: list = field(default_factory=list)
    misnamed: list = field(default_factory=list)
    baseline_failed: Counter = field(default_factory=Counter)
    slowest: float = 0.0

    def add(self, query, clean, faulty, *, strict):
        """Classify the faulty outcome of ``query`` against its fault-free one."""
        self.slowest = max(self.slowest, faulty.seconds)
        if clean.error is not None:
            self.baseline_failed[f"{query.kind}: {type(clean.error).__name__}"] += 1
            return
        self.counts["queries"] += 1
        if faulty.error is not None:
            self.counts["errored"] += 1
            self.errors[type(faulty.error).__name__] += 1
            if strict and not names_cause(faulty.error):
                self.unnamed.append((query.label, repr(faulty.error)))
            elif strict and isinstance(faulty.error, RowLimitError):
                # The fault-free run returned the whole (small) result: a reset was misread.
                self.misnamed.append((query.label, clean.stamp[0], str(faulty.error)))
            return
        self.counts["completed"] += 1
        self.counts["rows"] += clean.stamp[0]
        if faulty.stamp == clean.stamp:
            self.counts["identical"] += 1
        else:
            self.counts["different"] += 1
            self.different.append((query.label, clean.stamp, faulty.stamp))

    def report(self):
        """Lines of text for a person."""
        c = self.counts
        lines = [
            f"{self.client}: {c['queries']} queries, {c['completed']} completed, "
            f"{c['identical']} identical, {c['errored']} errored, "
            f"{c['different']} silently different ({c['rows']} rows); "
            f"slowest {self.slowest:.1f} s"
        ]
        if self.errors:
            lines.append(f"  errors: {dict(self.errors)}")
        if self.baseline_failed:
            lines.append(
                f"  failed on the fault-free server too (not counted): {dict(self.baseline_failed)}"
            )
        lines += [f"  DIFFERENT {label}: clean {a} faulty {b}" for label, a, b in self.different]
        lines += [f"  UNNAMED CAUSE {label}: {error}" for label, error in self.unnamed]
        lines += [
            f"  ROW LIMIT ON {rows} ROWS {label}: {error}" for label, rows, error in self.misnamed
        ]
        return lines


def faulty_config(rate, seed, *, slow_stream=4e6, retry_after=1.0):
    """
    Settings of a local MAST on which about ``rate`` of the requests fail.

    Parameters
    ----------
    rate : float
        Fraction of requests failing (503, 429, reset and truncation a quarter each).
    seed : int
        Seed of the fault draw (the archive keeps the default seed).
    slow_stream : float
        Bytes/s cap on every body.
    retry_after : float
        Seconds a 429 announces.

    Returns
    -------
    EmulatorConfig
    """
    share = float(rate) / 4
    return EmulatorConfig(
        faults=FaultConfig(
            seed=seed,
            p_503=share,
            p_429=share,
            p_reset=share,
            p_truncate=share,
            retry_after=retry_after,
            slow_stream=slow_stream,
        )
    )


class CountingInjector(FaultInjector):
    """
    A `FaultInjector` that also counts, per path, the requests it saw and the faults it drew.

    Install it on a running local MAST with `count_requests`.  Every request to
    ``invoke``, ``columnsconfig`` and ``Download/file`` passes through it.

    Parameters
    ----------
    faults : FaultConfig
    """

    def __init__(self, faults):
        super().__init__(faults)
        self.counts = Counter()
        self._count_lock = threading.Lock()

    def _count(self, *keys):
        with self._count_lock:
            self.counts.update(keys)

    def before(self, environ):
        path = environ.get("PATH_INFO", "").rstrip("/").rsplit("/", 1)[-1]
        self._count(path)
        try:
            response, truncate = super().before(environ)
        except ConnectionError:
            self._count("fault:reset")
            raise
        if response is not None:
            self._count(f"fault:{response.status_code}")
        elif truncate is not None:
            self._count("fault:truncate")
        return response, truncate


def count_requests(emulator):
    """
    Count the requests and faults of a running `Emulator` from now on.

    Parameters
    ----------
    emulator : Emulator
        A started local MAST.

    Returns
    -------
    collections.Counter
        Live counts: ``"invoke"``, ``"columnsconfig"``, ``"file"`` requests and
        ``"fault:503"``, ``"fault:429"``, ``"fault:reset"``, ``"fault:truncate"``.
    """
    injector = CountingInjector(emulator.app.faults.faults)
    emulator.app.faults = injector
    return injector.counts


@contextlib.contextmanager
def servers(fault_rate, seed, *, slow_stream=4e6):
    """
    A fault-free and a faulty local MAST over one archive.

    Yields
    ------
    clean, faulty : (str, collections.Counter)
        URL and live request counts (see `count_requests`) of each server.
    """
    clean = Emulator().start()
    faulty = Emulator(
        faulty_config(fault_rate, seed, slow_stream=slow_stream), archive=clean.app.archive
    ).start()
    try:
        yield (clean.url, count_requests(clean)), (faulty.url, count_requests(faulty))
    finally:
        faulty.stop()
        clean.stop()


def some_obsids(url, n=12):
    """Observation ids with products on the server at ``url`` (for product-list queries)."""
    with mastq.conf.set_temp("server", url), mastq.conf.set_temp("cache", False):
        table = ObservationsClass().query_region(
            SkyCoord(210.802429, 54.34875, unit="deg"), radius=0.2 * u.deg
        )
    return [str(x) for x in table["obsid"][:n]]


def soak(queries, clean_url, faulty_url, *, astroquery=True, progress=None):
    """
    Run every query through each client on both servers and tally the outcomes.

    Parameters
    ----------
    queries : list of Query
    clean_url, faulty_url : str
        The fault-free and the faulty local MAST.
    astroquery : bool
        Also run astroquery.mast side by side.
    progress : callable, optional
        Called with ``(index, query)`` before each query.

    Returns
    -------
    list of Tally
        mastq's, then astroquery's.
    """
    runs = [("mastq", mastq_clients, True)]
    if astroquery:
        runs.append(("astroquery.mast", astroquery_clients, False))
    tallies = []
    with mastq.conf.set_temp("cache", False), mastq.conf.set_temp("deadline", 60.0):
        for name, make, strict in runs:
            clean, faulty = make(clean_url), make(faulty_url)
            tally = Tally(name)
            for index, query in enumerate(queries):
                if progress is not None:
                    progress(index, query)
                call = query.ours if strict else query.theirs
                tally.add(query, attempt(call, clean), attempt(call, faulty), strict=strict)
            tallies.append(tally)
    return tallies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=500, help="queries (default 500)")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.2,
        help="fraction of requests failing on the faulty server (default 0.2)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of queries and faults")
    parser.add_argument("--quick", action="store_true", help="60 queries")
    parser.add_argument(
        "--retries",
        type=int,
        default=None,
        help="mastq.conf.retries for the run (default: the configured 5)",
    )
    parser.add_argument("--no-astroquery", action="store_true", help="run mastq only")
    parser.add_argument(
        "--cache",
        action="store_true",
        help="also run the cache soak (processes sharing one cache, kills)",
    )
    parser.add_argument(
        "--downloads",
        type=int,
        default=0,
        metavar="N",
        help="also run the download soak with N files (e.g. 300)",
    )
    parser.add_argument("--cache-child", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--download-child", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--list-server", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--obsids", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    n = 60 if args.quick else args.queries
    if args.cache or args.downloads or args.cache_child or args.download_child:
        import soak_disk
    if args.cache_child:
        soak_disk.cache_child(args.server, args.cache_child, n, args.seed, args.obsids.split(","))
        return 0
    if args.download_child:
        print(
            json.dumps(
                soak_disk.download_batch(
                    args.list_server, args.server, args.download_child, args.downloads
                )
            )
        )
        return 0
    started = time.monotonic()
    retries = mastq.conf.retries if args.retries is None else args.retries
    cached = downloaded = None
    with (
        servers(args.fault_rate, args.seed) as ((clean_url, _), (faulty_url, seen)),
        mastq.conf.set_temp("retries", retries),
    ):
        queries = make_queries(n, args.seed, some_obsids(clean_url))
        kinds = Counter(q.kind for q in queries)
        print(
            f"soak: {n} queries {dict(kinds)}, fault rate {args.fault_rate}, "
            f"mastq retries {retries}, seed {args.seed}"
        )
        tallies = soak(
            queries,
            clean_url,
            faulty_url,
            astroquery=not args.no_astroquery,
            progress=lambda i, q: log.info("%d %s", i, q.label),
        )
        for tally in tallies:
            print("\n".join(tally.report()))
        if args.cache:
            with tempfile.TemporaryDirectory(prefix="mastq-soak-cache-") as folder:
                cached = soak_disk.cache_soak(
                    clean_url, (faulty_url, seen), folder, n=min(n, 60), seed=args.seed
                )
            print("\n".join(cached.report()))
        if args.downloads:
            with tempfile.TemporaryDirectory(prefix="mastq-soak-files-") as folder:
                downloaded = soak_disk.download_soak(
                    clean_url, faulty_url, folder, limit=args.downloads, seed=args.seed
                )
            print("\n".join(downloaded.report()))
    faults = {k: v for k, v in seen.items() if k.startswith("fault:")}
    print(
        f"faulty server: {dict(seen - Counter(faults))} requests, "
        f"{sum(faults.values())} faults injected {faults}"
    )
    print(f"total {time.monotonic() - started:.0f} s")
    ours = tallies[0]
    failed = ours.different or ours.unnamed or ours.misnamed
    failed = failed or (cached is not None and (cached.corrupt or cached.unnamed))
    failed = failed or (
        downloaded is not None and (downloaded.partial or downloaded.lost or downloaded.missing)
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
