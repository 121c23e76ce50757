"""
The CAOM observations of the sample archive, held column-wise.

Every row is a pure function of ``(seed, row index)``: each attribute is drawn from a
counter-based hash of (seed, index, attribute), so the first rows of a large archive are
the rows of a small one, and any slice can be rebuilt without the others.  Numeric query
columns (``s_ra``, ``t_min``...) and small-integer codes of the categorical strings are
held as whole numpy arrays; the other strings (``obs_id``, ``s_region``, URLs...) are only
made, vectorized, for the rows a query returns (see `mastq.emulator.caom.caomtext`).
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mastq.emulator.caom import caomtext
from mastq.emulator.caom.missions import MISSIONS, SETUPS, setup_table
from mastq.emulator.caom.textcols import hash_int, hash_uniform
from mastq.emulator.caom.vocab import (
    CLASSIFICATIONS,
    DATA_RIGHTS,
    EXCLUSIVE_ACCESS,
    INTENTS,
    PIS,
    POOL_SIZE,
    PROPOSAL_TYPES,
    PROVENANCES,
    PUBLIC,
    RESTRICTED,
    TARGETS,
    TITLES,
    pool_offset,
)
from mastq.emulator.model import Field
from mastq.emulator.services.filters import Categorical
from mastq.emulator.services.names import OBJECTS

__all__ = [
    "Observations",
    "DenseField",
    "OBSERVATION_FIELDS",
    "CONE_FIELDS",
    "FILTERED_FIELDS",
    "POSITION_FIELDS",
    "SEPARATORS",
    "OBSID_BASE",
    "OBSERVATIONS_PER_SCALE",
]

OBSERVATIONS_PER_SCALE = 30000
OBSID_BASE = 2_000_000_000
_BIG_OBJID_BASE = 2**53 + 1  # odd ids above 2**53 are not representable as float64
_SMALL_OBJID_BASE = 2_010_000_000

(
    S_SETUP,
    S_CLUSTER,
    S_TARGET,
    S_RADIUS,
    S_ANGLE,
    S_TIME,
    S_EXPOSURE,
    S_CALIB,
    S_EMNULL,
    S_PROPRIETARY,
    S_PI,
    S_CLASS,
    S_POOL,
    S_TITLE,
    S_BIGID,
    S_OBSID,
    S_RELEASE,
    S_INTENT,
    S_PROPOSAL_TYPE,
    S_MOVING,
    S_SOURCES,
    S_RIGHTS,
) = range(1, 23)


def _fields(spec):
    return tuple(Field(name, kind) for name, kind in (item.split(":") for item in spec.split()))


OBSERVATION_FIELDS = _fields(
    "intentType:string obs_collection:string provenance_name:string instrument_name:string "
    "project:string filters:string wavelength_region:string target_name:string "
    "target_classification:string obs_id:string s_ra:float s_dec:float "
    "dataproduct_type:string proposal_pi:string calib_level:int t_min:float t_max:float "
    "t_exptime:float em_min:float em_max:float obs_title:string t_obs_release:float "
    "proposal_id:string proposal_type:string sequence_number:int s_region:string "
    "jpegURL:string dataURL:string dataRights:string mtFlag:boolean srcDen:float "
    "obsid:string objID:string"
)
"""The 33 columns of a CAOM observation as today's MAST declares them, in the order of
``Mast.Caom.Cone`` (ids typed ``string`` but sent as JSON numbers)."""

_DECLARED = {
    f.name: f
    for f in OBSERVATION_FIELDS + _fields("objID1:string distance:float _selected_:boolean")
}


def _ordered(names):
    return tuple(_DECLARED[name] for name in names.split())


CONE_FIELDS = OBSERVATION_FIELDS + _ordered("distance _selected_")
"""Fields of ``Mast.Caom.Cone``: today's 33, ``distance``, then the portal's ``_selected_``
(always null; astroquery drops it, which is why printed tables never show it)."""

FILTERED_FIELDS = _ordered(
    "dataproduct_type calib_level obs_collection obs_id target_name s_ra s_dec t_min t_max "
    "t_exptime wavelength_region filters em_min em_max target_classification obs_title "
    "t_obs_release instrument_name proposal_pi proposal_id proposal_type project "
    "sequence_number provenance_name s_region jpegURL dataURL dataRights mtFlag srcDen "
    "intentType obsid objID"
)
"""Fields of ``Mast.Caom.Filtered``.  Today's MAST prints this service's columns starting
``dataproduct_type, calib_level, obs_collection`` and ending ``intentType, obsid, objID``;
the middle keeps the order of the recorded ``advSearch.json``, with each newer column set
next to its kin (``proposal_type`` after ``proposal_id``, ``sequence_number`` and
``provenance_name`` after ``project``) and the access columns (``dataRights, mtFlag,
srcDen``) after the URLs, as in the cone order."""

POSITION_FIELDS = FILTERED_FIELDS + _ordered("objID1 distance")
"""Fields of ``Mast.Caom.Filtered.Position``: the Filtered ones, ``objID1``, ``distance``."""

SEPARATORS = {
    name: ";"
    for name in (
        "obs_collection",
        "project",
        "filters",
        "wavelength_region",
        "target_classification",
    )
}
"""Default separators of the multi-valued CAOM columns (from the columns config)."""

_TABLE = setup_table()
_SETUP_STRINGS = {
    "obs_collection": np.array([s.mission for s in SETUPS]),
    "instrument_name": np.array([s.instrument for s in SETUPS]),
    "project": np.array([s.project for s in SETUPS]),
    "filters": np.array([s.filters for s in SETUPS]),
    "wavelength_region": np.array([s.region for s in SETUPS]),
    "dataproduct_type": np.array([s.dptype for s in SETUPS]),
}
_CODED = {
    "target_name": ("target", TARGETS),
    "target_classification": ("cls", CLASSIFICATIONS),
    "proposal_pi": ("pi", PIS),
    "obs_title": ("title", TITLES),
    "intentType": ("intent", INTENTS),
    "proposal_type": ("proposal_type", PROPOSAL_TYPES),
    "provenance_name": ("provenance", PROVENANCES),
    "dataRights": ("rights", DATA_RIGHTS),
}
_OBJ_RA = np.array([o.ra for o in OBJECTS])
_OBJ_DEC = np.array([o.dec for o in OBJECTS])
_OBJ_CLASS = np.searchsorted(CLASSIFICATIONS, [o.classification for o in OBJECTS])
_HAS_PI = np.array([m.has_pi for m in MISSIONS])
_PROVENANCE = np.searchsorted(PROVENANCES, [s.provenance or "" for s in SETUPS])
_PROVENANCE = np.where([s.provenance is None for s in SETUPS], -1, _PROVENANCE).astype(np.int8)
_CALIBRATION = np.array([m.calibration for m in MISSIONS])
_MOVING = np.array([m.moving for m in MISSIONS])
_CATALOGUED = np.array([m.catalogued for m in MISSIONS])
_RESTRICTED_SHARE = 0.15  # of the observations not yet public


def _offsets(ra0, dec0, r, theta):
    """Positions (degrees) at angular distance ``r`` and position angle ``theta`` (radians)."""
    d0 = np.deg2rad(dec0)
    sin_dec = np.sin(d0) * np.cos(r) + np.cos(d0) * np.sin(r) * np.cos(theta)
    dra = np.arctan2(np.sin(theta) * np.sin(r) * np.cos(d0), np.cos(r) - np.sin(d0) * sin_dec)
    return ra0 + np.rad2deg(dra), np.rad2deg(np.arcsin(np.clip(sin_dec, -1, 1)))


def _dense_positions(seed, index, ra, dec, dense):
    """Rows from ``dense.first`` on moved uniformly into the dense field's disc."""
    rows = np.flatnonzero(index >= dense.first)
    if not len(rows):
        return ra, dec
    u_r, u_t = (hash_uniform(seed, index[rows], s) for s in (S_RADIUS, S_ANGLE))
    r = np.arccos(1 - u_r * (1 - np.cos(np.deg2rad(dense.radius))))  # uniform on the sphere
    ra, dec = ra.copy(), dec.copy()
    ra[rows], dec[rows] = _offsets(dense.ra, dense.dec, r, 2 * np.pi * u_t)
    return ra, dec


