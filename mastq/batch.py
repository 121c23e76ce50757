"""
Many targets in one call: cone searches and counts over arrays of positions or names.

The ``query_region`` / ``query_object`` / ``*_count`` methods of
`mastq.observations.Observations` and `mastq.catalogs.Catalogs` hand arrays here: a
`~astropy.coordinates.SkyCoord` array, a list of names (resolved in one
``Mast.Name.Lookup``), optionally one radius per target.  A `Targets` value holds them; a
`ConeSource` says which services answer; `query_many` and `count_many` run the work.

Where MAST offers a crossmatch for the source (``Mast.Caom.Crossmatch``,
``Mast.Tic.Crossmatch``...) and the radii are within its limit, the positions are
uploaded in chunks of ``conf.crossmatch_chunk`` (see `mastq.crossmatch`), so 10,000
targets cost a few requests; elsewhere (and for counts) each target is one cone.  The
requests run on any `concurrent.futures.Executor` (``executor=``): by default a thread
pool of ``conf.batch_workers`` threads; a ``dask.distributed`` ``Client.get_executor()``
runs them on a Dask cluster.  Work sent to an executor is a picklable `ServiceCall`.

The answer is one table in input order with ``target_index``, ``target_name`` (names
only), ``target_ra`` and ``target_dec`` first; a target that fails is listed in
``meta["failed_targets"]`` with a `~mastq.exceptions.MastqWarning`, the others kept.
"""

import logging
import threading
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.coordinates.errors import ConvertError
from astropy.table import Column, MaskedColumn, Table, vstack
from tqdm.auto import tqdm

from .exceptions import InvalidQueryError, MastqError, MastqWarning, NoResultsWarning, warn_user
from .inputs import parse_radius
from .resolver import resolve_names
from .services import ServiceClient
from .settings import Settings

__all__ = [
    "Targets",
    "ConeSource",
    "ServiceCall",
    "many_positions",
    "many_names",
    "position_targets",
    "name_targets",
    "run_calls",
    "query_many",
    "count_many",
    "TARGET_COLUMNS",
]

log = logging.getLogger(__name__)

TARGET_COLUMNS = ("target_index", "target_name", "target_ra", "target_dec")
"""The columns a many-target table starts with (``target_name`` only for names)."""

_PROGRESS_DELAY = 2.0  # seconds before a progress bar shows: quick batches stay quiet


def many_positions(coordinates):
    """True when ``coordinates`` is a `~astropy.coordinates.SkyCoord` array."""
    return isinstance(coordinates, SkyCoord) and not coordinates.isscalar


def many_names(objectname):
    """True when ``objectname`` is a list, tuple or array of names (not one string)."""
    return isinstance(objectname, (list, tuple, np.ndarray)) and not isinstance(objectname, str)


@dataclass(frozen=True)
class Targets:
    """
    The targets of a many-target call.

    Parameters
    ----------
    ra, dec : numpy.ndarray of float
        ICRS positions (degrees), one per target that has a position.
    radius : numpy.ndarray of float
        Search radius of each target (degrees).
    index : numpy.ndarray of int
        The input index of each target (names that did not resolve are left out).
    names : tuple of str, optional
        The input names, by target.
    failed : tuple of dict
        Inputs that failed before any query (``{"index", "target", "error"}``).
    """

    ra: np.ndarray
    dec: np.ndarray
    radius: np.ndarray
    index: np.ndarray
    names: tuple = None
    failed: tuple = ()

    def label(self, i):
        """How target ``i`` (position in these arrays) is named in messages."""
        if self.names is not None:
            return self.names[i]
        return f"({self.ra[i]:.6f}, {self.dec[i]:.6f})"

    def columns(self, rows):
        """The target columns of the targets ``rows`` (positions in these arrays)."""
        columns = {"target_index": self.index[rows]}
        if self.names is not None:
            columns["target_name"] = np.array(self.names, dtype=str)[rows]
        columns["target_ra"] = self.ra[rows] * u.deg
        columns["target_dec"] = self.dec[rows] * u.deg
        return columns


def _radii(radius, n):
    """One radius (degrees) per target, from a scalar or a Quantity array of ``n``."""
    if isinstance(radius, u.Quantity) and not radius.isscalar:
        if radius.shape != (n,):
            raise InvalidQueryError(
                f"radius must be one angle or one per target ({n}), got {radius.size} values"
            )
        return np.array([parse_radius(r, name=f"radius[{i}]").deg for i, r in enumerate(radius)])
    return np.full(n, parse_radius(radius).deg)


