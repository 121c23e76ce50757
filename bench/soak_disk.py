"""
The soak's disk half (issue 9): processes sharing one query cache, and a download batch,
both under injected faults and killed mid-run (SIGKILL), then rerun.

Run through ``bench/soak.py --cache`` and ``bench/soak.py --downloads N``; the processes
it starts are ``bench/soak.py --cache-child`` / ``--download-child``, each printing JSON
lines its parent reads.
"""

import hashlib
import json
import random
import subprocess
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from soak import attempt, make_queries, mastq_clients, names_cause, some_obsids

import mastq
from mastq.observations import ObservationsClass

SCRIPT = Path(__file__).resolve().with_name("soak.py")
"""The script every child process runs."""


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
            line = {
                "i": index,
                "from_cache": out.from_cache,
                "rows": None,
                "digest": None,
                "error": None,
                "named": True,
            }
            if out.error is None:
                line["rows"], line["digest"] = out.stamp
            else:
                line["error"] = repr(out.error)
                line["named"] = names_cause(out.error)
            print(json.dumps(line), flush=True)


def _spawn_child(url, cache_dir, n, seed, obsids):
    command = [
        sys.executable,
        str(SCRIPT),
        "--cache-child",
        str(cache_dir),
        "--server",
        url,
        "--queries",
        str(n),
        "--seed",
        str(seed),
        "--obsids",
        ",".join(obsids),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


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
        lines = [
            f"cache: {self.runs} process runs ({self.killed} killed mid-run), "
            f"{self.answers} answers, {self.identical} identical "
            f"({self.from_cache} from the cache), {self.errored} errored, "
            f"{len(self.corrupt)} different; the last run (after every kill) sent "
            f"{self.last_run_invokes} invoke requests"
        ]
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
    with (
        mastq.conf.set_temp("server", url),
        mastq.conf.set_temp("cache", False),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        observations = ObservationsClass()
        table = observations.query_region(
            SkyCoord(210.802429, 54.34875, unit="deg"), radius=1.0 * u.deg
        )
        products = observations.get_product_list(table[: max(20, limit // 2)])
    if "dataRights" in products.colnames:
        products = products[np.char.upper(products["dataRights"].astype(str)) == "PUBLIC"]
    return products[: int(limit)]


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
        manifest = ObservationsClass().download_products(
            products, download_dir=folder, progress=False
        )
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
    command = [
        sys.executable,
        str(SCRIPT),
        "--download-child",
        str(folder),
        "--server",
        fetch_url,
        "--list-server",
        list_url,
        "--downloads",
        str(limit),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


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
    rewritten: set = field(default_factory=set)
    leftovers: int = 0

    def check(self, found, reference, earlier):
        """Check the files now in the folder; ``earlier`` is a previous check's `found`."""
        self.partial += [
            name for name, (_, _, digest) in found.items() if reference.get(name) != digest
        ]
        self.lost += [name for name in earlier if name not in found]
        self.rewritten |= {
            name
            for name, (_, mtime, _) in earlier.items()
            if name in found and found[name][1] != mtime
        }

    def report(self):
        """Lines of text for a person."""
        return [
            f"downloads: {self.files} files, {self.runs} runs ({self.killed} killed "
            f"mid-batch), {self.complete} complete and verified at the end, "
            f"{len(self.missing)} missing, {len(self.partial)} partial or wrong under a "
            f"final name, {len(self.lost)} already downloaded then lost, "
            f"{len(self.rewritten)} verified files written again by a rerun, "
            f"{self.leftovers} .part files left"
        ]


def download_soak(
    clean_url, faulty_url, folder, *, limit=300, kills=2, reruns=4, seed=0, timeout=600
):
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
        tally.killed += _kill_when(
            child, target, len(seen) + rng.randrange(1, max(2, limit // 3)), timeout
        )
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
