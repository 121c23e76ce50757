"""
Column metadata of MAST services (the ``columnsconfig`` answers).

MAST keeps units, descriptions, UCDs and null sentinels of each service's columns in
a *columns config*, fetched from ``/portal/Mashup/Mashup.asmx/columnsconfig``.  This
module declares what MAST's type names mean (`declared_kind`), says which config
serves which service (`config_id`), turns a raw config into
`ColumnInfo` values (`ColumnsConfig`), maps MAST's unit spellings to astropy units
(`parse_unit`) and keeps fetched configs once per server and config id
(`ConfigStore`).
"""

import dataclasses
import functools
import logging
import re
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from types import MappingProxyType

import astropy.units as u
import numpy as np
import orjson

from . import registry
from .exceptions import ProtocolError, warn_user

__all__ = [
    "ColumnInfo",
    "ColumnsConfig",
    "ConfigStore",
    "DECLARED_KINDS",
    "config_id",
    "declared_kind",
    "type_name",
    "parse_unit",
    "SOLAR_DENSITY",
]

log = logging.getLogger(__name__)

DECLARED_KINDS = MappingProxyType(
    {
        **dict.fromkeys(("string", "str", "char", "unicodechar", "text", "varchar"), "str"),
        **dict.fromkeys(("float", "double", "real", "numeric", "decimal", "number"), "float"),
        **dict.fromkeys(
            (
                "int",
                "integer",
                "long",
                "short",
                "bigint",
                "smallint",
                "tinyint",
                "byte",
                "unsignedbyte",
            ),
            "int",
        ),
        **dict.fromkeys(("boolean", "bool", "binary"), "bool"),
        **dict.fromkeys(("date", "datetime", "timestamp"), "time"),
    }
)
"""The one table of MAST's declared types (result ``fields``, columns config ``type`` and
``vot.datatype``): lower-case name -> kind, one of ``float``, ``int``, ``bool``, ``str``,
``time`` (dates, carried as text)."""

# The "Data Type" astroquery's get_metadata shows for each kind.
_TYPE_NAMES = MappingProxyType(
    {"str": "string", "float": "float", "int": "integer", "bool": "boolean", "time": "string"}
)


def declared_kind(declared, default=None):
    """
    The kind a MAST type name declares.

    Parameters
    ----------
    declared : str or None
        A type name as MAST spells it (``"string"``, ``"double"``, ``"bigint"``...), any case.
    default : str, optional
        Returned for an empty or unknown name.

    Returns
    -------
    str or None
        ``float``, ``int``, ``bool``, ``str`` or ``time``; ``default`` when unknown.

    Examples
    --------
    >>> declared_kind("Decimal"), declared_kind("bigint"), declared_kind("char")
    ('float', 'int', 'str')
    """
    return DECLARED_KINDS.get(str(declared or "").strip().lower(), default)


def type_name(declared):
    """
    The "Data Type" of ``get_metadata`` for a declared type, spelled as astroquery does.

    Parameters
    ----------
    declared : str or None
        A type name as MAST spells it.

    Returns
    -------
    str
        ``string``, ``float``, ``integer`` or ``boolean``; an unknown name unchanged
        (lower case), as astroquery shows it.

    Examples
    --------
    >>> type_name("double"), type_name("long"), type_name("date")
    ('float', 'integer', 'string')
    """
    kind = declared_kind(declared)
    return _TYPE_NAMES[kind] if kind else str(declared or "").strip().lower()


# MAST spellings that astropy does not read as meant (or at all).
_UNIT_ALIASES = MappingProxyType(
    {
        "mjd": "d",
        "sec": "s",
        "secs": "s",
        "seconds": "s",
        "parsec": "pc",
        "mas/year": "mas/yr",
        "degrees": "deg",
        "degree": "deg",
        "arcsecond": "arcsec",
        "arcseconds": "arcsec",
        "angstroms": "Angstrom",
        "angstrom": "Angstrom",
        "log(cm.s**-2)": "dex(cm / s2)",
        "log(cm/s2)": "dex(cm / s2)",
        "log(cgs)": "dex(cm / s2)",
        "magnitude": "mag",
        "magnitudes": "mag",
        "ab mag": "mag(AB)",
        "abmag": "mag(AB)",
    }
)

SOLAR_DENSITY = u.def_unit(
    "rho_sun", 3 * u.M_sun / (4 * np.pi * u.R_sun**3), doc="the mean density of the Sun"
)
"""The unit of the TIC's ``rho`` ("solar units"), about 1.41 g / cm3."""
u.add_enabled_units([SOLAR_DENSITY])  # so its name reads back (FITS, ECSV, the query cache)