def position_targets(coordinates, radius):
    """
    The `Targets` of a `~astropy.coordinates.SkyCoord` array.

    Raises
    ------
    InvalidQueryError
        If a position is not finite or cannot be converted to ICRS, or the radii are bad.
    """
    if coordinates.size == 0:
        raise InvalidQueryError("coordinates must hold at least one position")
    try:
        icrs = coordinates.ravel().icrs
    except (ValueError, TypeError, AttributeError, u.UnitsError, ConvertError) as err:
        raise InvalidQueryError(
            f"coordinates cannot be converted to ICRS ({err}); give "
            f"ICRS positions or a frame with all its conversion needs",
            cause=err,
        ) from err
    ra, dec = icrs.ra.deg.astype(float), icrs.dec.deg.astype(float)
    bad = np.flatnonzero(~(np.isfinite(ra) & np.isfinite(dec)))
    if len(bad):
        raise InvalidQueryError(
            f"coordinates must be finite positions; not so at index {', '.join(map(str, bad[:5]))}"
        )
    return Targets(ra, dec, _radii(radius, len(ra)), np.arange(len(ra)))


def name_targets(client, names, radius, *, resolver=None):
    """
    The `Targets` of a list of names, resolved in one ``Mast.Name.Lookup``.

    Names that do not resolve are in ``failed`` (with the resolver's warning).

    Raises
    ------
    InvalidQueryError, ResolverError
        If ``names`` is not a list of names, or none resolves.
    """
    names = list(names)
    radii = _radii(radius, max(len(names), 1))
    found = resolve_names(client, names, resolver=resolver)
    if len(names) == 1:
        found = {names[0]: found}
    keep = [i for i, name in enumerate(names) if name in found]
    failed = tuple(
        {"index": i, "target": name, "error": "name did not resolve"}
        for i, name in enumerate(names)
        if name not in found
    )
    coords = [found[names[i]] for i in keep]
    return Targets(
        np.array([c.ra.deg for c in coords]),
        np.array([c.dec.deg for c in coords]),
        radii[keep],
        np.array(keep),
        tuple(names[i] for i in keep),
        failed,
    )


@dataclass(frozen=True)
class ConeSource:
    """
    The services that answer cone searches over one catalog (or CAOM).

    Parameters
    ----------
    cone_service : str
        One cone: ``{ra, dec, radius}`` and `extra`.
    count_service : str or None
        The ``Filtered.Position`` service that counts; None: count the cone's rows.
    distance : str
        The separation column of a cone answer (``distance`` or ``dstArcSec``).
    crossmatch_service : str, optional
        ``Mast.<Catalog>.Crossmatch`` when MAST offers one.
    position_string : bool
        The count service takes ``position: "ra, dec, radius"`` (CAOM), not ra/dec/radius.
    extra : dict
        The catalog's own cone params (HSC ``nr``...), sent with every cone.
    """

    cone_service: str
    count_service: str
    distance: str
    crossmatch_service: str = None
    position_string: bool = False
    extra: dict = field(default_factory=dict)

    def cone_params(self, ra, dec, radius):
        """The params of one cone."""
        return {"ra": float(ra), "dec": float(dec), "radius": float(radius), **self.extra}

    def count_call(self, ra, dec, radius, settings):
        """The `ServiceCall` counting one cone."""
        if self.count_service is None:
            return ServiceCall(
                self.cone_service, self.cone_params(ra, dec, radius), settings, count="rows"
            )
        return ServiceCall(
            self.count_service, self.count_params(ra, dec, radius), settings, count="server"
        )

    def count_params(self, ra, dec, radius):
        """The params of one server-side count."""
        if self.position_string:
            return {
                "columns": "COUNT_BIG(*)",
                "filters": [],
                "position": f"{float(ra)}, {float(dec)}, {float(radius)}",
            }
        return {"columns": "COUNT_BIG(*)", "filters": [], **self.cone_params(ra, dec, radius)}


