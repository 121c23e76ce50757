"""
Queries beyond MAST's row limit: count, split, run, merge.

MAST resets the connection when one result would hold more than about 500,000 rows
(`mastq.conf.row_limit`).  `run_query` makes that limit invisible:

1. **count**: the query is counted first (``COUNT_BIG(*)`` through its ``Filtered``
   service; a cone through its ``Filtered...Position`` twin).  A query within the limit
   (or one that cannot be counted) is run as it is, by its own service.
2. **split**: a larger one is cut into ranges of one column, each counted again and cut
   further until every part is under the limit: declination bands fitted to the cone
   for a position search, else the range the caller gave on a numeric or time column
   (``t_min=(a, b)``...), else declination bands over the whole sky.
3. **run**: the parts run concurrently (at most `mastq.conf.max_workers` at once) through
   the ``Filtered`` service, each with the query's own filters and position.  A part
   (or an unsplit query) that MAST still refuses (`~mastq.exceptions.RowLimitError`,
   e.g. a server whose limit is lower than `mastq.conf.row_limit`) is split in two and
   run again.
4. **merge**: the parts are stacked, the rows on a seam between two ranges (present in
   both) kept once by the result's key column (``obsid``, a catalog's id), and the
   columns put in the order of the query's own service.

Row order of a split result: the parts in increasing order of the split column
(declination bands for a cone), each in its service's order (by distance for a cone).
A cone cut by ``max_rows`` keeps its nearest rows, sorted by distance; sort a split cone
yourself with ``table.sort("distance")`` (sorting a few million wide rows takes seconds,
which is why it is not done by default).  ``table.meta["split_parts"]`` gives the number
of parts and ``table.meta["split_column"]`` the column split on (both absent when the
query ran whole).

``max_rows`` caps any query: the result then holds at most that many rows, and when
rows were left out ``table.meta["truncated"]`` is True, ``table.meta["rows_available"]``
gives how many there were, and a `~mastq.exceptions.MaxResultsWarning` is issued.
"""

import logging
import math
import numbers
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
from astropy.table import Column, MaskedColumn, Table, vstack

from .exceptions import (
    InvalidQueryError,
    MaxResultsWarning,
    NoResultsWarning,
    ProtocolError,
    RemoteServiceError,
    RowLimitError,
    TruncatedResultWarning,
    warn_user,
)
from .queries import COUNT
from .settings import Settings, in_call

__all__ = ["RowQuery", "run_query", "check_max_rows", "cap_rows"]

log = logging.getLogger(__name__)

_FILL = 0.9
"""Parts are cut to at most this share of the row limit (counts drift on a live archive)."""
_MAX_ROUNDS = 60
_DISTANCE_COLUMNS = ("distance", "dstArcSec")
_PAGING = ("pages", "pagesFiltered", "rowsFiltered", "rowsTotal", "page", "pagesize")


@dataclass(frozen=True)
class RowQuery:
    """
    One row query, and the ``Filtered`` service that can count it and answer its parts.

    Parameters
    ----------
    service : str
        The service that answers the whole query (``Mast.Caom.Cone``,
        ``Mast.Caom.Filtered``...).
    params : dict
        Its params for a cone search; ignored otherwise (the filters make them).
    filtered : str
        The ``Filtered`` service that answers parts (``filters`` plus `extra`).
    counter : str
        The ``Filtered`` service that counts (``COUNT_BIG(*)``; not a ``.Rows`` one).
    filter_sets : tuple of list of dict
        One filter list per query whose rows are unioned (see
        `mastq.criteria.build_filter_sets`); ``([],)`` for a cone search.
    key : str
        The column that identifies a row (``obsid``, ``ID``...).
    dec_column : str
        The declination column of the rows (``s_dec``, ``dec``).
    extra : dict, optional
        Params of `filtered` and `counter` besides ``columns`` and ``filters`` (a
        position: ``{"position": "ra, dec, r"}`` or ``{"ra", "dec", "radius"}``).
    """

    service: str
    params: dict
    filtered: str
    counter: str
    filter_sets: tuple
    key: str
    dec_column: str
    extra: dict = field(default_factory=dict)

    @property
    def is_cone(self):
        """True for a cone search (run whole by a cone service, not by `filtered`)."""
        return self.service != self.filtered

    @property
    def cone(self):
        """``(ra, dec, radius)`` in degrees of the query's position, or None."""
        if "position" in self.extra:
            return tuple(float(x) for x in str(self.extra["position"]).split(","))
        if {"ra", "dec", "radius"} <= set(self.extra):
            return tuple(float(self.extra[k]) for k in ("ra", "dec", "radius"))
        return None

    def whole(self, filters):
        """``(service, params)`` that answer the query of ``filters`` in one result."""
        if self.is_cone:
            return self.service, dict(self.params)
        return self.filtered, self.part_params(filters)

    def part_params(self, filters, *, columns="*"):
        """The params of `filtered` (or `counter`) for ``filters``."""
        return {"columns": columns, "filters": filters, **self.extra}


