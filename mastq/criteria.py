"""
Criteria as astronomers give them, turned into MAST's Mashup ``filters``.

`build_filter_sets` turns keyword criteria into ``filters`` using the column metadata of
the service (the ``columnsconfig`` answer, see `column_specs`): lists and any other
iterable (sets, numpy arrays, pandas Series, dict views, generators) mean OR, ``*``
wildcards become ``freeText``, 2-tuples and MAST's own ``{"min": a, "max": b}`` objects
are ranges with `None` for an open end, quantities are converted to the column's unit and
times to MJD, and `Not` of a range keeps what lies outside it.  Whether a column takes
ranges follows its declared type (`mastq.columns.declared_kind`).  Unknown criteria raise
with did-you-mean suggestions.
"""

import datetime
import difflib
import logging
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import astropy.units as u
import numpy as np
from astropy.time import ScaleValueError, Time

from mastq.columns import ColumnInfo, declared_kind
from mastq.exceptions import InvalidQueryError

__all__ = ["ColumnSpec", "column_specs", "Not", "find_column", "build_filter_sets"]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- column metadata


@dataclass(frozen=True)
class ColumnSpec:
    """
    What the criteria builder needs to know about one searchable column.

    Parameters
    ----------
    name : str
        Column name as MAST spells it.
    datatype : str
        Normalised datatype (``"char"``, ``"double"``, ``"long"``, ``"numeric"``...; empty
        when the metadata does not say).
    unit : `~astropy.units.UnitBase` or None
        The column's unit, when the metadata gives one astropy understands.
    is_mjd : bool
        True for times stored as MJD (``isMjd`` or unit ``MJD``).
    separator : str or None
        Separator of multi-valued columns (sent along with the filter).
    treat_numeric : bool
        True when the metadata says to filter the column as a number (``treatNumeric``).
    """

    name: str
    datatype: str = ""
    unit: object = None
    is_mjd: bool = False
    separator: str | None = None
    treat_numeric: bool = False

    @property
    def continuous(self):
        """True for columns filtered by ``{min, max}`` ranges (floating point)."""
        return self.is_mjd or self.treat_numeric or declared_kind(self.datatype) == "float"

    @property
    def integral(self):
        """True for integer columns (ids, levels): exact values, given as integers."""
        return declared_kind(self.datatype) == "int"

    @classmethod
    def from_config(cls, name, entry):
        """
        Build a spec from one ``columnsconfig`` entry.

        Parameters
        ----------
        name : str
            The column name (the key of the entry).
        entry : dict or `mastq.columns.ColumnInfo`
            The raw entry (``vot.datatype`` or ``type``, ``vot.unit`` or ``unit``,
            ``isMjd``, ``separator``, ``treatNumeric``) or its parsed form.

        Returns
        -------
        ColumnSpec

        Examples
        --------
        >>> spec = ColumnSpec.from_config("t_min", {"vot.datatype": "double", "isMjd": True})
        >>> spec.is_mjd, spec.continuous, spec.integral
        (True, True, False)
        >>> ColumnSpec.from_config("calib_level", {"vot.datatype": "short"}).integral
        True
        """
        if isinstance(entry, ColumnInfo):
            return cls(
                name=name,
                datatype=str(entry.datatype or "").lower(),
                unit=entry.unit,
                is_mjd=entry.is_mjd or entry.unit_string == "MJD",
                separator=entry.separator or None,
            )
        datatype = str(entry.get("vot.datatype") or entry.get("type") or "").lower()
        units = [entry.get("vot.unit"), entry.get("unit")]
        is_mjd = bool(entry.get("isMjd")) or "MJD" in units
        unit = ColumnInfo.from_entry(name, entry).unit
        return cls(
            name=name,
            datatype=datatype,
            unit=unit,
            is_mjd=is_mjd,
            separator=entry.get("separator") or None,
            treat_numeric=bool(entry.get("treatNumeric")),
        )


