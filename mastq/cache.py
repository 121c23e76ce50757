"""
The persistent query cache: COMPLETE results kept on disk as pickled tables.

One file per result, named by `mastq.request.MashupRequest.cache_key`, under
`mastq.conf.cache_dir` (default: astropy's cache folder, ``mastq/queries``), valid
for `mastq.conf.cache_ttl` seconds.  Writes are atomic (temporary file then
`os.replace`), so concurrent readers never see half a file.

In front of the files, each `QueryCache` keeps the most recent results in memory
(at most `mastq.conf.cache_memory_rows` rows in all, behind a lock), so a repeated
query in the same process is answered without reading a file.  Every hit is a copy:
a caller who changes the table it got changes nobody else's.
"""

import logging
import os
import pickle
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from astropy.config import get_cache_dir

from . import conf

__all__ = ["QueryCache"]

log = logging.getLogger(__name__)

_SUFFIX = ".pickle"


class QueryCache:
    """
    Disk cache of query results (astropy tables), keyed by hex digests.

    Parameters
    ----------
    directory : str or path-like, optional
        Where to keep the files; default `mastq.conf.cache_dir` read at each call.
    """

    def __init__(self, directory=None):
        self._directory = Path(directory) if directory is not None else None
        self._memory = OrderedDict()  # key -> (stored at, table), most recent last
        self._lock = threading.Lock()

    @property
    def directory(self):
        """The cache folder (created on first use)."""
        if self._directory is not None:
            return self._directory
        if conf.cache_dir:
            return Path(conf.cache_dir)
        return Path(get_cache_dir()) / "mastq" / "queries"

    def _path(self, key):
        if not key or not all(c in "0123456789abcdef-t" for c in key):
            raise ValueError(f"key must be a hex digest, got {key!r}")
        return self.directory / (key + _SUFFIX)

    def get(self, key, *, ttl=None):
        """
        Return the table stored under ``key``, or None if absent, expired or unreadable.

        Parameters
        ----------
        key : str
            A hex digest.
        ttl : float, optional
            Seconds an entry stays valid; default `mastq.conf.cache_ttl`.

        Returns
        -------
        astropy.table.Table or None
        """
        path = self._path(key)
        ttl = float(conf.cache_ttl if ttl is None else ttl)
        table = self._from_memory(key, ttl)
        if table is not None:
            return table
        try:
            with open(path, "rb") as handle:
                stored = os.fstat(handle.fileno()).st_mtime
                if time.time() - stored > ttl:
                    return None
                table = pickle.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            log.warning("dropping unreadable cache entry %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None
        self._remember(key, table, stored)
        return table

    def _from_memory(self, key, ttl):
        with self._lock:
            entry = self._memory.get(key)
            if entry is None:
                return None
            if time.time() - entry[0] > ttl:
                del self._memory[key]
                return None
            self._memory.move_to_end(key)
        return entry[1].copy(copy_data=True)

    def _remember(self, key, table, stored):
        """Keep a private copy in memory, dropping the oldest beyond the row budget."""
        budget = int(conf.cache_memory_rows)
        if len(table) > budget:
            return
        private = table.copy(copy_data=True)
        with self._lock:
            self._memory[key] = (stored, private)
            self._memory.move_to_end(key)
            while sum(len(t) for _, t in self._memory.values()) > budget:
                self._memory.popitem(last=False)

    def put(self, key, table):
        """
        Store ``table`` under ``key`` (atomically replacing any older entry).

        Parameters
        ----------
        key : str
            A hex digest.
        table : astropy.table.Table
            A COMPLETE result.
        """
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._remember(key, table, time.time())

    def clear(self):
        """
        Remove every entry.

        Returns
        -------
        int
            The number of files removed.
        """
        with self._lock:
            self._memory.clear()
        directory = self.directory
        if not directory.is_dir():
            return 0
        removed = 0
        for path in directory.glob("*" + _SUFFIX):
            path.unlink(missing_ok=True)
            removed += 1
        return removed