@dataclass(frozen=True)
class _Part:
    """One query of the plan: whole (``column`` None) or a range of ``column``."""

    filters: list
    count: int = None
    column: str = None
    low: float = None
    high: float = None


def check_max_rows(max_rows):
    """
    Check the ``max_rows`` argument of a row query.

    Parameters
    ----------
    max_rows : int or None

    Returns
    -------
    int or None

    Raises
    ------
    InvalidQueryError
        If ``max_rows`` is not None nor a positive integer.

    Examples
    --------
    >>> check_max_rows(1000)
    1000
    >>> check_max_rows(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mastq.exceptions.InvalidQueryError: max_rows must be a positive integer ..., got 0
    """
    if max_rows is None:
        return None
    if isinstance(max_rows, bool) or not isinstance(max_rows, numbers.Integral) or max_rows < 1:
        raise InvalidQueryError(
            f"max_rows must be a positive integer (or None for every row), got {max_rows!r}"
        )
    return int(max_rows)


def run_query(client, query, *, options, max_rows=None, settings=None):
    """
    Run ``query`` whatever its size: count, split under the row limit, run, merge.

    Parameters
    ----------
    client : mastq.services.ServiceClient
        The service door.
    query : RowQuery
        What to run.
    options : dict
        ``pagesize``, ``page``, ``times``, ``cache`` of `ServiceClient.service_request`;
        with a ``page`` the query runs whole, as asked (no count, no split).
    max_rows : int, optional
        Return at most this many rows (see the module doc).
    settings : mastq.settings.Settings, optional
        Default: the call's snapshot of `mastq.conf`.

    Returns
    -------
    `~astropy.table.Table`
        ``meta["split_parts"]`` when the query was split; ``meta["truncated"]`` (and
        ``meta["rows_available"]``) says whether ``max_rows`` left rows out.

    Raises
    ------
    InvalidQueryError
        If ``max_rows`` is not valid (before anything is sent).
    RowLimitError
        If the query is too large and cannot be split (no column to split on, or more
        rows than the limit share one value of the split column).

    Warns
    -----
    MaxResultsWarning
        When ``max_rows`` left rows out.

    Examples
    --------
    The public methods call it; a whole-field cone beyond the limit simply works:

    >>> from mastq.observations import Observations
    >>> table = Observations.query_region("150 2", radius=1.0)  # doctest: +REMOTE_DATA
    >>> table.meta.get("split_parts")  # doctest: +SKIP
    5
    >>> nearest = Observations.query_region("150 2", radius=1.0,
    ...                                     max_rows=1000)  # doctest: +SKIP
    """
    max_rows = check_max_rows(max_rows)
    _check_options(options, query.service)
    planner = _Planner(client, query, options, settings or Settings.current())
    if options.get("page") is not None:
        return cap_rows(planner.run_whole(), max_rows, None)
    return planner.run(max_rows)


def _check_options(options, service):
    """Refuse a bad page, page size or flag before the count is sent."""
    for name in ("pagesize", "page"):
        value = options.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1
        ):
            raise InvalidQueryError(
                f"{name} must be a positive integer, got {value!r}", service=service
            )
    for name in ("cache", "times"):
        value = options.get(name)
        if value is not None and not isinstance(value, bool):
            raise InvalidQueryError(
                f"{name} must be True or False, got {type(value).__name__} {value!r}",
                service=service,
            )


