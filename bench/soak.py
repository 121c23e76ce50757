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
    python bench/soak.py --queries 200 --fault-rate 0.3 --seed 7

Everything runs on loopback; every query is bounded by ``mastq.conf.deadline`` (mastq)
and by the servers closing faulty connections (astroquery).
"""

import argparse
import contextlib
import hashlib
import json
import logging
import random
import subprocess
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
from mastq.emulator import Emulator, EmulatorConfig, FaultConfig  # noqa: E402
from mastq.emulator.faults import FaultInjector  # noqa: E402
from mastq.emulator.names import OBJECTS  # noqa: E402
from mastq.exceptions import MastqError, RowLimitError  # noqa: E402
from mastq.mast import MastClass  # noqa: E402
from mastq.observations import ObservationsClass  # noqa: E402

log = logging.getLogger("mastq.bench.soak")

FORMATS = ("json", "csv", "votable")
CATALOGS = ("Tic", "Ctl", "GaiaDR3")
COLLECTIONS = ("HST", "JWST", "TESS", "GALEX", "SWIFT")
PAGESIZES = (7, 25, 60)
CAUSE_WORDS = ("503", "429", "reset", "truncat", "incomplete", "prematurely", "retries",
               "deadline", "connection", "timed out", "timeout", "closed")
"""Words by which a mastq error names the transient cause it gave up on."""


# --------------------------------------------------------------------------------------
# The queries
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """One query: a label and the same call through mastq and through astroquery."""

    label: str
    kind: str
    ours: object     # callable(Clients) -> Table
    theirs: object   # callable(Clients) -> Table


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
    kind = rng.choice(("obs_region", "obs_criteria", "obs_count", "criteria_count",
                       "cat_region", "cat_criteria", "products", "service", "paged"))
    if kind == "obs_region":
        return Query(f"Observations.query_region({ra:.3f}, {dec:.3f}, r={radius})", kind,
                     lambda c: c.observations.query_region(coord, radius=radius * u.deg),
                     lambda c: c.observations.query_region(coord, radius=radius * u.deg))
    if kind in ("obs_criteria", "criteria_count"):
        coll = rng.choice(COLLECTIONS)
        counted = kind == "criteria_count"
        name = "query_criteria_count" if counted else "query_criteria"
        return Query(f"Observations.{name}({ra:.3f}, {dec:.3f}, r=1, {coll})", kind,
                     lambda c: getattr(c.observations, name)(
                         coordinates=coord, radius=1.0 * u.deg, obs_collection=coll),
                     lambda c: getattr(c.observations, name)(
                         coordinates=coord, radius=1.0 * u.deg, obs_collection=coll))
    if kind == "obs_count":
        return Query(f"Observations.query_region_count({ra:.3f}, {dec:.3f}, r={radius})", kind,
                     lambda c: c.observations.query_region_count(coord, radius=radius * u.deg),
                     lambda c: c.observations.query_region_count(coord, radius=radius * u.deg))
    if kind == "cat_region":
        catalog, small = rng.choice(CATALOGS), radius / 10
        return Query(f"Catalogs.query_region({ra:.3f}, {dec:.3f}, r={small}, {catalog})", kind,
                     lambda c: c.catalogs.query_region(coord, radius=small * u.deg,
                                                       catalog=catalog),
                     lambda c: c.catalogs.query_region(coord, radius=small * u.deg,
                                                       catalog=catalog))
    if kind == "cat_criteria":
        low = rng.choice((6, 8, 10))
        return Query(f"Catalogs.query_criteria(Tic, {ra:.3f}, {dec:.3f}, Tmag {low}..{low + 4})",
                     kind,
                     lambda c: c.catalogs.query_criteria("Tic", coordinates=coord, radius=0.05,
                                                         Tmag=(low, low + 4)),
                     lambda c: c.catalogs.query_criteria("Tic", coordinates=coord, radius=0.05,
                                                         Tmag=[low, low + 4]))
    if kind == "products":
        chosen = sorted(rng.sample(obsids, k=min(len(obsids), rng.choice((1, 2, 4)))))
        return Query(f"Observations.get_product_list({chosen})", kind,
                     lambda c: c.observations.get_product_list(chosen),
                     lambda c: c.observations.get_product_list(chosen))
    params = {"ra": ra, "dec": dec, "radius": radius}
    if kind == "service":
        fmt = rng.choice(FORMATS)
        return Query(f"Mast.service_request(Mast.Caom.Cone, {params}, format={fmt})", kind,
                     lambda c: c.mast.service_request("Mast.Caom.Cone", params, format=fmt),
                     lambda c: c.mast.service_request("Mast.Caom.Cone", params, format=fmt))
    pagesize = rng.choice(PAGESIZES)
    return Query(f"Mast.service_request(Mast.Caom.Cone, {params}, pagesize={pagesize})", kind,
                 lambda c: c.mast.service_request("Mast.Caom.Cone", params, pagesize=pagesize),
                 lambda c: c.mast.service_request("Mast.Caom.Cone", params, pagesize=pagesize))


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
        portal = query._portal_api_connection
        portal.MAST_REQUEST_URL = url + "/api/v0/invoke"
        portal.COLUMNS_CONFIG_URL = url + "/portal/Mashup/Mashup.asmx/columnsconfig"
        portal.MAST_DOWNLOAD_URL = url + "/api/v0.1/Download/file"
        portal.MAST_BUNDLE_URL = url + "/api/v0.1/Download/bundle"
        portal._column_configs = {}
        service = query._service_api_connection
        service.SERVICE_URL = url
        service.REQUEST_URL = url + "/api/v0.1/"
        service.MAST_DOWNLOAD_URL = url + "/api/v0.1/Download/file"
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
        return Outcome(time.monotonic() - start, stamp=fingerprint(result),
                       from_cache=bool(meta.get("from_cache", False)))
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
        lines = [f"{self.client}: {c['queries']} queries, {c['completed']} completed, "
                 f"{c['identical']} identical, {c['errored']} errored, "
                 f"{c['different']} silently different ({c['rows']} rows); "
                 f"slowest {self.slowest:.1f} s"]
        if self.errors:
            lines.append(f"  errors: {dict(self.errors)}")
        if self.baseline_failed:
            lines.append(f"  failed on the fault-free server too (not counted): "
                         f"{dict(self.baseline_failed)}")
        lines += [f"  DIFFERENT {label}: clean {a} faulty {b}" for label, a, b in self.different]
        lines += [f"  UNNAMED CAUSE {label}: {error}" for label, error in self.unnamed]
        lines += [f"  ROW LIMIT ON {rows} ROWS {label}: {error}"
                  for label, rows, error in self.misnamed]
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
    return EmulatorConfig(faults=FaultConfig(
        seed=seed, p_503=share, p_429=share, p_reset=share, p_truncate=share,
        retry_after=retry_after, slow_stream=slow_stream))


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
    faulty = Emulator(faulty_config(fault_rate, seed, slow_stream=slow_stream),
                      archive=clean.app.archive).start()
    try:
        yield (clean.url, count_requests(clean)), (faulty.url, count_requests(faulty))
    finally:
        faulty.stop()
        clean.stop()


def some_obsids(url, n=12):
    """Observation ids with products on the server at ``url`` (for product-list queries)."""
    with mastq.conf.set_temp("server", url), mastq.conf.set_temp("cache", False):
        table = ObservationsClass().query_region(SkyCoord(210.802429, 54.34875, unit="deg"),
                                                 radius=0.2 * u.deg)
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


# --------------------------------------------------------------------------------------
# The cache soak: processes sharing one cache folder, some killed mid-run
# --------------------------------------------------------------------------------------

def cache_child(url, cache_dir, n, seed, obsids):
    """
    Run the soak's queries through mastq with the persistent cache in ``cache_dir``.

    Prints one JSON line per query (flushed at once, so a parent that kills this
    process mid-run reads what was done): ``{"i", "rows", "digest", "error", "named",
    "from_cache"}``.
    """
    queries = make_queries(n, seed, obsids)
    clients = mastq_clients(url)
    with mastq.conf.set_temp("cache", True), mastq.conf.set_temp("cache_dir", str(cache_dir)):
        for index, query in enumerate(queries):
            out = attempt(query.ours, clients)
            line = {"i": index, "from_cache": out.from_cache, "rows": None, "digest": None,
                    "error": None, "named": True}
            if out.error is None:
                line["rows"], line["digest"] = out.stamp
            else:
                line["error"] = repr(out.error)
                line["named"] = names_cause(out.error)
            print(json.dumps(line), flush=True)


def _spawn_child(url, cache_dir, n, seed, obsids):
    command = [sys.executable, str(Path(__file__).resolve()), "--cache-child", str(cache_dir),
               "--server", url, "--queries", str(n), "--seed", str(seed),
               "--obsids", ",".join(obsids)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)


def _lines(child, timeout, *, first=()):
    out, _ = child.communicate(timeout=timeout)
    return [json.loads(line) for line in [*first, *out.splitlines()] if line.startswith("{")]


def _kill_after(child, answers):
    """Kill ``child`` (SIGKILL) once it printed ``answers`` lines; return the lines read."""
    read = []
    while len(read) < answers:
        line = child.stdout.readline()
        if not line:
            break
        read.append(line)
    killed = child.poll() is None
    child.kill()
    return read, killed


@dataclass
class CacheTally:
    """What the processes sharing one cache got, against the reference run."""

    runs: int = 0
    answers: int = 0
    identical: int = 0
    from_cache: int = 0
    errored: int = 0
    killed: int = 0
    corrupt: list = field(default_factory=list)
    unnamed: list = field(default_factory=list)
    last_run_invokes: int = 0

    def add(self, lines, reference):
        self.runs += 1
        for line in lines:
            self.answers += 1
            self.from_cache += bool(line["from_cache"])
            if line["error"] is not None:
                self.errored += 1
                if not line["named"]:
                    self.unnamed.append(line)
            elif (line["rows"], line["digest"]) == tuple(reference[line["i"]]):
                self.identical += 1
            else:
                self.corrupt.append(line)

    def report(self):
        """Lines of text for a person."""
        lines = [f"cache: {self.runs} process runs ({self.killed} killed mid-run), "
                 f"{self.answers} answers, {self.identical} identical "
                 f"({self.from_cache} from the cache), {self.errored} errored, "
                 f"{len(self.corrupt)} different; the last run (after every kill) sent "
                 f"{self.last_run_invokes} invoke requests"]
        lines += [f"  DIFFERENT {line}" for line in self.corrupt]
        lines += [f"  UNNAMED CAUSE {line}" for line in self.unnamed]
        return lines


def cache_soak(clean_url, faulty, cache_dir, *, n, seed, kills=2, timeout=600):
    """
    Two processes share one cache folder under faults; ``kills`` more are killed mid-run.

    Each round starts two processes running the same queries against the faulty
    server with one cache folder, kills one of them (SIGKILL) after a random number of
    answers, and lets the other finish; a last process then runs everything again,
    mostly from the cache.  Every answer must be identical to the fault-free,
    cache-free reference (or a mastq error naming its cause).

    Parameters
    ----------
    clean_url : str
        The fault-free local MAST (the reference run, without cache).
    faulty : (str, collections.Counter)
        URL and request counts of the faulty local MAST.
    cache_dir : str or Path
        The folder every process shares.
    n, seed : int
        Queries of each process (as `make_queries`).
    kills : int
        Rounds, each with one process killed.
    timeout : float
        Longest wait for one process.

    Returns
    -------
    CacheTally
    """
    rng = random.Random(seed)
    obsids = some_obsids(clean_url)
    queries = make_queries(n, seed, obsids)
    with mastq.conf.set_temp("cache", False):
        reference = [attempt(q.ours, mastq_clients(clean_url)).stamp for q in queries]
    faulty_url, seen = faulty
    tally = CacheTally()
    for _ in range(int(kills)):
        victim = _spawn_child(faulty_url, cache_dir, n, seed, obsids)
        other = _spawn_child(faulty_url, cache_dir, n, seed, obsids)
        read, killed = _kill_after(victim, rng.randrange(1, max(2, n)))
        tally.killed += killed
        tally.add(_lines(victim, timeout, first=read), reference)
        tally.add(_lines(other, timeout), reference)
    before = seen["invoke"]
    tally.add(_lines(_spawn_child(faulty_url, cache_dir, n, seed, obsids), timeout), reference)
    tally.last_run_invokes = seen["invoke"] - before
    return tally


# --------------------------------------------------------------------------------------
# The download soak: a batch under faults, killed mid-batch and rerun
# --------------------------------------------------------------------------------------

def soak_products(url, limit):
    """The first ``limit`` public products of observations around M 101 (a fixed list)."""
    with mastq.conf.set_temp("server", url), mastq.conf.set_temp("cache", False), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        observations = ObservationsClass()
        table = observations.query_region(SkyCoord(210.802429, 54.34875, unit="deg"),
                                          radius=1.0 * u.deg)
        products = observations.get_product_list(table[:max(20, limit // 2)])
    if "dataRights" in products.colnames:
        products = products[np.char.upper(products["dataRights"].astype(str)) == "PUBLIC"]
    return products[:int(limit)]


def download_batch(list_url, fetch_url, folder, limit):
    """
    Download the soak's products (listed by ``list_url``) from ``fetch_url`` into ``folder``.

    Returns
    -------
    dict
        ``{"files": n, "status": {status: count}}`` from the manifest.
    """
    products = soak_products(list_url, limit)
    with mastq.conf.set_temp("server", fetch_url), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        manifest = ObservationsClass().download_products(products, download_dir=folder,
                                                         progress=False)
    statuses = Counter(str(s) for s in manifest["Status"]) if manifest is not None else {}
    return {"files": len(products), "status": dict(statuses)}


def final_files(folder):
    """``{relative path: (size, mtime_ns, sha256)}`` of the files under final names."""
    found = {}
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix == ".part" or path.name.startswith(".mastq"):
            continue
        stat = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns, digest)
    return found


def _spawn_download(list_url, fetch_url, folder, limit):
    command = [sys.executable, str(Path(__file__).resolve()), "--download-child", str(folder),
               "--server", fetch_url, "--list-server", list_url, "--downloads", str(limit)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)


def _kill_when(child, folder, files, timeout):
    """SIGKILL ``child`` once ``folder`` holds ``files`` final files (or when it ended)."""
    stop = time.monotonic() + timeout
    while child.poll() is None and time.monotonic() < stop:
        if len(final_files(folder)) >= files:
            break
        time.sleep(0.05)
    killed = child.poll() is None
    child.kill()
    child.communicate(timeout=timeout)
    return killed


@dataclass
class DownloadTally:
    """What the runs of the download batch left on disk, against the reference files."""

    files: int = 0
    runs: int = 0
    killed: int = 0
    complete: int = 0
    partial: list = field(default_factory=list)
    lost: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    leftovers: int = 0

    def check(self, found, reference, earlier):
        """Check the files now in the folder; ``earlier`` is a previous check's `found`."""
        self.partial += [name for name, (_, _, digest) in found.items()
                         if reference.get(name) != digest]
        self.lost += [name for name in earlier if name not in found]

    def report(self):
        """Lines of text for a person."""
        return [f"downloads: {self.files} files, {self.runs} runs ({self.killed} killed "
                f"mid-batch), {self.complete} complete and verified at the end, "
                f"{len(self.missing)} missing, {len(self.partial)} partial or wrong under a "
                f"final name, {len(self.lost)} already downloaded then lost, "
                f"{self.leftovers} .part files left"]


