"""
A column store for the local MAST's star catalogs, and the results built from it.

A `CatalogTable` holds whole columns as numpy arrays: floats with NaN for null, integers
(a `numpy.ma.MaskedArray` when some are null), repeated strings as
`~mastq.emulator.services.filters.Categorical` codes, and unique strings (names made from
positions, ids written as text) as `Derived` columns computed on demand.  Rows exist as
Python objects only inside `TableResult.make_chunk`, one page at a time.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from mastq.emulator.model import Field, TableResult
from mastq.emulator.services.filters import Categorical

__all__ = ["Derived", "CatalogTable", "count_result", "fields_of", "HISTOGRAM_BINS"]

HISTOGRAM_BINS = 145
"""Number of bins of the continuous histograms of ``Mast.Catalogs.All.*`` (as MAST)."""
_HISTOGRAM_MAX_PAD = 1e-10


@dataclass(frozen=True)
class Derived:
    """
    A string column computed from the row numbers when asked for.

    Parameters
    ----------
    function : callable
        ``function(index) -> numpy.ndarray`` of object (str, or ``None`` for null) for
        the int64 row numbers ``index``.
    nrows : int
        Number of rows of the column.
    """

    function: Callable
    nrows: int

    def __len__(self):
        return self.nrows

    def __getitem__(self, index):
        rows = np.arange(self.nrows)[index]
        if np.ndim(rows) == 0:
            return self.function(rows.reshape(1))[0]
        return self.function(rows)


def _strings_with_nulls(values):
    """Turn an object array of str/None into a masked array ('' under the mask)."""
    nulls = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    if not nulls.any():
        return values
    return np.ma.MaskedArray(np.where(nulls, "", values).astype(object), mask=nulls)


def _chunk_values(stored, index):
    """The rows ``index`` of one stored column, as the chunk contract wants them."""
    if isinstance(stored, Categorical):
        return _strings_with_nulls(stored.strings(index))
    if isinstance(stored, Derived):
        return _strings_with_nulls(stored.function(index))
    values = stored[index]
    if isinstance(values, np.ma.MaskedArray):
        return values if values.mask.any() else values.data
    if values.dtype.kind == "f":
        nulls = np.isnan(values)
        if nulls.any():
            return np.ma.MaskedArray(values, mask=nulls)
    return values


def _reindexed(function, index):
    """A derived-column function over the rows ``index`` of its original table."""
    return lambda rows: function(index[rows])


class _FilterView(Mapping):
    """Columns as `filter_mask` reads them (derived columns computed on access)."""

    def __init__(self, table):
        self._table = table

    def __getitem__(self, name):
        stored = self._table.columns[name]
        if isinstance(stored, Derived):
            return stored.function(np.arange(stored.nrows))
        return stored

    def __iter__(self):
        return iter(self._table.columns)

    def __len__(self):
        return len(self._table.columns)


class CatalogTable:
    """
    An immutable catalog: typed fields over whole columns.

    Parameters
    ----------
    fields : sequence of Field
        The columns in the order the service sends them.
    columns : dict
        Field name -> stored column (numpy array, masked array, `Categorical` or
        `Derived`), each of the same length.
    ra_name, dec_name : str, optional
        The position columns (degrees) used by cone searches.
    distance_name : str, optional
        The name of the separation column (arcsec) that cone searches add: MAST calls
        it ``dstArcSec`` for the TIC and CTL, ``distance`` elsewhere.

    Raises
    ------
    ValueError
        If a field has no column, or the columns differ in length.
    """

    def __init__(self, fields, columns, *, ra_name="ra", dec_name="dec", distance_name="distance"):
        self.fields = tuple(fields)
        self.distance_name = distance_name
        self.columns = dict(columns)
        missing = [f.name for f in self.fields if f.name not in self.columns]
        if missing:
            raise ValueError(f"columns: no data for fields {missing}")
        lengths = {len(self.columns[f.name]) for f in self.fields}
        if len(lengths) > 1:
            raise ValueError(f"columns: all columns must have one length, got {sorted(lengths)}")
        self.nrows = lengths.pop() if lengths else 0
        self.ra = np.asarray(self.columns[ra_name], dtype=np.float64)
        self.dec = np.asarray(self.columns[dec_name], dtype=np.float64)
        self._types = {f.name: f.type for f in self.fields}
        self._ra_name, self._dec_name = ra_name, dec_name

    @property
    def names(self):
        """The field names, in order."""
        return [f.name for f in self.fields]

    def subset(self, index):
        """
        A new table of the rows ``index`` (same fields).

        Parameters
        ----------
        index : numpy.ndarray of int
            The rows to keep, in order.

        Returns
        -------
        CatalogTable
        """
        index = np.asarray(index, dtype=np.int64)
        columns = {}
        for name, stored in self.columns.items():
            if isinstance(stored, Categorical):
                columns[name] = stored.take(index)
            elif isinstance(stored, Derived):
                columns[name] = Derived(_reindexed(stored.function, index), len(index))
            else:
                columns[name] = stored[index]
        return CatalogTable(
            self.fields,
            columns,
            ra_name=self._ra_name,
            dec_name=self._dec_name,
            distance_name=self.distance_name,
        )

    def filter_view(self):
        """Return the columns as a mapping for `mastq.emulator.services.filters.filter_mask`."""
        return _FilterView(self)

    def result(self, index, *, names=None, distance=None):
        """
        A `TableResult` of some rows, materialized page by page.

        Parameters
        ----------
        index : numpy.ndarray of int
            The rows, in the order to send them.
        names : list of str, optional
            The columns to send (default: all fields, in order).
        distance : numpy.ndarray of float, optional
            When given, a last column named `distance_name` (arcsec), one value per row.

        Returns
        -------
        TableResult
        """
        index = np.asarray(index, dtype=np.int64)
        names = self.names if names is None else list(names)
        fields = [Field(name, self._types[name]) for name in names]
        label = self.distance_name
        if distance is not None:
            fields.append(Field(label, "float"))
        columns = self.columns

        def make_chunk(start, stop):
            rows = index[start:stop]
            chunk = {name: _chunk_values(columns[name], rows) for name in names}
            if distance is not None:
                chunk[label] = distance[start:stop]
            return chunk

        return TableResult(
            fields=tuple(fields), nrows=len(index), make_chunk=make_chunk, cost=len(index) * 2e-6
        )

    def discrete_histogram(self, name):
        """
        Counts of each value of a string column, nulls counted under the key ``""``.

        Parameters
        ----------
        name : str
            A `Categorical` column.

        Returns
        -------
        dict
            ``{"hist": [{"count", "key"}...], key: {"count", "key"}...}`` (MAST's layout),
            most frequent value first.
        """
        stored = self.columns[name]
        counts = np.bincount(stored.codes + 1, minlength=len(stored.categories) + 1)
        keys = [""] + [str(c) for c in stored.categories]
        entries = [{"count": int(c), "key": k} for c, k in zip(counts, keys, strict=True) if c]
        entries.sort(key=lambda e: (-e["count"], e["key"]))
        out = {"hist": entries}
        out.update({e["key"]: e for e in entries})
        return out

    def continuous_histogram(self, name):
        """
        A histogram of a numeric column over ``HISTOGRAM_BINS`` equal bins (nulls left out).

        Parameters
        ----------
        name : str
            A numeric column.

        Returns
        -------
        dict
            ``{"hist": {"hist": [{"key": bin start, "count"}...]}, "min", "max",
            "type": "numeric"}``, ``max`` padded as MAST pads it.
        """
        stored = self.columns[name]
        values = np.ma.getdata(stored).astype(np.float64)
        valid = ~np.ma.getmaskarray(stored) & np.isfinite(values)
        values = values[valid]
        low = float(values.min()) if len(values) else 0.0
        high = (float(values.max()) if len(values) else 0.0) + _HISTOGRAM_MAX_PAD
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(low, high))
        hist = [{"key": float(k), "count": int(c)} for k, c in zip(edges[:-1], counts, strict=True)]
        return {"hist": {"hist": hist}, "min": low, "max": high, "type": "numeric"}


def count_result(count):
    """
    The answer of a ``COUNT_BIG(*)`` query: one row, one ``Column1`` (typed string).

    Parameters
    ----------
    count : int
        The number of matching rows.

    Returns
    -------
    TableResult
    """
    return TableResult.from_arrays(
        (Field("Column1", "string"),), {"Column1": np.array([count], dtype=np.int64)}
    )


def fields_of(spec):
    """
    Fields from a compact spec: ``"name:type name:type ..."`` (whitespace-separated).

    Examples
    --------
    >>> fields_of("ra:float ID:string")
    (Field(name='ra', type='float'), Field(name='ID', type='string'))
    """
    return tuple(Field(*item.split(":")) for item in spec.split())