def _positions(seed, index, mission, dense=None):
    """
    Sky positions: half the rows within 0.5 deg of a named object, half uniform; with a
    `DenseField`, its rows uniform within its disc.
    """
    u = {s: hash_uniform(seed, index, s) for s in (S_CLUSTER, S_TARGET, S_RADIUS, S_ANGLE)}
    clustered = u[S_CLUSTER] < 0.5
    obj = np.minimum((u[S_TARGET] * len(OBJECTS)).astype(np.int64), len(OBJECTS) - 1)
    ra_c, dec_c = _offsets(
        _OBJ_RA[obj], _OBJ_DEC[obj], np.deg2rad(0.5 * u[S_RADIUS] ** 2), 2 * np.pi * u[S_ANGLE]
    )
    ra = np.where(clustered, ra_c, 360.0 * u[S_RADIUS])
    dec = np.where(clustered, dec_c, np.rad2deg(np.arcsin(2.0 * u[S_ANGLE] - 1.0)))
    if dense is not None:
        clustered &= index < dense.first
        ra, dec = _dense_positions(seed, index, ra, dec, dense)
    pool = pool_offset(mission) + (hash_uniform(seed, index, S_POOL) * POOL_SIZE).astype(int)
    target = np.where(clustered, obj, pool).astype(np.int32)
    cls_random = (hash_uniform(seed, index, S_CLASS) * len(CLASSIFICATIONS)).astype(np.int16)
    cls = np.where(
        clustered,
        _OBJ_CLASS[obj],
        np.where(hash_uniform(seed, index, S_CLASS + 100) < 0.35, cls_random, -1),
    )
    return np.round(ra % 360.0, 9), np.round(dec, 9), target, cls.astype(np.int16)