def column_specs(config):
    """
    Turn a ``columnsconfig`` answer into the searchable columns.

    Parameters
    ----------
    config : dict or `mastq.columns.ColumnsConfig`
        Column name -> metadata entry, as the columnsconfig endpoint answers it,
        optionally merged with the ``continuousHistogram``/``discreteHistogram`` entries
        of a ``Mast.Catalogs.All.*`` service (which say ``type: numeric``).

    Returns
    -------
    dict
        Column name -> `ColumnSpec`, without the UI-only ``_selected_`` column and the
        columns the config marks ``remove`` (the services do not return them).

    Examples
    --------
    >>> specs = column_specs({"obs_collection": {"vot.datatype": "char"},
    ...                       "t_exptime": {"vot.datatype": "double", "vot.unit": "s"}})
    >>> specs["t_exptime"].unit, specs["t_exptime"].continuous
    (Unit("s"), True)
    """
    return {
        name: ColumnSpec.from_config(name, entry)
        for name, entry in config.items()
        if name != "_selected_"
        and isinstance(entry, (Mapping, ColumnInfo))
        and not (isinstance(entry, Mapping) and entry.get("remove"))
    }


# --------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Not:
    """
    Negate a criterion: ``t_exptime=Not((0, 10))`` keeps what lies outside the range.

    Only ranges of continuous columns can be negated (MAST's filter grammar has no
    negation; the complement of a range is sent as two open ranges).  Negating exact
    values raises `InvalidQueryError`.

    Parameters
    ----------
    value : object
        A range ``(min, max)`` of a continuous column.

    Examples
    --------
    >>> specs = column_specs({"obs_collection": {"vot.datatype": "char"},
    ...                       "t_exptime": {"vot.datatype": "double", "vot.unit": "s"}})
    >>> build_filter_sets({"t_exptime": Not((0, 10))}, specs)
    [[{'paramName': 't_exptime',
       'values': [{'min': None, 'max': 0.0}, {'min': 10.0, 'max': None}]}]]
    """

    value: object


_MAX_FILTER_SETS = 16
_ALIASES = {
    "ra": "s_ra",
    "dec": "s_dec",
    "mission": "obs_collection",
    "collection": "obs_collection",
    "instrument": "instrument_name",
    "target": "target_name",
    "exptime": "t_exptime",
    "filter": "filters",
    "proposal": "proposal_id",
    "pi": "proposal_pi",
}


def find_column(name, specs, *, service=None):
    """
    Find the column a criterion names, or explain what was probably meant.

    Parameters
    ----------
    name : str
        The criterion (keyword) the user gave.
    specs, service
        As in `build_filter_sets`.

    Returns
    -------
    ColumnSpec
        Exact match first, else the one case-insensitive match.

    Raises
    ------
    InvalidQueryError
        Unknown criterion, with did-you-mean suggestions.

    Examples
    --------
    >>> specs = column_specs({"obs_collection": {"vot.datatype": "char"},
    ...                       "t_exptime": {"vot.datatype": "double", "vot.unit": "s"}})
    >>> find_column("t_exptime", specs).name
    't_exptime'
    >>> try:
    ...     find_column("exptime", specs)
    ... except InvalidQueryError as err:
    ...     print(err)
    unknown criterion 'exptime': not a searchable column; did you mean 't_exptime'?
    """
    if name in specs:
        return specs[name]
    folded = [key for key in specs if key.lower() == name.lower()]
    if len(folded) == 1:
        return specs[folded[0]]
    suggestions = _suggestions(name, specs)
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    where = f" of {service}" if service else ""
    raise InvalidQueryError(
        f"unknown criterion {name!r}: not a searchable column{where}{hint}", service=service
    )


def _suggestions(name, specs):
    """Likely intended columns: aliases, same letters without underscores, then difflib."""
    squashed = name.lower().replace("_", "")
    found = [key for key in specs if key.lower().replace("_", "") == squashed]
    alias = _ALIASES.get(name.lower())
    if alias in specs:
        found.insert(0, alias)
    found += difflib.get_close_matches(name, list(specs), n=3, cutoff=0.6)
    return list(dict.fromkeys(found))[:3]


