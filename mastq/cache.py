"""
The persistent query cache: COMPLETE results kept on disk as pickled tables.

One file per result, named by `mastq.request.MashupRequest.cache_key`, under
`mastq.conf.cache_dir` (default: astropy's cache folder, ``mastq/queries``), valid
for `mastq.conf.cache_ttl` seconds.  Writes are atomic (temporary file then
`os.replace`), so concurrent readers never see half a file.
"""

import logging
import os
import pickle
import tempfile
import time
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
        try:
            with open(path, "rb") as handle:
                if time.time() - os.fstat(handle.fileno()).st_mtime > ttl:
                    return None
                return pickle.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            log.warning("dropping unreadable cache entry %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None

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

    def clear(self):
        """
        Remove every entry.

        Returns
        -------
        int
            The number of files removed.
        """
        directory = self.directory
        if not directory.is_dir():
            return 0
        removed = 0
        for path in directory.glob("*" + _SUFFIX):
            path.unlink(missing_ok=True)
            removed += 1
        return removed
