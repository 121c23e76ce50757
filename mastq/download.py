"""
Verified, parallel, resumable file transfers from MAST.

A `Downloader` is made by the call that needs it (as parfive's and sunpy's ``fetch``): it
owns one pooled `requests.Session` and a thread pool, runs a list of `Transfer` values and
returns one `Outcome` per transfer; nothing survives the call.  `download_plan` turns a
product table into transfers (paths kept inside the download folder whatever the names
say) and `manifest` the outcomes into astroquery's manifest.  Every file

- is looked up locally first: a file already verified (recorded, by size and mtime, in the
  folder's ``.mastq-verified.json``) or whose size matches the product list costs no request;
- is written to ``<name>.part`` and renamed only once its size (and the server's
  ``X-Checksum-SHA256`` / ``Content-MD5``) verified, so the final name never holds a
  truncated file, even when the process is killed;
- resumes an existing ``.part`` with a ``Range`` request (a ``.part`` that then fails
  verification is discarded and fetched anew);
- is retried with backoff on resets, truncated bodies, 429 and 5xx, within one deadline.

requests (not parfive) because the transfers must run inside a notebook's running event
loop without ``asyncio.run``, keep the token cookie scoped to the MAST host through
redirects, and resume/verify per file; a thread pool over one connection pool does all that.
"""

import base64
import hashlib
import logging
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import numpy as np
import orjson
import requests
from astropy.table import MaskedColumn, Table
from requests.adapters import HTTPAdapter

from . import __version__
from . import progress as _progress
from .exceptions import AuthenticationError, DownloadError, QueryDeadlineError
from .polling import Deadline, parse_retry_after, retry_pause
from .settings import Settings

__all__ = [
    "Transfer",
    "Outcome",
    "Downloader",
    "safe_name",
    "SIDECAR",
    "file_url",
    "download_plan",
    "manifest",
    "file_path",
]

log = logging.getLogger(__name__)

SIDECAR = ".mastq-verified.json"
"""Per-folder record of verified files: name -> [size, mtime_ns, sha256]."""
CHUNK = 1 << 16
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def safe_name(name, *, what="file name"):
    """
    The last component of ``name``, safe to join to a folder.

    Parameters
    ----------
    name : str
        A product file name, obs_id or collection (possibly hostile: ``../../x``, ``/etc/x``).
    what : str
        What ``name`` is, for the error message.

    Returns
    -------
    str

    Raises
    ------
    DownloadError
        If nothing usable is left (``..``, empty).

    Examples
    --------
    >>> safe_name("../../etc/x_cal.fits")
    'x_cal.fits'
    """
    text = str(name).replace("\\", "/").replace("\x00", "")
    base = PurePosixPath(text).name.strip()
    if base in ("", ".", ".."):
        raise DownloadError(f"unsafe {what} {str(name)!r}: it names no file")
    return base


@dataclass(frozen=True)
class Transfer:
    """
    One file to fetch.

    Parameters
    ----------
    url : str
        Where the bytes are.
    path : pathlib.Path
        Final local path.
    size : int or None
        Size the product list gives (None when unknown).
    """

    url: str
    path: Path
    size: object = None


@dataclass(frozen=True)
class Outcome:
    """
    What became of one `Transfer`.

    Parameters
    ----------
    status : {'COMPLETE', 'ERROR', 'SKIPPED'}
    message : str or None
    size : int or None
        Bytes of the verified file.
    sha256 : str or None
        Its SHA-256 (None when not hashed, e.g. a present file never verified by mastq).
    fetched : bool
        True when bytes were transferred by this call.
    needs_token : bool
        True when the server refused the file for want of a (valid) token.

    Examples
    --------
    >>> outcome = Outcome("ERROR", message="HTTP 401", needs_token=True)
    >>> outcome.status, outcome.fetched, outcome.needs_token
    ('ERROR', False, True)
    """

    status: str
    message: object = None
    size: object = None
    sha256: object = None
    fetched: bool = False
    needs_token: bool = False