def build_filter_sets(criteria, specs, *, service=None, mast_form=False):
    """
    Turn keyword criteria into Mashup ``filters`` lists.

    Parameters
    ----------
    criteria : dict
        Column name -> value: a value, a list of values (OR; any iterable but a tuple:
        set, numpy array, pandas Series, dict view, generator...), a ``(min, max)`` range
        or MAST's ``{"min": min, "max": max}`` (`None` for an open end; a list of ranges
        means OR; on a continuous column a ``[min, max]`` list is a range too, as in
        astroquery), ``*`` wildcards anywhere in the values, `~astropy.units.Quantity`
        (converted to the column's unit), `~astropy.time.Time` (to MJD for MJD columns),
        `Not` of a range.
    specs : dict
        Column name -> `ColumnSpec` (see `column_specs`).
    service : str, optional
        Service named in error messages.
    mast_form : bool, optional
        Read values in MAST's own form, as ``Mast.mast_query`` does in astroquery: on a
        continuous column a list holds exact values and ``{"min", "max"}`` objects (or
        tuples) are the ranges.  By default (``query_criteria``) a ``[min, max]`` list
        on a continuous column is a range.

    Returns
    -------
    list of list of dict
        Usually one filter list.  MAST takes one ``freeText`` per filter, so a column
        with several wildcards yields one filter list per wildcard: the union of
        their results is the answer.

    Raises
    ------
    InvalidQueryError
        Unknown criterion, value of the wrong kind or unit (`True`, an arbitrary
        object...), one bare value for a continuous column, unsupported negation.

    Examples
    --------
    >>> specs = column_specs({"obs_collection": {"vot.datatype": "char"},
    ...                       "t_exptime": {"vot.datatype": "double"}})
    >>> build_filter_sets({"obs_collection": {"HST", "JWST"},
    ...                    "t_exptime": [{"min": 100, "max": None}]}, specs)
    [[{'paramName': 'obs_collection', 'values': ['HST', 'JWST']}, \
{'paramName': 't_exptime', 'values': [{'min': 100.0, 'max': None}]}]]
    """
    alternatives = []
    for name, value in criteria.items():
        spec = find_column(name, specs, service=service)
        alternatives.append(_column_filters(spec, value, specs, service, mast_form))
    count = int(np.prod([len(a) for a in alternatives])) if alternatives else 1
    if count > _MAX_FILTER_SETS:
        raise InvalidQueryError(
            f"too many wildcard combinations ({count} queries); use at most {_MAX_FILTER_SETS}",
            service=service,
        )
    sets = [[]]
    for options in alternatives:
        sets = [done + [option] for done in sets for option in options]
    return sets


def _column_filters(spec, value, specs, service, mast_form):
    """The filter entries of one criterion (one entry per wildcard, at least one)."""
    value = _read_once(spec, value, service)
    if isinstance(value, Not):
        return [_entry(spec, {"values": _negated_ranges(spec, value.value, service)})]
    if spec.continuous and mast_form and not _is_range(value):
        items = [value] if _is_scalar(value) else value
        return [
            _entry(
                spec,
                {
                    "values": [
                        _range(spec, item, service)
                        if _is_range(item)
                        else _exact_number(spec, item, service)
                        for item in items
                    ]
                },
            )
        ]
    if spec.continuous:
        return [_entry(spec, {"values": _ranges(spec, value, service)})]
    if spec.integral and _is_range(value):
        return [_entry(spec, {"values": [_range(spec, value, service)]})]
    if spec.integral and isinstance(value, list) and value and all(map(_is_range, value)):
        return [_entry(spec, {"values": [_range(spec, item, service) for item in value]})]
    exact, patterns = _discrete_values(spec, value, specs, service)
    if not patterns:
        return [_entry(spec, {"values": exact})]
    return [
        _entry(spec, {"values": exact if i == 0 else [], "freeText": pattern})
        for i, pattern in enumerate(patterns)
    ]


def _entry(spec, body):
    entry = {"paramName": spec.name}
    if spec.separator:
        entry["separator"] = spec.separator
    entry.update(body)
    return entry


def _read_once(spec, value, service):
    """
    A criterion's value with any iterable read once into a list of values.

    Tuples (ranges), MAST's ``{min, max}`` objects, `Not`, quantities and times are kept;
    sets come back sorted, so the same criteria always send the same request.
    """
    if isinstance(value, (Not, tuple, Mapping, u.Quantity, Time, str, bytes)) or value is None:
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, (numbers.Number, np.generic, datetime.date)):
        return value
    if not isinstance(value, Iterable):
        raise InvalidQueryError(
            f"{spec.name}: expected a value, a list of values or a (min, max) range, got {value!r}",
            service=service,
        )
    items = list(value)
    if isinstance(value, (set, frozenset)):
        items.sort(key=str)
    return items


def _is_range(value):
    """A ``(min, max)`` tuple or MAST's ``{"min", "max"}`` object."""
    return (isinstance(value, tuple) and len(value) == 2) or isinstance(value, Mapping)


def _is_scalar(value):
    """True for one value (a scalar Quantity or Time included), False for sequences."""
    if isinstance(value, (u.Quantity, Time)):
        return value.isscalar
    if isinstance(value, np.ndarray):
        return value.ndim == 0
    return not isinstance(value, (list, tuple, set, frozenset, range, Mapping))