@dataclass(frozen=True)
class ServiceCall:
    """
    One request of a batch, as a picklable value an executor can run anywhere.

    Parameters
    ----------
    service : str
    params : dict
    settings : mastq.settings.Settings
        The caller's configuration (server, timeouts...), so a remote worker asks the
        same MAST.
    options : dict
        Keywords of `mastq.services.ServiceClient.service_request` (``data``, ``cache``,
        ``times``, ``pagesize``).
    count : {'', 'server', 'rows'}
        Answer an int instead of the table: the one value of a ``COUNT_BIG(*)``
        (``"server"``) or the number of rows (``"rows"``).
    """

    service: str
    params: dict
    settings: Settings
    options: dict = field(default_factory=dict)
    count: str = ""

    def run(self, client=None):
        """Run the request with ``client`` (default: this process's own `ServiceClient`)."""
        client = client if client is not None else _process_client()
        table = client.service_request(
            self.service, self.params, settings=self.settings, warn_empty=False, **self.options
        )
        if self.count == "server":
            return int(table[table.colnames[0]][0])
        return len(table) if self.count == "rows" else table


_CLIENT = {}
_CLIENT_LOCK = threading.Lock()


def _process_client():
    """The `ServiceClient` of this process, for calls run on another machine's worker."""
    with _CLIENT_LOCK:
        return _CLIENT.setdefault("client", ServiceClient())


def _run_on(executor, client, calls, *, desc, progress):
    """Submit every call; the answers (or exceptions) in call order."""
    local = isinstance(executor, ThreadPoolExecutor)
    futures = {
        executor.submit(call.run, client if local else None): i for i, call in enumerate(calls)
    }
    answers = [None] * len(calls)
    with tqdm(
        total=len(calls),
        desc=desc,
        unit="query",
        delay=_PROGRESS_DELAY,
        disable=None if progress is None else not progress,
        leave=False,
    ) as bar:
        for future in as_completed(futures):
            error = future.exception()
            answers[futures[future]] = error if error is not None else future.result()
            bar.update()
    return answers


def run_calls(client, calls, *, executor=None, settings=None, desc="mastq", progress=None):
    """
    Run `ServiceCall` values concurrently, politely.

    Parameters
    ----------
    client : mastq.services.ServiceClient
        Used by thread-pool executors; other executors use their worker's own.
    calls : list of ServiceCall
    executor : concurrent.futures.Executor, optional
        Default: a thread pool of ``conf.batch_workers`` threads, closed afterwards.
    settings : mastq.settings.Settings, optional
        Gives ``batch_workers``; default the current snapshot.
    desc : str, optional
        The progress bar's label.
    progress : bool, optional
        Show a tqdm progress bar; default: only on a terminal or notebook, and only for
        batches longer than two seconds.

    Returns
    -------
    list
        Each call's answer, or the exception it raised, in call order.

    Raises
    ------
    InvalidQueryError
        If ``executor`` is not a `concurrent.futures.Executor`.
    """
    if executor is not None:
        if not isinstance(executor, Executor):
            raise InvalidQueryError(
                f"executor must be a concurrent.futures.Executor (e.g. "
                f"dask's Client.get_executor()), got {executor!r}"
            )
        return _run_on(executor, client, calls, desc=desc, progress=progress)
    workers = min(len(calls), (settings or Settings.current()).batch_workers) or 1
    with ThreadPoolExecutor(workers, thread_name_prefix="mastq-batch") as pool:
        return _run_on(pool, client, calls, desc=desc, progress=progress)


def _report(failed, what):
    if failed:
        shown = ", ".join(str(f["target"]) for f in failed[:5])
        warn_user(
            f"{len(failed)} of the {what} failed ({shown}"
            f"{', ...' if len(failed) > 5 else ''}); see meta['failed_targets']",
            MastqWarning,
        )


def _failure(targets, i, error):
    return {
        "index": int(targets.index[i]),
        "target": targets.label(i),
        "error": f"{type(error).__name__}: {error}",
    }


def count_many(client, source, targets, *, executor=None, progress=None):
    """
    One server-side count per target.

    Returns
    -------
    numpy.ndarray of int64
        In input order; a masked array when some targets failed (masked there), with a
        `~mastq.exceptions.MastqWarning`.
    """
    settings = Settings.current()
    calls = [
        source.count_call(ra, dec, r, settings)
        for ra, dec, r in zip(targets.ra, targets.dec, targets.radius, strict=True)
    ]
    answers = run_calls(
        client,
        calls,
        executor=executor,
        settings=settings,
        desc=f"{calls[0].service} counts",
        progress=progress,
    )
    size = len(targets.index) + len(targets.failed)
    counts = np.ma.masked_all(size, dtype=np.int64)
    failed = list(targets.failed)
    for i, answer in enumerate(answers):
        if isinstance(answer, BaseException):
            failed.append(_failure(targets, i, _reraise_bug(answer)))
        else:
            counts[targets.index[i]] = answer
    _report(failed, "targets")
    return counts if failed else counts.filled(0)


