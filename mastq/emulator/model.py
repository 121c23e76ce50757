"""
What a local-MAST service computes, before any HTTP or format is involved.

This is the contract between the archive side of the emulator (``archive.py``,
``services.py``, ...) and its HTTP side (``app.py``, ``formats.py``, ``jobs.py``).
A service is a function ``(params: dict, archive) -> TableResult | DocumentResult``
that raises `ServiceError` for bad input.  Tables are produced lazily, in chunks of
numpy arrays, so that a result of millions of rows is never held as Python objects.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Field", "TableResult", "DocumentResult", "ServiceError"]


class ServiceError(Exception):
    """A service refused its input; the message becomes the Mashup ``msg``."""


@dataclass(frozen=True)
class Field:
    """
    One column as the Mashup json ``fields`` list declares it.

    Parameters
    ----------
    name : str
        Column name, as MAST spells it (``"s_ra"``, ``"obsid"``...).
    type : str
        The Mashup json type: ``"string"``, ``"int"``, ``"float"``, ``"boolean"`` or
        ``"date"``.  64-bit ids are declared ``"string"`` but sent as JSON numbers,
        as the real server does.
    """

    name: str
    type: str


# A chunk is a dict column-name -> 1-D numpy array (all of the same length).  A column
# with nulls is a ``numpy.ma.MaskedArray`` whose mask is True where the value is null.
Chunk = dict

ChunkFunction = Callable[[int, int], Chunk]


@dataclass
class TableResult:
    """
    A tabular answer: field list, row count and a way to make any slice of rows.

    Parameters
    ----------
    fields : tuple of Field
        Columns in the order the real service sends them.
    nrows : int
        Number of rows of the whole result (before paging).
    make_chunk : callable
        ``make_chunk(start, stop) -> Chunk``: the rows ``start:stop`` as numpy arrays,
        one per field (keyed by field name).  Must be deterministic and thread-safe.
    extended : dict
        Extra ``ExtendedProperties`` of the extjs format (``discreteHistogram``,
        ``continuousHistogram``...), empty for most services.
    column_properties : dict
        Per-column extjs ``ExtendedProperties`` (column name -> dict, e.g. the
        ``histObj`` of ``Mast.Caom.All``), merged over what the columns config gives.
    cost : float
        Simulated seconds of server work; the HTTP layer answers EXECUTING while a
        job is younger than this.
    """

    fields: tuple
    nrows: int
    make_chunk: ChunkFunction
    extended: dict = field(default_factory=dict)
    column_properties: dict = field(default_factory=dict)
    cost: float = 0.0

    def chunks(self, start=0, stop=None, size=20000) -> Iterator[Chunk]:
        """Yield the rows ``start:stop`` as successive chunks of at most ``size`` rows."""
        stop = self.nrows if stop is None else min(stop, self.nrows)
        for lo in range(start, stop, size):
            yield self.make_chunk(lo, min(lo + size, stop))

    @classmethod
    def from_arrays(cls, fields, columns, **kwargs):
        """Build a result from whole columns (a dict name -> array) already in memory."""
        fields = tuple(fields)
        nrows = len(columns[fields[0].name]) if fields else 0

        def make_chunk(start, stop):
            return {f.name: columns[f.name][start:stop] for f in fields}

        return cls(fields=fields, nrows=nrows, make_chunk=make_chunk, **kwargs)


@dataclass
class DocumentResult:
    """
    A non-tabular answer (e.g. ``Mast.Name.Lookup``) sent as this JSON object as-is.

    Parameters
    ----------
    body : dict
        The whole JSON document, including its ``status`` key.
    cost : float
        Simulated seconds of server work.
    """

    body: dict
    cost: float = 0.0


def empty_like(fields):
    """Return a zero-row `TableResult` with the given fields (useful for no match)."""
    fields = tuple(fields)
    return TableResult.from_arrays(fields, {f.name: np.array([]) for f in fields})