def _ranges(spec, value, service):
    """``[{"min": a, "max": b}, ...]`` of a continuous column, in the column's unit."""
    if isinstance(value, u.Quantity) and not value.isscalar:
        value = list(value)
    if isinstance(value, Mapping):
        return [_range(spec, value, service)]
    if _is_scalar(value) or (len(value) == 1 and _is_scalar(value[0])):
        raise InvalidQueryError(
            f"{spec.name} is a continuous column: give a range (min, max), e.g. "
            f"{spec.name}=(low, None) for an open end or (v, v) for one value; got {value!r}",
            service=service,
        )
    items = list(value)
    if all(not _is_scalar(item) for item in items):
        return [_range(spec, item, service) for item in items]
    if len(items) != 2:
        raise InvalidQueryError(
            f"{spec.name} is a continuous column: give one (min, max) range or a list of "
            f"ranges, got {len(items)} values",
            service=service,
        )
    return [_range(spec, items, service)]


def _range(spec, pair, service):
    """One ``{"min", "max"}`` object; ends converted, `None` (open end) kept."""
    if isinstance(pair, u.Quantity):
        pair = list(pair)
    if isinstance(pair, Mapping):
        if not set(pair) <= {"min", "max"}:
            raise InvalidQueryError(
                f"{spec.name}: a range object has keys 'min' and 'max', "
                f"got {sorted(map(str, pair))}",
                service=service,
            )
        pair = (pair.get("min"), pair.get("max"))
    if _is_scalar(pair) or len(pair) != 2:
        raise InvalidQueryError(
            f"{spec.name}: a range is (min, max), got {pair!r}", service=service
        )
    low, high = (_number(spec, end, service) for end in pair)
    if low is None and high is None:
        raise InvalidQueryError(
            f"{spec.name}: a range needs at least one end, got {pair!r}", service=service
        )
    if low is not None and high is not None and low > high:
        if not any(_spectral_inverts(spec, end) for end in pair):
            raise InvalidQueryError(
                f"{spec.name}: min {low} is larger than max {high}", service=service
            )
        low, high = high, low
    return {"min": low, "max": high}


def _spectral_inverts(spec, end):
    """True when a quantity (e.g. a frequency) maps to the column's unit in reverse order."""
    return (
        isinstance(end, u.Quantity)
        and spec.unit is not None
        and not end.unit.is_equivalent(spec.unit)
    )


def _exact_number(spec, value, service):
    """One exact value of a continuous column, as given (``mast_form``): ints stay ints."""
    number = _number(spec, value, service)
    if number is None:
        raise InvalidQueryError(f"{spec.name}: None is not a value to match", service=service)
    if isinstance(value, str) and not spec.is_mjd:
        return value
    return int(number) if isinstance(value, (int, np.integer)) else number


def _negated_ranges(spec, value, service):
    """The complement of one range, as two open ranges (continuous columns only)."""
    if not spec.continuous:
        raise InvalidQueryError(
            f"{spec.name}: negation of exact values is not supported by MAST's filter "
            f"grammar; only a (min, max) range of a continuous column can be negated",
            service=service,
        )
    inner = _range(spec, value, service)
    outside = []
    if inner["min"] is not None:
        outside.append({"min": None, "max": inner["min"]})
    if inner["max"] is not None:
        outside.append({"min": inner["max"], "max": None})
    return outside


def _number(spec, value, service):
    """One end of a range as a float in the column's unit (MJD for times), or None."""
    if value is None:
        return None
    if isinstance(value, (Time, datetime.date)) or (isinstance(value, str) and spec.is_mjd):
        return _mjd(spec, value, service)
    if isinstance(value, u.Quantity):
        return _in_column_unit(spec, value, service)
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{spec.name}: expected a number, got {value!r}", service=service)
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise InvalidQueryError(
            f"{spec.name}: expected a number or None, got {value!r}", service=service, cause=err
        ) from err
    if not np.isfinite(number):
        raise InvalidQueryError(
            f"{spec.name}: use None for an open end, not {value!r}", service=service
        )
    return number