class _Planner:
    """The plan of one call (nothing shared between calls)."""

    def __init__(self, client, query, options, settings):
        self.client, self.query, self.settings = client, query, settings
        self.options = dict(options)
        self.target = max(1, int(settings.row_limit * _FILL))

    def run(self, max_rows):
        counts = self._map(self._count_whole, self.query.filter_sets)
        if (
            len(counts) == 1
            and counts[0] is not None
            and counts[0] <= self.settings.row_limit
            and max_rows is not None
            and counts[0] > max_rows
        ):
            first = self._table(
                *self.query.whole(self.query.filter_sets[0]), pagesize=max_rows, page=1
            )
            for name in ("page", "pagesize"):
                first.meta.pop(name, None)
            return cap_rows(first, max_rows, counts[0])
        parts = []
        for filters, count in zip(self.query.filter_sets, counts, strict=True):
            part = _Part(filters, count)
            parts += (
                [part]
                if count is None or count <= self.settings.row_limit
                else self._split(part, self.target)
            )
        tables = [t for found in self._map(self._fetch, parts) for t in found]
        whole = self.query.whole(self.query.filter_sets[0])
        ran_whole = (
            len(tables) == 1
            and tables[0].meta.get("service") == whole[0]
            and tables[0].meta.get("params") == whole[1]
        )
        table = tables[0] if ran_whole else self._merge(tables, nearest=max_rows is not None)
        available = sum(counts) if None not in counts else None
        if len(table) == 0:
            warn_user(f"{self.query.service} returned no rows", NoResultsWarning)
        elif len(counts) == 1 and available is not None and len(table) < available:
            table.meta.update(truncated=True, rows_available=available)
            warn_user(
                f"{self.query.service}: {len(table)} rows came back of the {available} "
                f"counted (rows may have changed meanwhile, or some have no "
                f"{self.query.dec_column})",
                TruncatedResultWarning,
            )
            return table
        return cap_rows(table, max_rows, len(table))

    def run_whole(self):
        """The query as asked (one service call per filter set), unioned."""
        tables = [self._table(*self.query.whole(filters)) for filters in self.query.filter_sets]
        return tables[0] if len(tables) == 1 else self._merge(tables)

    # -- counting and splitting ------------------------------------------------------

    def _count_whole(self, filters):
        """The rows of one filter set, or None when its service cannot count."""
        try:
            return self._count(filters)
        except (RemoteServiceError, ProtocolError) as exc:
            log.debug("%s cannot count (%s): running the query whole", self.query.counter, exc)
            return None

    def _count(self, filters):
        table = self.client.service_request(
            self.query.counter,
            self.query.part_params(filters, columns=COUNT),
            cache=self.options.get("cache"),
            warn_empty=False,
            settings=self.settings,
        )
        if len(table) != 1 or not table.colnames:
            raise ProtocolError(
                f"a count answers one row, got {len(table)} rows", service=self.query.counter
            )
        return int(table[table.colnames[0]][0])

    def _split(self, part, target):
        """``part`` cut into counted ranges of at most ``target`` rows, in order."""
        if part.column is None:
            part = self._range_of(part)
        pending = [part]
        for _ in range(_MAX_ROUNDS):
            big = [p for p in pending if p.count > target]
            if not big:
                return _coalesced([p for p in pending if p.count > 0], target)
            pieces = self._map(lambda p: p if p.count <= target else self._cut(p, target), pending)
            pending = [
                p for piece in pieces for p in (piece if isinstance(piece, list) else [piece])
            ]
        raise self._unsplittable(max(pending, key=lambda p: p.count))

    def _cut(self, part, target):
        """``part`` cut into equal ranges of its column, each counted."""
        if part.high - part.low <= 1e-9 * max(1.0, abs(part.low), abs(part.high)):
            raise self._unsplittable(part)
        pieces = min(64, math.ceil(part.count / target) + 1)
        edges = np.linspace(part.low, part.high, pieces + 1)
        cut = [
            _ranged(part, float(lo), float(hi))
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ]
        return [replace(p, count=self._count(p.filters)) for p in cut]

    def _range_of(self, part):
        """``part`` as a range of the column to split on (its whole range)."""
        query = self.query
        ranges = {f["paramName"]: f for f in part.filters if _finite_range(f)}
        cone = query.cone
        if cone is not None or query.dec_column in ranges or not ranges:
            if (
                any(f.get("paramName") == query.dec_column for f in part.filters)
                and query.dec_column not in ranges
            ):
                raise self._unsplittable(
                    part, why=f"its {query.dec_column} criterion is not one (min, max) range"
                )
            low, high = -90.0, 90.0
            if cone is not None:
                low, high = max(-90.0, cone[1] - cone[2]), min(90.0, cone[1] + cone[2])
            if query.dec_column in ranges:
                value = ranges[query.dec_column]["values"][0]
                low, high = max(low, value["min"]), min(high, value["max"])
            return _Part(part.filters, part.count, query.dec_column, low, high)
        name, chosen = next(iter(ranges.items()))
        value = chosen["values"][0]
        return _Part(part.filters, part.count, name, float(value["min"]), float(value["max"]))

    def _unsplittable(self, part, *, why=None):
        why = why or (
            f"more than {self.target} rows have {part.column} within [{part.low!r}, {part.high!r}]"
        )
        return RowLimitError(
            f"{self.query.service}: {part.count} rows are more than one query "
            f"may return (mastq.conf.row_limit={self.settings.row_limit}) and "
            f"the query cannot be split: {why}; narrow the query",
            service=self.query.service,
        )

    # -- running and merging ---------------------------------------------------------

    def _fetch(self, part):
        """The tables of ``part``; split in two when MAST still refuses it."""
        try:
            if part.column is None:
                return [self._table(*self.query.whole(part.filters))]
            table = self._table(self.query.filtered, self.query.part_params(part.filters))
            table.meta["split_column"] = part.column
            return [table]
        except RowLimitError:
            if part.count is None or part.count <= 1:
                raise
            log.info("%s: MAST refused %d rows; splitting further", self.query.service, part.count)
            smaller = self._split(part, max(1, part.count // 2))
            return [t for sub in smaller for t in self._fetch(sub)]

    def _table(self, service, params, **paging):
        options = dict(self.options, **paging)
        return self.client.service_request(
            service, params, warn_empty=False, settings=self.settings, **options
        )

    def _merge(self, tables, *, nearest=False):
        """
        One table: rows on seams kept once, columns as the query's service gives them;
        sorted by distance with ``nearest`` (a cone cut to its nearest rows).
        """
        meta = dict(tables[0].meta)
        columns = sorted({t.meta.get("split_column") for t in tables} - {None})
        names = self._names(tables)
        distance = None
        if nearest and self.query.is_cone:
            distance = next((n for n in _DISTANCE_COLUMNS if n in names), None)
        table = _stacked(tables, names, self.query.key, distance)
        table.meta.update(
            {k: v for k, v in meta.items() if k not in _PAGING},
            service=self.query.service,
            params=self.query.whole(self.query.filter_sets[0])[1],
            split_parts=len(tables),
            split_column=", ".join(columns) or None,
        )
        return table

    def _names(self, tables):
        """The columns to return: those the query's own service gives, in its order."""
        names = tables[0].colnames
        if not self.query.is_cone:
            return names
        shape = self._table(self.query.service, dict(self.query.params, radius=0))
        if not set(shape.colnames) <= set(names):
            log.debug(
                "%s: columns %s not in the parts",
                self.query.service,
                sorted(set(shape.colnames) - set(names)),
            )
            return names
        return shape.colnames

    def _map(self, function, items):
        """``function`` over ``items``, at most ``max_workers`` at once, results in order."""
        items = list(items)
        if len(items) <= 1:
            return [function(item) for item in items]
        workers = min(self.settings.max_workers, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mastq-split") as pool:
            futures = [pool.submit(in_call(function), item) for item in items]
            return [future.result() for future in futures]


def _finite_range(item):
    """True for a filter ``{paramName, values: [{min, max}]}`` with two finite ends."""
    values = item.get("values") if isinstance(item, dict) else None
    if (
        set(item) != {"paramName", "values"}
        or not isinstance(values, list)
        or len(values) != 1
        or not isinstance(values[0], dict)
    ):
        return False
    ends = [values[0].get("min"), values[0].get("max")]
    return (
        all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
            for v in ends
        )
        and ends[0] <= ends[1]
    )


def _ranged(part, low, high):
    """``part`` restricted to ``low <= column <= high`` (the column's filter replaced)."""
    bounds = {"paramName": part.column, "values": [{"min": low, "max": high}]}
    filters = [f for f in part.filters if f.get("paramName") != part.column] + [bounds]
    return _Part(filters, None, part.column, low, high)


def _coalesced(parts, target):
    """Neighbouring ranges joined while their rows add up to at most ``target``."""
    joined = []
    for part in parts:
        last = joined[-1] if joined else None
        if last is not None and last.high == part.low and last.count + part.count <= target:
            joined[-1] = replace(_ranged(last, last.low, part.high), count=last.count + part.count)
        else:
            joined.append(part)
    return joined


def _stacked(tables, names, key, distance):
    """
    The rows of ``tables`` in one table of the columns ``names``: the first row of each
    ``key`` value (every row without a ``key`` column), sorted by ``distance`` if given.
    """
    every = [t for t in tables if len(t)] or tables[:1]

    def joined(name):
        return _joined([t[name] for t in every]) if name in names else None

    if not all(isinstance(t[n], Column) for t in every for n in names):  # Time, SkyCoord...
        stacked = vstack([t[names] for t in every], metadata_conflicts="silent")
        return stacked[
            _row_index(len(stacked), *(stacked[n] if n in names else None for n in (key, distance)))
        ]
    index = _row_index(sum(len(t) for t in every), joined(key), joined(distance))
    moves = _moves(index, [len(t) for t in every])
    columns = []
    for name in names:
        parts = [t[name] for t in every]
        like = parts[0]
        attrs = {
            "name": name,
            "unit": like.unit,
            "description": like.description,
            "format": like.format,
            "meta": like.meta,
        }
        data = _gathered([np.ma.getdata(c) for c in parts], moves)
        if not any(isinstance(c, MaskedColumn) for c in parts):
            columns.append(Column(data, copy=False, **attrs))
        else:
            mask = _gathered([np.ma.getmaskarray(c) for c in parts], moves)
            columns.append(
                MaskedColumn(data, mask=mask, fill_value=like.fill_value, copy=False, **attrs)
            )
    return Table(columns, copy=False)


def _joined(columns):
    """The values of ``columns``, end to end."""
    return np.concatenate([np.ma.getdata(c) for c in columns])


def _moves(index, lengths):
    """For each part: (rows of the result, rows of the part) that ``index`` takes from it."""
    ends = np.cumsum(lengths)
    part = np.searchsorted(ends, index, side="right")
    moves = []
    for k, start in enumerate(ends - lengths):
        dest = np.flatnonzero(part == k)
        moves.append((dest, index[dest] - start))
    return moves


def _gathered(arrays, moves):
    """One array: the rows ``moves`` take from each of ``arrays`` (a single copy)."""
    size = sum(len(dest) for dest, _ in moves)
    out = np.empty((size,) + arrays[0].shape[1:], dtype=np.result_type(*arrays))
    for array, (dest, source) in zip(arrays, moves, strict=True):
        out[dest] = array[source]
    return out


def _row_index(nrows, keys, distances):
    """Rows to keep, in order: the first of each key (if any), sorted by distance if any."""
    index = np.arange(nrows)
    if keys is not None:
        keys = np.asarray(keys)
        if keys.dtype.kind == "S":
            keys = np.char.decode(keys, "utf-8")
        index = np.sort(np.unique(keys, return_index=True)[1])
    if distances is not None:
        order = np.ma.getdata(distances).astype(float)[index]
        index = index[np.argsort(np.where(np.isnan(order), np.inf, order), kind="stable")]
    return index


def cap_rows(table, max_rows, available=None):
    """
    ``table`` cut to ``max_rows`` rows, saying so in its meta and a warning.

    Parameters
    ----------
    table : `~astropy.table.Table`
        A result.
    max_rows : int or None
        The cap (None: none).
    available : int, optional
        How many rows the query has (default ``len(table)``).

    Returns
    -------
    `~astropy.table.Table`
        ``meta["truncated"]`` True when rows were left out (or already said so), then
        ``meta["rows_available"]`` as well.

    Warns
    -----
    MaxResultsWarning
        When ``max_rows`` left rows out.
    """
    available = len(table) if available is None else max(available, len(table))
    cut = max_rows is not None and available > max_rows
    table.meta["truncated"] = bool(table.meta.get("truncated")) or cut
    if cut:
        table = table[:max_rows]
        table.meta["rows_available"] = available
        warn_user(
            f"{table.meta.get('service', 'the query')}: returning the first {max_rows} "
            f"of {available} rows (max_rows); table.meta['truncated'] is True",
            MaxResultsWarning,
        )
    return table
