"""
The Mashup filter grammar of MAST's ``Filtered`` services, evaluated over numpy columns.

A ``filters`` parameter is a list of filters, all of which a row must pass (AND).  A filter
names a column (``paramName``, case-insensitive like SQL Server column names) and a row
passes it when it matches ANY of (OR):

- a discrete value of ``values`` (``{"paramName": "filters", "values": ["F606W", "F814W"]}``):
  compared as strings for string columns (case-insensitively and ignoring trailing
  blanks, like SQL Server's default collation), as numbers for numeric columns;
- a range of ``values`` (``{"paramName": "t_min", "values": [{"min": 5e4, "max": 6e4}]}``),
  inclusive, ``min`` or ``max`` missing or ``None`` meaning open;
- the ``freeText`` pattern, SQL ``LIKE``: ``%`` any run of characters, ``_`` one character,
  case-insensitive.

With a ``separator`` (given in the filter or as the column's default), a string value is
split into parts and a row matches when any of its parts does (``"GALAXY;STAR"``).  A
filter with neither values nor ``freeText`` constrains nothing.  Null values (masked, NaN
or ``None``) never match, as in SQL.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mastq.emulator.model import ServiceError

__all__ = ["Categorical", "filter_mask", "select_columns", "like_to_regex"]

_SCALARS = (str, int, float)
_TRUE_WORDS = {"true", "1", "t", "yes"}
_FALSE_WORDS = {"false", "0", "f", "no"}


@dataclass(frozen=True)
class Categorical:
    """
    A string column held as small-integer codes into a vocabulary.

    Filters on such a column are evaluated once per vocabulary entry, not once per row.

    Parameters
    ----------
    codes : numpy.ndarray of int
        One code per row; ``-1`` means null.
    categories : numpy.ndarray of str
        The vocabulary, indexed by code.
    """

    codes: np.ndarray
    categories: np.ndarray

    def __len__(self):
        return len(self.codes)

    def take(self, index):
        """Return the `Categorical` of the rows ``index``."""
        return Categorical(self.codes[index], self.categories)

    def strings(self, index=slice(None)):
        """Return the rows ``index`` as an object array of str, ``None`` for nulls."""
        lookup = np.append(self.categories.astype(object), None)
        return lookup[self.codes[index]]


def like_to_regex(pattern):
    """
    Translate a SQL ``LIKE`` pattern (``%`` and ``_`` wildcards) to a compiled regex.

    Parameters
    ----------
    pattern : str
        The pattern, e.g. ``"NGC%"``.

    Returns
    -------
    re.Pattern
        A case-insensitive pattern to use with ``fullmatch``.
    """
    body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def _number(value, *, column, what):
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ServiceError(
            f"filter on '{column}': {what} must be a number, got {value!r}"
        ) from None
    if math.isnan(number):
        raise ServiceError(f"filter on '{column}': {what} must be a number, got NaN")
    return number


@dataclass(frozen=True)
class _Filter:
    column: str
    discrete: tuple
    ranges: tuple
    free_text: object
    separator: object

    @property
    def empty(self):
        return not self.discrete and not self.ranges and self.free_text is None


def _parse_filter(item, position, lookup, separators):
    if not isinstance(item, Mapping):
        raise ServiceError(
            f"filters[{position}] must be an object with 'paramName' and 'values', got {item!r}"
        )
    name = item.get("paramName")
    if name is None:
        raise ServiceError(
            f"filters[{position}]: missing 'paramName' (the column to filter on), got {item!r}"
        )
    if not isinstance(name, str) or name.lower() not in lookup:
        raise ServiceError(
            f"filters[{position}]: unknown column {name!r} (paramName); "
            f"expected one of {sorted(lookup.values())}"
        )
    column = lookup[name.lower()]
    values = item.get("values", [])
    if values is None:
        values = []
    if not isinstance(values, (list, tuple)):
        raise ServiceError(f"filter on '{column}': 'values' must be a list, got {values!r}")
    for value in values:
        if not isinstance(value, (Mapping, *_SCALARS)) and value is not None:
            raise ServiceError(
                f"filter on '{column}': each of 'values' must be a string, a "
                f"number, a boolean or a range {{min, max}}, got {value!r}"
            )
    ranges = tuple(_parse_range(v, column) for v in values if isinstance(v, Mapping))
    discrete = tuple(v for v in values if not isinstance(v, Mapping) and v is not None)
    free_text = item.get("freeText")
    if free_text is not None and not isinstance(free_text, str):
        raise ServiceError(f"filter on '{column}': 'freeText' must be a string, got {free_text!r}")
    separator = item.get("separator")
    if separator is not None and not isinstance(separator, str):
        raise ServiceError(
            f"filter on '{column}': 'separator' must be a string such as ';', got {separator!r}"
        )
    separator = separator or (separators or {}).get(column)
    return _Filter(column, discrete, ranges, free_text, separator)


def _parse_range(value, column):
    unknown = set(value) - {"min", "max"}
    if unknown:
        raise ServiceError(
            f"filter on '{column}': a range takes only 'min' and 'max', "
            f"got keys {sorted(map(str, unknown))}"
        )
    if not value:
        raise ServiceError(f"filter on '{column}': a range needs 'min' and/or 'max', got {{}}")
    low, high = value.get("min"), value.get("max")
    low = -math.inf if low is None or low == "" else _number(low, column=column, what="min")
    high = math.inf if high is None or high == "" else _number(high, column=column, what="max")
    return low, high


def _match_strings(strings, flt):
    """Match each (non-null) str of a sequence; returns a bool array."""
    wanted = {str(v).rstrip().lower() for v in flt.discrete}
    regex = like_to_regex(flt.free_text) if flt.free_text is not None else None

    def part_matches(part):
        if part.rstrip().lower() in wanted:
            return True
        if regex is not None and regex.fullmatch(part):
            return True
        return any(_in_range(part, low, high) for low, high in flt.ranges)

    def matches(text):
        if text is None:
            return False
        parts = text.split(flt.separator) if flt.separator else (text,)
        return any(part_matches(p) for p in parts)

    return np.fromiter((matches(s) for s in strings), dtype=bool, count=len(strings))


def _in_range(text, low, high):
    try:
        number = float(text)
    except ValueError:
        return False
    return low <= number <= high


def _match_object_strings(values):
    """Split an array of strings into (unique strings, inverse index, null mask)."""
    nulls = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else None
    data = np.ma.getdata(values)
    if data.dtype.kind == "O":
        none = np.fromiter((v is None for v in data), dtype=bool, count=len(data))
        nulls = none if nulls is None else nulls | none
        data = np.where(none, "", data).astype(str)
    uniques, inverse = np.unique(data, return_inverse=True)
    if nulls is None:
        nulls = np.zeros(len(data), bool)
    return uniques.tolist(), inverse.reshape(-1), nulls


def _match_numbers(values, flt):
    data = np.ma.getdata(values)
    nulls = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else None
    result = np.zeros(len(data), bool)
    if data.dtype.kind == "b":
        words = {str(v).strip().lower() for v in flt.discrete}
        bad = words - _TRUE_WORDS - _FALSE_WORDS
        if bad:
            raise ServiceError(
                f"filter on '{flt.column}': values must be true or false, got {sorted(bad)}"
            )
        result |= (data & bool(words & _TRUE_WORDS)) | (~data & bool(words & _FALSE_WORDS))
    else:
        wanted = [_number(v, column=flt.column, what="a value") for v in flt.discrete]
        if wanted:
            result |= np.isin(data, wanted)
        for low, high in flt.ranges:
            result |= (data >= low) & (data <= high)
        if flt.free_text is not None:
            regex = like_to_regex(flt.free_text)
            result |= np.array([bool(regex.fullmatch(str(v))) for v in data.tolist()], bool)
        if data.dtype.kind == "f":
            result &= ~np.isnan(data)
    if nulls is not None:
        result &= ~nulls
    return result


def _match_column(values, flt):
    if isinstance(values, Categorical):
        per_category = _match_strings(values.categories.tolist(), flt)
        return np.append(per_category, False)[values.codes]
    if np.asarray(np.ma.getdata(values)).dtype.kind in "biuf":
        return _match_numbers(values, flt)
    uniques, inverse, nulls = _match_object_strings(values)
    return _match_strings(uniques, flt)[inverse] & ~nulls


def _take(values, index):
    if isinstance(values, Categorical):
        return values.take(index)
    return values[index]


def filter_mask(filters, columns, *, nrows, separators=None):
    """
    Evaluate a Mashup ``filters`` list over the columns of a collection.

    Parameters
    ----------
    filters : list of dict or None
        The Mashup filters (see the module docstring); ``None`` or ``[]`` selects all rows.
    columns : Mapping
        Column name -> 1-D array of length ``nrows`` (numpy array, masked array or
        `Categorical`); it may compute columns lazily on access.
    nrows : int
        Number of rows of the collection.
    separators : dict, optional
        Default separator of multi-valued string columns (column name -> str).

    Returns
    -------
    numpy.ndarray of bool
        True for the rows that pass every filter.

    Raises
    ------
    mastq.emulator.model.ServiceError
        Naming the unknown column, or the malformed filter and what was expected.
    """
    mask = np.ones(nrows, dtype=bool)
    if filters is None:
        return mask
    if not isinstance(filters, (list, tuple)):
        raise ServiceError(f"parameter 'filters' must be a list of filter objects, got {filters!r}")
    lookup = {name.lower(): name for name in columns}
    parsed = [_parse_filter(item, i, lookup, separators) for i, item in enumerate(filters)]
    for flt in parsed:
        if flt.empty:
            continue
        candidates = np.flatnonzero(mask)
        if len(candidates) * 4 < nrows:
            mask[candidates] = _match_column(_take(columns[flt.column], candidates), flt)
        else:
            mask &= _match_column(columns[flt.column], flt)
    return mask


def select_columns(columns_param, available, *, service="Filtered service"):
    """
    Interpret the ``columns`` parameter of a ``Filtered`` service.

    Parameters
    ----------
    columns_param : str
        ``"*"`` for every column, ``"COUNT_BIG(*)"`` for a count, or a comma-separated
        list of column names (case-insensitive).
    available : sequence of str
        The column names of the collection, in their order.
    service : str, optional
        The service name, used in error messages.

    Returns
    -------
    list of str or str
        The column names (as spelled in ``available``), or the string ``"COUNT"``.

    Raises
    ------
    mastq.emulator.model.ServiceError
        If the parameter is not a string or names unknown columns.
    """
    available = list(available)
    if not isinstance(columns_param, str) or not columns_param.strip():
        raise ServiceError(
            f'{service}: parameter \'columns\' must be "*", "COUNT_BIG(*)" '
            f"or a comma-separated list of columns, got {columns_param!r}"
        )
    text = columns_param.strip()
    if text == "*":
        return available
    if re.fullmatch(r"count_big\s*\(\s*\*\s*\)", text, re.IGNORECASE):
        return "COUNT"
    lookup = {name.lower(): name for name in available}
    names = [part.strip() for part in text.split(",")]
    unknown = [n for n in names if n.lower() not in lookup]
    if unknown:
        raise ServiceError(
            f"{service}: parameter 'columns' names unknown columns {unknown}; "
            f"expected some of {available}"
        )
    return [lookup[n.lower()] for n in names]