def _times(seed, index, setup):
    """t_min, t_max, t_exptime and t_obs_release, plus the proprietary flag."""
    tab = _TABLE
    duration = tab["duration"][setup]
    span = tab["era_hi"][setup] - tab["era_lo"][setup] - duration
    t_min = np.round(tab["era_lo"][setup] + span * hash_uniform(seed, index, S_TIME), 5)
    lo, hi = tab["exp_lo"][setup], tab["exp_hi"][setup]
    exptime = np.round(lo * (hi / lo) ** hash_uniform(seed, index, S_EXPOSURE), 1)
    t_max = np.round(t_min + np.where(duration > 0, duration, exptime / 86400.0 * 1.15), 5)
    mission = tab["mission"][setup]
    delay = np.array([m.release_delay for m in MISSIONS])[mission]
    share = np.array([m.proprietary for m in MISSIONS])[mission]
    proprietary = hash_uniform(seed, index, S_PROPRIETARY) < share
    future = 61500.0 + 900.0 * hash_uniform(seed, index, S_RELEASE)
    release = np.round(np.where(proprietary, future, t_max + delay), 5)
    return t_min, t_max, exptime, release, proprietary


def _proposal_types(seed, index, mission, intent):
    """``proposal_type`` codes: drawn from the mission's weights, ``CAL`` for calibration."""
    codes = np.full(len(index), -1, np.int8)
    u = hash_uniform(seed, index, S_PROPOSAL_TYPE)
    for k, m in enumerate(MISSIONS):
        rows = np.flatnonzero(mission == k)
        if not m.proposal_types or not len(rows):
            continue
        names, weights = zip(*m.proposal_types, strict=True)
        cumulative = np.cumsum(weights) / np.sum(weights)
        drawn = np.minimum(np.searchsorted(cumulative, u[rows], side="right"), len(names) - 1)
        codes[rows] = np.searchsorted(PROPOSAL_TYPES, names)[drawn]
    calibration = intent == 1
    codes[calibration & (codes >= 0)] = np.searchsorted(PROPOSAL_TYPES, "CAL")
    return codes