def download_soak(clean_url, faulty_url, folder, *, limit=300, kills=2, reruns=4, seed=0,
                  timeout=600):
    """
    Download ``limit`` files under faults, killing the process mid-batch, then rerun it.

    The reference is the same batch from the fault-free server in-process.  After every
    run (killed or not) each file under its final name must be complete (its SHA-256 is
    the reference's) and every file seen before must still be there; after the last
    run every file must be there.

    Parameters
    ----------
    clean_url, faulty_url : str
        The fault-free and the faulty local MAST.
    folder : str or Path
        An empty folder; ``reference/`` and ``soak/`` are made in it.
    limit : int
        Files in the batch.
    kills : int
        Runs killed mid-batch (each after a random number of finished files).
    reruns : int
        Most runs to finish the batch after the kills (faults may fail some files).
    seed : int
        Seed of the moments of the kills.
    timeout : float
        Longest wait for one run.

    Returns
    -------
    DownloadTally
    """
    rng = random.Random(seed)
    root = Path(folder)
    download_batch(clean_url, clean_url, root / "reference", limit)
    reference = {name: digest for name, (_, _, digest) in final_files(root / "reference").items()}
    tally, target, seen = DownloadTally(files=len(reference)), root / "soak", {}
    for _ in range(int(kills)):
        child = _spawn_download(clean_url, faulty_url, target, limit)
        tally.killed += _kill_when(child, target, len(seen) + rng.randrange(1, max(2, limit // 3)),
                                   timeout)
        tally.runs += 1
        found = final_files(target)
        tally.check(found, reference, seen)
        seen = found
    for _ in range(int(reruns)):
        child = _spawn_download(clean_url, faulty_url, target, limit)
        child.communicate(timeout=timeout)
        tally.runs += 1
        found = final_files(target)
        tally.check(found, reference, seen)
        seen = found
        if set(found) >= set(reference):
            break
    tally.complete = sum(reference.get(name) == digest for name, (_, _, digest) in seen.items())
    tally.missing = sorted(set(reference) - set(seen))
    tally.leftovers = len(list(target.rglob("*.part")))
    return tally


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=500, help="queries (default 500)")
    parser.add_argument("--fault-rate", type=float, default=0.2,
                        help="fraction of requests failing on the faulty server (default 0.2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of queries and faults")
    parser.add_argument("--quick", action="store_true", help="60 queries")
    parser.add_argument("--retries", type=int, default=None,
                        help="mastq.conf.retries for the run (default: the configured 5)")
    parser.add_argument("--no-astroquery", action="store_true",
                        help="run mastq only")
    parser.add_argument("--cache", action="store_true",
                        help="also run the cache soak (processes sharing one cache, kills)")
    parser.add_argument("--downloads", type=int, default=0, metavar="N",
                        help="also run the download soak with N files (e.g. 300)")
    parser.add_argument("--cache-child", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--download-child", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--list-server", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--obsids", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    n = 60 if args.quick else args.queries
    if args.cache_child:
        cache_child(args.server, args.cache_child, n, args.seed, args.obsids.split(","))
        return 0
    if args.download_child:
        print(json.dumps(download_batch(args.list_server, args.server, args.download_child,
                                        args.downloads)))
        return 0
    started = time.monotonic()
    retries = mastq.conf.retries if args.retries is None else args.retries
    cached = downloaded = None
    with servers(args.fault_rate, args.seed) as ((clean_url, _), (faulty_url, seen)), \
            mastq.conf.set_temp("retries", retries):
        queries = make_queries(n, args.seed, some_obsids(clean_url))
        kinds = Counter(q.kind for q in queries)
        print(f"soak: {n} queries {dict(kinds)}, fault rate {args.fault_rate}, "
              f"mastq retries {retries}, seed {args.seed}")
        tallies = soak(queries, clean_url, faulty_url, astroquery=not args.no_astroquery,
                       progress=lambda i, q: log.info("%d %s", i, q.label))
        for tally in tallies:
            print("\n".join(tally.report()))
        if args.cache:
            with tempfile.TemporaryDirectory(prefix="mastq-soak-cache-") as folder:
                cached = cache_soak(clean_url, (faulty_url, seen), folder, n=min(n, 60),
                                    seed=args.seed)
            print("\n".join(cached.report()))
        if args.downloads:
            with tempfile.TemporaryDirectory(prefix="mastq-soak-files-") as folder:
                downloaded = download_soak(clean_url, faulty_url, folder,
                                           limit=args.downloads, seed=args.seed)
            print("\n".join(downloaded.report()))
    faults = {k: v for k, v in seen.items() if k.startswith("fault:")}
    print(f"faulty server: {dict(seen - Counter(faults))} requests, "
          f"{sum(faults.values())} faults injected {faults}")
    print(f"total {time.monotonic() - started:.0f} s")
    ours = tallies[0]
    failed = ours.different or ours.unnamed or ours.misnamed
    failed = failed or (cached is not None and (cached.corrupt or cached.unnamed))
    failed = failed or (downloaded is not None and (downloaded.partial or downloaded.lost
                                                    or downloaded.missing))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