class _RetryError(Exception):
    """A transient failure: try again (after ``retry_after`` seconds at least)."""

    def __init__(self, message, retry_after=None, restart=False):
        super().__init__(message)
        self.retry_after = retry_after
        self.restart = restart


def _session(connections, auth):
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=connections, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"mastq/{__version__} {session.headers['User-Agent']}"
    session.auth = auth
    return session


def _progress_bar(enabled, total, files, settings=None):
    """The bar of a batch: when asked, or (None) when watched and ``conf.progress`` allows."""
    if enabled is None:
        enabled = (settings or Settings.current()).progress and _progress.interactive()
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=f"0/{files} files",
        leave=True,
    )


class Downloader:
    """
    Fetch files in parallel over one connection pool, verified and resumable.

    Parameters
    ----------
    connections : int, optional
        Files transferred at once; default `mastq.conf.download_connections`.
    progress : bool or None, optional
        One progress bar (files and bytes); None shows it only when a terminal or a
        notebook is watching and ``settings.progress`` (`mastq.conf.progress`) is True.
    auth : mastq.auth.MastTokenAuth, optional
        Adds the MAST token cookie to requests for the MAST host only (never to the host
        of a redirect).
    deadline : float, optional
        Seconds the whole batch may take; default `mastq.conf.download_deadline`.
    settings : mastq.settings.Settings, optional
        The configuration of the call (retries, timeouts); default a fresh snapshot.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> uri = "mast:JWST/product/jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits"
    >>> transfer = Transfer(file_url(uri), folder / "i2d.fits")
    >>> outcome, = Downloader(progress=False).run([transfer])
    >>> outcome.status, outcome.size, outcome.fetched
    ('COMPLETE', 23040, True)
    >>> Downloader(progress=False).run([transfer])[0].fetched   # present and verified
    False
    """

    def __init__(self, *, connections=None, progress=None, auth=None, deadline=None, settings=None):
        self.settings = settings or Settings.current()
        self.connections = int(
            self.settings.download_connections if connections is None else connections
        )
        if self.connections < 1:
            raise ValueError(f"connections must be >= 1, got {connections!r}")
        self.progress = progress
        self.auth = auth
        self.deadline_seconds = float(
            self.settings.download_deadline if deadline is None else deadline
        )
        self._lock = threading.Lock()

    def run(self, transfers, *, cache=True):
        """
        Fetch ``transfers`` (local files first), return one `Outcome` each, in order.

        Parameters
        ----------
        transfers : list of Transfer
        cache : bool
            Reuse verified local files (else fetch everything anew).

        Returns
        -------
        list of Outcome

        Raises
        ------
        DownloadError
            If the files to fetch need more than the free disk space (before any byte).
        """
        records = _Records()
        outcomes = [records.present(t) if cache else None for t in transfers]
        todo = [i for i, o in enumerate(outcomes) if o is None]
        log.info("%d file(s) present, %d to fetch", len(transfers) - len(todo), len(todo))
        if todo:
            _check_space([transfers[i] for i in todo])
            fetched = self._fetch_all([transfers[i] for i in todo])
            for i, outcome in zip(todo, fetched, strict=True):
                outcomes[i] = outcome
                if outcome.status == "COMPLETE":
                    records.add(transfers[i].path, outcome.sha256)
                    _check_listed_size(transfers[i], outcome)
        records.save()
        return outcomes

    def _fetch_all(self, transfers):
        deadline = Deadline.after(self.deadline_seconds)
        total = sum(t.size or 0 for t in transfers)
        bar = _progress_bar(self.progress, total or None, len(transfers), self.settings)
        session = _session(self.connections, self.auth)
        done = [0]

        def one(transfer):
            outcome = self._fetch(session, transfer, deadline, bar)
            if bar is not None:
                with self._lock:
                    done[0] += 1
                    bar.set_description(f"{done[0]}/{len(transfers)} files", refresh=False)
            return outcome

        try:
            with ThreadPoolExecutor(self.connections, thread_name_prefix="mastq-dl") as pool:
                return list(pool.map(one, transfers))
        finally:
            session.close()
            if bar is not None:
                bar.close()

    def _fetch(self, session, transfer, deadline, bar):
        attempt = 0
        while True:
            try:
                return self._attempt(session, transfer, deadline, bar)
            except _RetryError as exc:
                attempt += 1
                if exc.restart:
                    _unlink(_part(transfer.path))
                if attempt > self.settings.retries:
                    return Outcome("ERROR", f"{exc} (after {attempt} attempts)")
                log.info("retrying %s: %s", transfer.path.name, exc)
                try:
                    deadline.sleep(retry_pause(attempt, self.settings, exc.retry_after))
                except QueryDeadlineError:
                    return Outcome(
                        "ERROR", f"{exc}; download deadline of {deadline.seconds:g} s passed"
                    )
            except AuthenticationError as exc:
                return Outcome("ERROR", str(exc), needs_token=True)
            except (DownloadError, QueryDeadlineError, OSError) as exc:
                return Outcome("ERROR", str(exc))
            except requests.RequestException as exc:
                return Outcome("ERROR", f"request failed: {type(exc).__name__}")

    def _attempt(self, session, transfer, deadline, bar):
        part = _part(transfer.path)
        part.parent.mkdir(parents=True, exist_ok=True)
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        left = deadline.check(url=transfer.url)
        timeout = (min(self.settings.connect_timeout, left), min(self.settings.timeout, left))
        try:
            response = session.get(transfer.url, headers=headers, stream=True, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _RetryError(f"connection failed: {type(exc).__name__}") from None
        with response:
            offset = _check_status(response, transfer, offset)
            return self._receive(response, part, transfer, offset, bar)

    def _receive(self, response, part, transfer, offset, bar):
        expected = _total_length(response, offset)
        digests = _Digests()
        with open(part, "r+b" if offset else "wb") as out:
            digests.update_from(out, offset)
            out.seek(offset)
            out.truncate()
            try:
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    digests.update(chunk)
                    if bar is not None:
                        with self._lock:
                            bar.update(len(chunk))
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.Timeout,
            ) as exc:
                raise _RetryError(
                    f"truncated body: connection lost after {out.tell()} bytes "
                    f"({type(exc).__name__})"
                ) from None
            size = out.tell()
        if expected is not None and size < expected:
            raise _RetryError(f"truncated body: {size} of {expected} bytes")
        if expected is not None and size != expected:
            raise _RetryError(f"size mismatch: {size} bytes, expected {expected}", restart=True)
        problem = digests.mismatch(response.headers)
        if problem:
            raise _RetryError(f"checksum mismatch ({problem}); fetching anew", restart=True)
        os.replace(part, transfer.path)
        return Outcome("COMPLETE", None, size, digests.sha256.hexdigest(), True)