def _sequence_numbers(mission, t_min):
    """TESS sector, Kepler quarter, K2 campaign from ``t_min``; -1 (null) elsewhere."""
    numbers = np.full(len(t_min), -1, np.int16)
    for k, m in enumerate(MISSIONS):
        if m.sequence:
            epoch, period, first, last = m.sequence
            rows = np.flatnonzero(mission == k)
            numbers[rows] = np.clip(first + (t_min[rows] - epoch) // period, first, last)
    return numbers


def _policies(seed, index, mission, setup, proprietary, t_min):
    """
    The columns of today's MAST for every row, as codes or arrays.

    Returns
    -------
    tuple
        ``intentType``, ``proposal_type``, ``provenance_name`` and ``dataRights`` codes (-1
        for null), ``mtFlag`` (bool), ``srcDen`` (NaN for null) and ``sequence_number``
        (-1 for null).
    """
    intent = (hash_uniform(seed, index, S_INTENT) < _CALIBRATION[mission]).astype(np.int8)
    restricted = hash_uniform(seed, index, S_RIGHTS) < _RESTRICTED_SHARE
    rights = np.where(proprietary, np.where(restricted, RESTRICTED, EXCLUSIVE_ACCESS), PUBLIC)
    sources = np.round(10.0 ** (1.0 + 3.5 * hash_uniform(seed, index, S_SOURCES)))
    return (
        intent,
        _proposal_types(seed, index, mission, intent),
        _PROVENANCE[setup],
        rights.astype(np.int8),
        hash_uniform(seed, index, S_MOVING) < _MOVING[mission],
        np.where(_CATALOGUED[mission], sources, np.nan),
        _sequence_numbers(mission, t_min),
    )


@dataclass(frozen=True)
class DenseField:
    """
    A patch of sky crowded with observations (for queries beyond the row limit).

    Parameters
    ----------
    ra, dec, radius : float
        The disc, in degrees.
    first : int
        The first row in it (the rows of the archive from there on).
    """

    ra: float
    dec: float
    radius: float
    first: int


class Observations:
    """
    The CAOM observations of a sample archive.

    Parameters
    ----------
    seed : int
        Seed of every random draw.
    nrows : int
        Number of observations.
    dense : DenseField, optional
        A dense field: the rows from ``dense.first`` on lie in its disc.
    """

    def __init__(self, *, seed, nrows, dense=None):
        self.seed, self.nrows = seed, nrows
        index = np.arange(nrows, dtype=np.int64)
        u = hash_uniform(seed, index, S_SETUP)
        self.setup = np.searchsorted(_TABLE["cumulative"], u, side="right").astype(np.int16)
        self.mission = _TABLE["mission"][self.setup].astype(np.int8)
        self.s_ra, self.s_dec, self.target, self.cls = _positions(seed, index, self.mission, dense)
        (self.t_min, self.t_max, self.t_exptime, self.t_obs_release, self.proprietary) = _times(
            seed, index, self.setup
        )
        em_null = hash_uniform(seed, index, S_EMNULL) < 0.03
        self.em_min = np.where(em_null, np.nan, _TABLE["em_min"][self.setup])
        self.em_max = np.where(em_null, np.nan, _TABLE["em_max"][self.setup])
        calib = (
            1
            + (hash_uniform(seed, index, S_CALIB) > 0.1)
            + (hash_uniform(seed, index, S_CALIB + 100) > 0.4)
        )
        self.calib_level = np.where(self.mission == 0, calib, np.maximum(calib, 2)).astype(np.int8)
        has_pi = _HAS_PI[self.mission]
        self.pi = np.where(
            has_pi, (hash_uniform(seed, index, S_PI) * len(PIS)).astype(np.int16), -1
        ).astype(np.int16)
        self.title = np.where(
            has_pi, (hash_uniform(seed, index, S_TITLE) * len(TITLES)).astype(np.int16), -1
        ).astype(np.int16)
        (
            self.intent,
            self.proposal_type,
            self.provenance,
            self.rights,
            self.mtFlag,
            self.srcDen,
            self.sequence_number,
        ) = _policies(seed, index, self.mission, self.setup, self.proprietary, self.t_min)
        self._lazy = {}
        self._lock = threading.Lock()

    def obsid(self, index):
        """The ``obsid`` of rows (unique, about 2e9)."""
        index = np.asarray(index, dtype=np.int64)
        return (
            OBSID_BASE
            + 3 * index
            + (hash_int(self.seed, index, S_OBSID) % np.uint64(3)).astype(np.int64)
        )

    def row_of_obsid(self, obsid):
        """The row of an ``obsid``, or -1 when no observation has it (array-aware)."""
        obsid = np.asarray(obsid, dtype=np.int64)
        row = (obsid - OBSID_BASE) // 3
        valid = (row >= 0) & (row < self.nrows)
        row = np.where(valid, row, 0)
        return np.where(valid & (self.obsid(row) == obsid), row, -1)

    def objid(self, index):
        """The ``objID`` of rows: unique, one in ten above 2**53."""
        index = np.asarray(index, dtype=np.int64)
        big = hash_uniform(self.seed, index, S_BIGID) < 0.1
        return np.where(big, _BIG_OBJID_BASE + 2 * index, _SMALL_OBJID_BASE + index)

    def numeric(self, name, index):
        """A numeric column for some rows (a masked array where it has nulls)."""
        if name == "obsid":
            return self.obsid(index)
        if name == "objID":
            return self.objid(index)
        values = getattr(self, name)[index]
        if name in ("em_min", "em_max", "srcDen"):
            return np.ma.masked_invalid(values)
        if name == "sequence_number":
            return np.ma.masked_array(values.astype(np.int32), mask=values < 0)
        return values

    def strings(self, name, index):
        """A string column for some rows (masked where null)."""
        if name in _SETUP_STRINGS:
            return _SETUP_STRINGS[name][self.setup[index]]
        if name in _CODED:
            attr, vocab = _CODED[name]
            codes = getattr(self, attr)[index]
            return np.ma.masked_array(vocab[np.maximum(codes, 0)], mask=codes < 0)
        return caomtext.build(name, self, np.asarray(index, dtype=np.int64))

    def column(self, name, index):
        """Any observation column (``objID1`` = ``objID``) for the rows ``index``."""
        if name == "objID1":
            name = "objID"
        if name in _NUMERIC:
            return self.numeric(name, index)
        return self.strings(name, index)

    def filter_columns(self):
        """
        The columns as `mastq.emulator.services.filters.filter_mask` wants them.

        Returns
        -------
        Mapping
            Column name -> whole column; categorical strings as
            `~mastq.emulator.services.filters.Categorical`, other strings built on first use.
        """
        return _FilterColumns(self)

    def whole_strings(self, name):
        """A free-form string column for every row, built once (thread-safe)."""
        with self._lock:
            if name not in self._lazy:
                self._lazy[name] = self.strings(name, np.arange(self.nrows))
            return self._lazy[name]


_NUMERIC = {
    "s_ra",
    "s_dec",
    "calib_level",
    "t_min",
    "t_max",
    "t_exptime",
    "em_min",
    "em_max",
    "t_obs_release",
    "obsid",
    "objID",
    "sequence_number",
    "mtFlag",
    "srcDen",
}


class _FilterColumns(Mapping):
    def __init__(self, obs):
        self._obs = obs
        self._names = [f.name for f in POSITION_FIELDS if f.name != "distance"]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def __getitem__(self, name):
        obs = self._obs
        everything = slice(None)
        if name == "objID1":
            name = "objID"
        if name in _SETUP_STRINGS:
            return Categorical(obs.setup, _SETUP_STRINGS[name])
        if name in _CODED:
            attr, vocab = _CODED[name]
            return Categorical(getattr(obs, attr), vocab)
        if name in ("obsid", "objID"):
            return obs.numeric(name, np.arange(obs.nrows))
        if name in _NUMERIC:
            return obs.numeric(name, everything)
        if name in self._names:
            return obs.whole_strings(name)
        raise KeyError(name)