# Spellings whose meaning depends on the column: the TIC says only "solar units" or "cgs".
_BY_COLUMN = MappingProxyType(
    {
        ("solar units", "rad"): u.R_sun,
        ("solar units", "mass"): u.M_sun,
        ("solar units", "lum"): u.L_sun,
        ("solar units", "rho"): SOLAR_DENSITY,
        ("cgs", "logg"): u.dex(u.cm / u.s**2),
    }
)
_ERROR_PREFIX = re.compile(r"^e(neg|pos)?_")
# Spellings that say "no unit" (or describe a text column), not a unit astropy lacks.
_NOT_UNITS = frozenset({"null", "none", "icrs shape"})

# (pattern on the service name, config id) of the CAOM services; catalogs: mastq.registry.
_CONFIG_RULES = (
    (re.compile(r"^Mast\.Caom\.(Cone|Filtered(\.Position)?|Crossmatch)$"), "Mast.Caom.Cone"),
)
_NO_CONFIG = re.compile(r"^Mast\.(Name\.|Bundle\.|Missions\.|Caom\.All$|Catalogs\.All\.)")


def config_id(service):
    """
    Return the columns-config id that describes the columns of ``service``.

    Parameters
    ----------
    service : str
        A MAST service name, e.g. ``"Mast.Caom.Filtered"``.

    Returns
    -------
    str or None
        The config id (``"Mast.Caom.Cone"`` for the CAOM services,
        ``"Mast.Catalogs.Tess.Cone"`` for TIC and CTL...), or None for services
        without column metadata (name lookup, bundles, histograms).

    Examples
    --------
    >>> config_id("Mast.Caom.Filtered.Position")
    'Mast.Caom.Cone'
    """
    if _NO_CONFIG.match(service):
        return None
    for pattern, name in _CONFIG_RULES:
        if pattern.match(service):
            return name
    return registry.config_id_of(service) or service


def parse_unit(spelling):
    """
    Return the astropy unit meant by a MAST unit spelling, or None.

    Parameters
    ----------
    spelling : str or None
        E.g. ``"deg"``, ``"MJD"``, ``"sec"``, ``"mas/year"``.

    Returns
    -------
    astropy.units.UnitBase or None
        None when the spelling is empty or not a unit (``"solar units"``, ``"cgs"``);
        the caller keeps the spelling in the column meta.

    Examples
    --------
    >>> parse_unit("sec"), parse_unit("nm"), parse_unit("MJD")
    (Unit("s"), Unit("nm"), Unit("d"))
    """
    if not isinstance(spelling, str) or not spelling.strip():
        return None
    return _parse_spelling(spelling.strip())


@functools.lru_cache(maxsize=4096)
def _parse_spelling(spelling):
    """`parse_unit` of a stripped spelling, remembered (astropy's parse of a non-unit is slow)."""
    if spelling.lower() in _NOT_UNITS:
        return None
    text = _UNIT_ALIASES.get(spelling.lower(), spelling)
    unit = u.Unit(text, parse_strict="silent")
    return None if isinstance(unit, u.UnrecognizedUnit) else unit


def _column_unit(name, spelling):
    """The unit of a spelling read by column (``solar units``, ``cgs``), or None."""
    if not isinstance(spelling, str):
        return None
    base = _ERROR_PREFIX.sub("", name.lower())  # an error column has its value's unit
    return _BY_COLUMN.get((spelling.strip().lower(), base))


def _unmapped(info):
    """True when a column declares a unit spelling that no unit was found for."""
    spelling = (info.unit_string or "").strip()
    return info.unit is None and bool(spelling) and spelling.lower() not in _NOT_UNITS


@dataclasses.dataclass(frozen=True)
class ColumnInfo:
    """
    What the columns config says about one column.

    Parameters
    ----------
    name : str
        Column name.
    unit : astropy.units.UnitBase or None
        The unit, when the spelling is a unit astropy knows.
    unit_string : str or None
        The spelling MAST gives (``vot.unit`` preferred over ``unit``).
    description, ucd, label, datatype, separator : str or None
        ``vot.description``, ``vot.ucd``, ``text``, ``vot.datatype``, ``separator``.
    ignore_value : object or None
        The null sentinel (``ignoreValue``), when one is declared.
    is_mjd, is_date : bool
        ``isMjd``, ``isDate``.

    Examples
    --------
    >>> info = ColumnInfo.from_entry("t_min", {"vot.unit": "MJD", "isMjd": True,
    ...                                        "vot.description": "Start time"})
    >>> info.unit, info.is_mjd, info.description
    (Unit("d"), True, 'Start time')
    """

    name: str
    unit: object = None
    unit_string: str = None
    description: str = None
    ucd: str = None
    label: str = None
    datatype: str = None
    separator: str = None
    ignore_value: object = None
    is_mjd: bool = False
    is_date: bool = False

    @classmethod
    def from_entry(cls, name, entry):
        """Build from one entry of a raw columns config (a dict)."""
        spelling = entry.get("vot.unit") or entry.get("unit")
        unit = (
            parse_unit(entry.get("vot.unit"))
            or parse_unit(entry.get("unit"))
            or _column_unit(name, spelling)
        )
        return cls(
            name=name,
            unit=unit,
            unit_string=spelling,
            description=entry.get("vot.description"),
            ucd=entry.get("vot.ucd"),
            label=entry.get("text"),
            datatype=entry.get("vot.datatype"),
            separator=entry.get("separator"),
            ignore_value=entry.get("ignoreValue"),
            is_mjd=bool(entry.get("isMjd")),
            is_date=bool(entry.get("isDate")),
        )