def _check_listed_size(transfer, outcome):
    if transfer.size is not None and outcome.size != transfer.size:
        log.warning(
            "%s: the server sent %d verified bytes but the product list says %d; "
            "a re-run will fetch it again",
            transfer.path.name,
            outcome.size,
            transfer.size,
        )


def _part(path):
    return path.with_name(path.name + ".part")


def _unlink(path):
    path.unlink(missing_ok=True)


def _check_status(response, transfer, offset):
    """The offset the body starts at, or raise (`_RetryError` for transient answers)."""
    code = response.status_code
    if code in (401, 403):
        raise AuthenticationError(
            "this file needs a valid MAST token: log in with "
            "Observations.login() or set MAST_API_TOKEN",
            url=transfer.url,
            status_code=code,
        )
    if code == 416:
        raise _RetryError("the partial file is longer than the file", restart=True)
    if code in _RETRY_STATUS:
        raise _RetryError(f"HTTP {code}", parse_retry_after(response.headers.get("Retry-After")))
    if code == 206:
        start = response.headers.get("Content-Range", "").partition(" ")[2].partition("-")[0]
        if start != str(offset):
            raise _RetryError("server resumed at the wrong offset", restart=True)
        return offset
    if code == 200:
        return 0
    raise DownloadError(
        f"cannot download {Path(transfer.path).name}",
        url=transfer.url,
        status_code=code,
        server_message=response.text.strip()[:300],
    )


