"""
User catalogs for the local MAST: an astropy Table served as ``Mast.Catalogs.<name>.*``.

A user's table becomes a `~mastq.emulator.catalogs.table.CatalogTable` whose Mashup field
types follow the column dtypes (64-bit integers typed ``"string"`` and sent as JSON
numbers, like MAST's ids), whose masked values are sent as null, and whose columns config
is built from the table's units, descriptions and UCDs.
"""

import re

import numpy as np
from astropy import units as u
from astropy.table import Table

from mastq.emulator.catalogs.table import CatalogTable
from mastq.emulator.model import Field
from mastq.emulator.services.filters import Categorical

__all__ = ["build_collection", "COLLECTION_NAME"]

COLLECTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
"""What a collection name must look like (it becomes part of service names)."""
_POSITION_NAMES = (("ra", "dec"), ("s_ra", "s_dec"))


def _position_columns(table):
    """Find the ra/dec columns (ra/dec, RA/DEC, s_ra/s_dec, any case)."""
    lookup = {name.lower(): name for name in table.colnames}
    for ra, dec in _POSITION_NAMES:
        if ra in lookup and dec in lookup:
            return lookup[ra], lookup[dec]
    raise ValueError(
        f"table: needs position columns 'ra' and 'dec' (or 'RA'/'DEC', "
        f"'s_ra'/'s_dec') in degrees; got columns {table.colnames}"
    )


def _degrees(column, name):
    """A position column as float64 degrees, checked to be finite and unmasked."""
    values = column.quantity if column.unit is not None else column
    if isinstance(values, u.Quantity):
        if not values.unit.is_equivalent(u.deg):
            raise ValueError(
                f"table: column '{name}' must be an angle (deg), got unit {values.unit}"
            )
        values = values.to_value(u.deg)
    if np.ma.getmaskarray(column).any():
        raise ValueError(f"table: column '{name}' must have no masked values")
    try:
        values = np.asarray(np.ma.getdata(values), dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"table: column '{name}' must hold numbers of degrees, got dtype {column.dtype}"
        ) from None
    if not np.isfinite(values).all():
        raise ValueError(f"table: column '{name}' must hold finite numbers of degrees")
    return values


def _stored(column, name):
    """Return ``(mashup type, VOTable datatype, stored column)`` of one table column."""
    if column.ndim != 1:
        raise ValueError(
            f"table: column '{name}' must be one-dimensional, got shape {column.shape}"
        )
    mask = np.ma.getmaskarray(column)
    data = np.asarray(np.ma.getdata(column))
    kind = data.dtype.kind
    if kind == "b":
        return "boolean", "boolean", np.ma.MaskedArray(data, mask=mask) if mask.any() else data
    if kind in "iu":
        wide = data.dtype.itemsize >= 8 or kind == "u" and data.dtype.itemsize >= 4
        data = data.astype(np.int64)
        stored = np.ma.MaskedArray(data, mask=mask) if mask.any() else data
        return ("string", "long", stored) if wide else ("int", "int", stored)
    if kind == "f":
        return "float", "double", np.where(mask, np.nan, data.astype(np.float64))
    if kind in "USO":
        return "string", "char", _categorical(data, mask, name)
    raise ValueError(
        f"table: column '{name}' has unsupported dtype {data.dtype}; "
        "expected integers, floats, booleans or strings"
    )


def _categorical(data, mask, name):
    """Strings as `Categorical` codes (masked and None values are null)."""
    if data.dtype.kind == "S":
        data = np.char.decode(data, "utf-8")
    if data.dtype.kind == "O":
        bad = [v for v in data.tolist() if v is not None and not isinstance(v, str)]
        if bad:
            raise ValueError(f"table: column '{name}' must hold strings, got {bad[0]!r}")
        mask = mask | np.fromiter((v is None for v in data), bool, count=len(data))
        data = np.where(mask, "", data).astype(str)
    categories, codes = np.unique(data, return_inverse=True)
    codes = np.where(mask, -1, codes.reshape(-1))
    dtype = np.int16 if len(categories) < 2**15 else np.int32
    return Categorical(codes.astype(dtype), categories.astype(str))


def _config_entry(column, name, datatype):
    """One columns-config entry from a column's unit, description and UCD."""
    entry = {"text": name, "vot.datatype": datatype}
    if column.unit is not None:
        entry["vot.unit"] = column.unit.to_string()
    ucd = (column.meta or {}).get("ucd")
    if ucd:
        entry["vot.ucd"] = str(ucd)
    if column.description:
        entry["vot.description"] = str(column.description)
    return entry


def build_collection(table):
    """
    Turn an astropy Table into a served catalog and its columns config.

    Parameters
    ----------
    table : astropy.table.Table
        One row per source, with position columns ``ra``/``dec`` (or ``RA``/``DEC``,
        ``s_ra``/``s_dec``) in degrees (a unit, if any, must be an angle); other
        columns are integers, floats, booleans or strings, masked values being null.

    Returns
    -------
    catalog : CatalogTable
        Fields in the table's column order.
    config : dict
        The columns config (column -> ``text``, ``vot.datatype``, ``vot.unit``,
        ``vot.ucd``, ``vot.description``), with the cone ``distance`` last.

    Raises
    ------
    ValueError
        If `table` is not a Table, lacks positions, or has an unsupported column.
    """
    if not isinstance(table, Table):
        raise ValueError(f"table: expected an astropy Table, got {type(table).__name__}")
    ra_name, dec_name = _position_columns(table)
    if "distance" in table.colnames:
        raise ValueError("table: column name 'distance' is reserved for the cone distance")
    fields, columns, config = [], {}, {}
    for name in table.colnames:
        column = table[name]
        mashup_type, datatype, stored = _stored(column, name)
        fields.append(Field(name, mashup_type))
        columns[name] = stored
        config[name] = _config_entry(column, name, datatype)
    columns[ra_name], columns[dec_name] = (
        _degrees(table[ra_name], ra_name),
        _degrees(table[dec_name], dec_name),
    )
    if (np.abs(columns[dec_name]) > 90.0).any():
        raise ValueError(f"table: column '{dec_name}' must be within [-90, 90] degrees")
    config["distance"] = {
        "text": "distance",
        "vot.datatype": "double",
        "vot.unit": "arcsec",
        "vot.ucd": "pos.angDistance",
        "vot.description": "Distance from the centre of the cone search",
    }
    return CatalogTable(fields, columns, ra_name=ra_name, dec_name=dec_name), config