class ColumnsConfig(Mapping):
    """
    A service's column metadata: a read-only mapping column name -> `ColumnInfo`.

    Parameters
    ----------
    entries : dict
        The raw columnsconfig answer (column name -> dict of properties).
    config_id : str, optional
        The id it was fetched under.

    Attributes
    ----------
    entries : mappingproxy
        The raw entries, read-only (what criteria and ``get_metadata`` read).
    unmapped : tuple of (str, str)
        ``(column, spelling)`` of each unit spelling no astropy unit was found for.

    Examples
    --------
    >>> config = ColumnsConfig({"s_ra": {"vot.unit": "deg", "vot.description": "RA",
    ...                                  "vot.datatype": "double"}})
    >>> config["s_ra"].unit, config["s_ra"].description, list(config)
    (Unit("deg"), 'RA', ['s_ra'])
    """

    def __init__(self, entries, *, config_id=None):
        self.config_id = config_id
        self.entries = MappingProxyType(dict(entries))
        self._info = {
            name: ColumnInfo.from_entry(name, entry)
            for name, entry in entries.items()
            if isinstance(entry, Mapping)
        }
        self.unmapped = tuple(
            (name, info.unit_string) for name, info in self._info.items() if _unmapped(info)
        )
        self._warned = threading.Event()

    def warn_unmapped(self):
        """
        Warn, once per config, of the unit spellings no astropy unit was found for.

        Their columns carry no unit; the spelling stays in the column's
        ``meta["mast_unit"]``.  Issues an `astropy.units.UnitsWarning`.
        """
        if not self.unmapped or self._warned.is_set():
            return
        self._warned.set()
        listed = ", ".join(f"{name} ({spelling!r})" for name, spelling in self.unmapped)
        warn_user(
            f"columns config {self.config_id!r}: no unit known for {listed}; their "
            f"spelling is kept in the column's meta['mast_unit']",
            u.UnitsWarning,
        )

    @classmethod
    def from_json(cls, body, *, config_id=None):
        """
        Parse a raw columnsconfig answer.

        Parameters
        ----------
        body : bytes or str or dict
            The answer body, or the already decoded object.
        config_id : str, optional
            The id it was fetched under.

        Returns
        -------
        ColumnsConfig

        Raises
        ------
        mastq.exceptions.ProtocolError
            If the body is not a JSON object.
        """
        if not isinstance(body, Mapping):
            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise ProtocolError(
                    f"columns config {config_id!r} is not JSON: {exc}", service=config_id, cause=exc
                ) from exc
        if not isinstance(body, Mapping):
            raise ProtocolError(
                f"columns config {config_id!r} must be a JSON object, got {type(body).__name__}",
                service=config_id,
            )
        return cls(body, config_id=config_id)

    def __getitem__(self, name):
        return self._info[name]

    def __iter__(self):
        return iter(self._info)

    def __len__(self):
        return len(self._info)


class ConfigStore:
    """
    Thread-safe store of fetched columns configs, one fetch per key.

    Two threads asking for the same key at once share one fetch; a failed fetch
    is not kept, so the next call tries again.

    Examples
    --------
    >>> store = ConfigStore()
    >>> calls = []
    >>> def fetch():
    ...     calls.append(1)
    ...     return ColumnsConfig({"s_ra": {"vot.unit": "deg"}})
    >>> key = ("https://mast.stsci.edu", "Mast.Caom.Cone")
    >>> store.get(key, fetch) is store.get(key, fetch)
    True
    >>> len(calls)
    1
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._futures = {}

    def get(self, key, fetch):
        """
        Return the config stored under ``key``, calling ``fetch()`` the first time.

        Parameters
        ----------
        key : hashable
            E.g. ``(server, config_id)``.
        fetch : callable
            Returns the `ColumnsConfig`; called at most once per key at a time.

        Returns
        -------
        ColumnsConfig
        """
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if owner:
                future = self._futures[key] = Future()
        if not owner:
            return future.result()
        try:
            future.set_result(fetch())
        except BaseException as exc:
            with self._lock:
                self._futures.pop(key, None)
            future.set_exception(exc)
            raise
        return future.result()

    def clear(self):
        """Forget every stored config."""
        with self._lock:
            self._futures.clear()