def _total_length(response, offset):
    if response.status_code == 206:
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


class _Digests:
    """SHA-256 and MD5 of a file being written (its kept prefix first)."""

    def __init__(self):
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5()  # noqa: S324 (RFC 1864 Content-MD5, not security)

    def update(self, chunk):
        self.sha256.update(chunk)
        self.md5.update(chunk)

    def update_from(self, handle, length):
        handle.seek(0)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            self.update(chunk)
            length -= len(chunk)

    def mismatch(self, headers):
        """A description of the first checksum the server offered that differs, or None."""
        sha = headers.get("X-Checksum-SHA256")
        if sha and sha.strip().lower() != self.sha256.hexdigest():
            return "X-Checksum-SHA256"
        md5 = headers.get("Content-MD5")
        if md5 and md5.strip() != base64.b64encode(self.md5.digest()).decode():
            return "Content-MD5"
        return None


class _Records:
    """The ``.mastq-verified.json`` of every folder touched by one call."""

    def __init__(self):
        self._folders = {}
        self._dirty = set()

    def _folder(self, folder):
        if folder not in self._folders:
            try:
                entries = orjson.loads((folder / SIDECAR).read_bytes())
            except (OSError, orjson.JSONDecodeError):
                entries = {}
            self._folders[folder] = entries if isinstance(entries, dict) else {}
        return self._folders[folder]

    def present(self, transfer):
        """An `Outcome` for a file already there (verified or of the listed size), or None."""
        try:
            stat = transfer.path.stat()
        except OSError:
            return None
        entry = self._folder(transfer.path.parent).get(transfer.path.name)
        if transfer.size is not None and stat.st_size != transfer.size:
            return None
        if isinstance(entry, list) and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
            return Outcome("COMPLETE", None, stat.st_size, entry[2])
        if transfer.size is not None:
            return Outcome("COMPLETE", None, stat.st_size, None)
        return None

    def add(self, path, sha256):
        stat = path.stat()
        self._folder(path.parent)[path.name] = [stat.st_size, stat.st_mtime_ns, sha256]
        self._dirty.add(path.parent)

    def save(self):
        for folder in self._dirty:
            target = folder / SIDECAR
            temporary = folder / (SIDECAR + f".{os.getpid()}.tmp")
            try:
                temporary.write_bytes(orjson.dumps(self._folders[folder]))
                os.replace(temporary, target)
            except OSError as exc:
                log.warning("could not record verified files in %s: %s", target, exc)


def _check_space(transfers):
    need = sum(t.size or 0 for t in transfers)
    if not need:
        return
    folder = Path(os.path.commonpath([str(t.path.parent) for t in transfers]))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if need > free:
        raise DownloadError(
            f"the {len(transfers)} file(s) need {need / 1e6:.1f} MB but "
            f"{folder} has only {free / 1e6:.1f} MB free"
        )


def file_url(uri, base_url=None):
    """The download URL of a ``dataURI`` (``<server>/api/v0.1/Download/file?uri=...``).

    Examples
    --------
    >>> file_url("mast:HST/product/a.fits")   # on the configured server (here a local MAST)
    'http://127.0.0.1:.../api/v0.1/Download/file?uri=mast:HST/product/a.fits'
    """
    base = base_url or Settings.current().server + "/api/v0.1/Download/file"
    return f"{base}?uri={quote(str(uri), safe=':/')}"