def _mjd(spec, value, service):
    """A `Time`, datetime or ISO string as MJD, for MJD columns only."""
    if not spec.is_mjd:
        raise InvalidQueryError(
            f"{spec.name} is not a time column (unit {spec.unit}); a Time is only accepted "
            f"for MJD columns",
            service=service,
        )
    try:
        time = Time(value)
        return float(time.mjd if time.scale == "utc" else time.utc.mjd)  # MAST's MJD are UTC
    except (ValueError, ScaleValueError) as err:
        raise InvalidQueryError(
            f"{spec.name}: {value!r} is not a time (e.g. '2020-01-01' "
            f"or Time(...)) that converts to UTC",
            service=service,
            cause=err,
        ) from err


def _in_column_unit(spec, quantity, service):
    """A scalar quantity converted to the column's unit (spectral equivalencies allowed)."""
    unit = u.day if spec.is_mjd and spec.unit is None else spec.unit
    if unit is None:
        raise InvalidQueryError(
            f"{spec.name} has no unit in MAST's column metadata; give "
            f"a plain number, not {quantity}",
            service=service,
        )
    if not quantity.isscalar:
        raise InvalidQueryError(
            f"{spec.name}: each range end must be one value, got {quantity}", service=service
        )
    try:
        converted = float(quantity.to_value(unit, equivalencies=u.spectral()))
        return float(f"{converted:.15g}")  # 1 um -> 1000.0 nm, not 999.9999999999999
    except u.UnitConversionError as err:
        raise InvalidQueryError(
            f"{spec.name} is in {unit}; {quantity} cannot be converted to it",
            service=service,
            cause=err,
        ) from err


def _discrete_values(spec, value, specs, service):
    """Exact values as strings and ``*`` patterns as SQL ``%`` patterns."""
    items = [value] if _is_scalar(value) or isinstance(value, Mapping) else list(value)
    if not items:
        raise InvalidQueryError(f"{spec.name}: give at least one value", service=service)
    exact, patterns = [], []
    for item in items:
        text = _discrete_text(spec, item, specs, service)
        if "*" in text or "%" in text:
            patterns.append(text.replace("*", "%"))
        else:
            exact.append(text)
    return exact, patterns


def _discrete_text(spec, item, specs, service):
    """One exact value as the string MAST compares, checking ids against their kind."""
    if isinstance(item, (u.Quantity, Time, Not)) or (not _is_scalar(item)):
        raise InvalidQueryError(
            f"{spec.name} takes exact values (or a list of them), got {item!r}", service=service
        )
    if isinstance(item, (bool, np.bool_)) and declared_kind(spec.datatype) != "bool":
        raise InvalidQueryError(
            f"{spec.name}: {item!r} is not a value of this column; give "
            f"the value as text or a number",
            service=service,
        )
    if item is not None and not isinstance(item, (str, bytes, numbers.Number, np.generic)):
        raise InvalidQueryError(
            f"{spec.name}: expected a value (text or a number), a list "
            f"of values or a (min, max) range, got {item!r}",
            service=service,
        )
    if item is None or (isinstance(item, float) and not np.isfinite(item)):
        raise InvalidQueryError(
            f"{spec.name}: {item!r} is not a value to match (MAST's "
            f"filters cannot select nulls); give a value or a list of "
            f"values",
            service=service,
        )
    if isinstance(item, (np.integer, np.floating, np.str_, np.bytes_)):
        item = item.item()
    if isinstance(item, bytes):  # from a bytestring (FITS-like) text column
        item = item.decode("utf-8")
    if spec.integral:
        return _integral_text(spec, item, specs, service)
    twin = _twin(spec, specs)
    if isinstance(item, int) and not isinstance(item, bool) and twin is not None:
        raise InvalidQueryError(
            f"{spec.name} is a text identifier, but {item!r} is a number: did you mean "
            f"{twin.name}={item!r}? (or pass {spec.name}={str(item)!r})",
            service=service,
        )
    return str(item)


def _integral_text(spec, item, specs, service):
    """An integer column's value; a non-integer points at the text twin if there is one."""
    text = str(item).strip()
    if isinstance(item, float) and item.is_integer():
        text = str(int(item))
    if re.fullmatch(r"[-+]?\d+", text) or "*" in text:
        return text
    twin = _twin(spec, specs)
    hint = f"; did you mean {twin.name}={item!r}?" if twin is not None else ""
    raise InvalidQueryError(f"{spec.name} holds integers, got {item!r}{hint}", service=service)


def _twin(spec, specs):
    """The other column spelled with the same letters (obs_id / obsid / obsID), if any."""
    squashed = spec.name.lower().replace("_", "")
    for other in specs.values():
        if other.name != spec.name and other.name.lower().replace("_", "") == squashed:
            return other
    return None