def _reraise_bug(error):
    """Failures MAST or the network cause are reported; a bug in mastq is raised."""
    if isinstance(error, (MastqError, OSError)):
        return error
    raise error


def query_many(client, source, targets, *, executor=None, progress=None, options=None):
    """
    The rows near every target, one table in input order.

    Parameters
    ----------
    client : mastq.services.ServiceClient
    source : ConeSource
    targets : Targets
    executor : concurrent.futures.Executor, optional
        See `run_calls`.
    progress : bool, optional
        See `run_calls`.
    options : dict, optional
        ``cache``, ``times``, ``pagesize`` for every request.

    Returns
    -------
    `~astropy.table.Table`
        The target columns, then the source's columns; ``meta["failed_targets"]``.
    """
    from .crossmatch import MAX_RADIUS, crossmatch_chunks

    options = dict(options or {})
    settings = Settings.current()
    if source.crossmatch_service and targets.radius.max() <= MAX_RADIUS.to_value(u.deg):
        service = source.crossmatch_service
        parts, failed = crossmatch_chunks(
            client,
            source,
            targets,
            settings=settings,
            executor=executor,
            progress=progress,
            options=options,
        )
    else:
        service = source.cone_service
        parts, failed = _cones(client, source, targets, settings, executor, progress, options)
    return _stacked(parts, list(targets.failed) + failed, source, service, targets)


def _cones(client, source, targets, settings, executor, progress, options):
    calls = [
        ServiceCall(source.cone_service, source.cone_params(ra, dec, r), settings, options)
        for ra, dec, r in zip(targets.ra, targets.dec, targets.radius, strict=True)
    ]
    answers = run_calls(
        client,
        calls,
        executor=executor,
        settings=settings,
        desc=source.cone_service,
        progress=progress,
    )
    parts, failed = [], []
    for i, answer in enumerate(answers):
        if isinstance(answer, BaseException):
            failed.append(_failure(targets, i, _reraise_bug(answer)))
        else:
            parts.append((answer, np.full(len(answer), i)))
    return parts, failed


def _concatenated(tables):
    """The rows of tables with the same columns, one after the other (fast path of vstack)."""
    first = tables[0]
    plain = all(t.colnames == first.colnames for t in tables) and all(
        isinstance(first[name], Column) for name in first.colnames
    )
    if len(tables) == 1 or not plain:
        return vstack(tables, metadata_conflicts="silent", join_type="outer")
    out = Table(meta=first.meta)
    for name in first.colnames:
        col = first[name]
        values = np.ma.concatenate([t[name] for t in tables])
        out[name] = (
            MaskedColumn(
                values,
                name=name,
                unit=col.unit,
                format=col.format,
                description=col.description,
                meta=col.meta,
                fill_value=getattr(col, "fill_value", None),
            )
            if np.ma.is_masked(values) or isinstance(col, MaskedColumn)
            else Column(
                values.data,
                name=name,
                unit=col.unit,
                format=col.format,
                description=col.description,
                meta=col.meta,
            )
        )
    return out


def _stacked(parts, failed, source, service, targets):
    """One table of every target's rows, in input order; the failures in its meta."""
    failed.sort(key=lambda f: f["index"])
    if not parts:
        raise MastqError(f"every target failed: {failed[:3]}", service=service)
    rows = np.concatenate([which for _, which in parts]).astype(int)
    answer = _concatenated([table for table, _ in parts])
    front = Table(targets.columns(rows))
    for name in answer.colnames:
        front[name] = answer[name]
    table = front[np.argsort(front["target_index"], kind="stable")]
    meta = {k: v for k, v in answer.meta.items() if k in ("server", "fetched", "from_cache")}
    table.meta.clear()
    table.meta.update(meta, service=service, failed_targets=failed)
    if source.distance in table.colnames and table[source.distance].unit is None:
        table[source.distance].unit = u.arcsec
    _report(failed, "targets")
    if len(table) == 0:
        warn_user(f"{service} returned no rows for any target", NoResultsWarning)
    return table