def _inside(path, root):
    resolved, top = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([resolved, top]) != top:
        raise DownloadError(f"refusing to write {path}: outside the download folder {root}")
    return Path(path)


def _folder_name(value):
    """A collection or obs_id as one folder name (separators replaced, never ``..``)."""
    text = re.sub(r"[/\\\x00]", "_", str(value)).strip()
    return "_" if text in ("", ".", "..") else text


def download_plan(products, root, *, flat=False):
    """
    One `mastq.download.Transfer` per product, each path checked to stay inside ``root``.

    Parameters
    ----------
    products : `~astropy.table.Table`
        With ``dataURI``, ``productFilename``, ``size`` and (unless ``flat``)
        ``obs_collection``, ``obs_id``.
    root : pathlib.Path
        The download folder.
    flat : bool
        Files directly in ``root``, else in ``root/mastDownload/<collection>/<obs_id>``.

    Returns
    -------
    list of Transfer

    Raises
    ------
    DownloadError
        If a name would lead outside ``root`` or names no file.

    Examples
    --------
    >>> from pathlib import Path
    >>> from astropy.table import Table
    >>> products = Table({"dataURI": ["mast:HST/product/a_cal.fits"], "obs_collection": ["HST"],
    ...                   "obs_id": ["A1"], "productFilename": ["a_cal.fits"], "size": [10]})
    >>> download_plan(products, Path("downloads"))[0].path.as_posix()
    'downloads/mastDownload/HST/A1/a_cal.fits'
    """
    sizes = np.ma.asanyarray(products["size"]) if "size" in products.colnames else None
    plan = []
    for i, row in enumerate(products):
        name = safe_name(row["productFilename"])
        folder = (
            root
            if flat
            else root.joinpath(
                "mastDownload", _folder_name(row["obs_collection"]), _folder_name(row["obs_id"])
            )
        )
        size = None if sizes is None or np.ma.is_masked(sizes[i]) else int(sizes[i])
        plan.append(Transfer(file_url(row["dataURI"]), _inside(folder / name, root), size))
    return plan


def manifest(plan, outcomes):
    """
    The download manifest: astroquery's columns, then mastq's.

    Parameters
    ----------
    plan : list of Transfer
    outcomes : list of Outcome

    Returns
    -------
    `~astropy.table.Table`

    Examples
    --------
    >>> from pathlib import Path
    >>> plan = [Transfer(file_url("mast:HST/product/a.fits"), Path("downloads/a.fits"), 10)]
    >>> table = manifest(plan, [Outcome("COMPLETE", size=10, sha256="ab", fetched=True)])
    >>> table["Local Path"].tolist(), table["Status"].tolist(), table["Fetched"].tolist()
    (['downloads/a.fits'], ['COMPLETE'], [True])
    """

    def masked(values, dtype=str):
        return MaskedColumn(
            [dtype() if v is None else v for v in values],
            dtype=dtype,
            mask=[v is None for v in values],
        )

    errors = [o.status == "ERROR" for o in outcomes]
    return Table(
        {
            "Local Path": [str(t.path) for t in plan],
            "Status": [o.status for o in outcomes],
            "Message": masked([o.message for o in outcomes]),
            "URL": masked([t.url if bad else None for t, bad in zip(plan, errors, strict=True)]),
            "Size": masked([o.size for o in outcomes], int),
            "SHA256": masked([o.sha256 for o in outcomes]),
            "Fetched": [o.fetched for o in outcomes],
        }
    )


def file_path(uri, local_path):
    """The local path of `download_file`'s ``local_path`` (a file, or a folder without suffix).

    Examples
    --------
    >>> file_path("mast:HST/product/a.fits", "downloads").as_posix()
    'downloads/a.fits'
    """
    name = safe_name(uri.rsplit("/", 1)[-1], what="dataURI")
    if not local_path:
        return Path(name)
    path = Path(local_path)
    if path.suffix:
        return path
    path.mkdir(parents=True, exist_ok=True)
    return path / name
