"""
The free-form string columns of CAOM observations, built vectorized for chosen rows.

``obs_id`` follows each mission's real style (``J00A1BC3Q`` for HST,
``jw01234-o001_t001_nircam_clear-f200w`` for JWST, ``tess2018206045859-s0001-...-s`` for
TESS...) and hides the row index, so that a product file name leads back to its
observation (`row_of_obs_id`).  ``s_region`` is an STC-S polygon or circle around
``(s_ra, s_dec)``; ``jpegURL``/``dataURL`` are null where the real archive leaves them null.
"""

import datetime
import re

import numpy as np

from mastq.emulator.caom.missions import MISSIONS, SETUPS
from mastq.emulator.caom.textcols import (
    base36,
    compose,
    const,
    decimal,
    fixed,
    hash_int,
    hash_uniform,
    ustr,
)

__all__ = ["build", "row_of_obs_id", "lower", "DATA_SUFFIX", "MISSION_NAMES"]

MISSION_NAMES = [m.name for m in MISSIONS]
DATA_SUFFIX = {
    "JWST": "i2d.fits",
    "TESS": "lc.fits",
    "Kepler": "llc.fits",
    "K2": "llc.fits",
    "IUE": "mxlo.fits",
    "SPITZER_SHA": "bcd.fits",
}
"""Product (after ``<obs_id>_``) that ``dataURL`` points to, per mission."""

S_CHARS, S_ROTATION, S_PROPOSAL = 40, 41, 42
_HST_LETTER = {"WFPC2": "U", "ACS": "J", "WFC3": "I", "STIS": "O", "COS": "L"}
_SETUP_LETTER = np.array([_HST_LETTER.get(s.instrument.split("/")[0], "X") for s in SETUPS])
_JWST_TAIL = np.array(
    [
        f"_{s.instrument.split('/')[0].lower()}_"
        + (
            "clear-"
            if s.filters.startswith("F2") and "NIRCAM" in s.instrument or s.filters.startswith("F4")
            else ""
        )
        + s.filters.lower().replace(";", "-")
        for s in SETUPS
    ]
)
_SETUP_FILTER = np.array([s.filters for s in SETUPS])
_SETUP_CAMERA = np.array([s.instrument.lower() for s in SETUPS])
_SETUP_CIRCLE = np.array([s.footprint[0] == "C" for s in SETUPS])
_SETUP_SIZE = np.array([float(s.footprint[1]) for s in SETUPS])
_SETUP_RADIUS_TEXT = np.array([f"{s.footprint[1]:g}" for s in SETUPS])
_GALEX_BASE = 6_370_000_000_000_000_000
_CORNER_X = np.array([-1, 1, 1, -1, -1])  # the corners of a footprint, closed
_CORNER_Y = np.array([1, 1, -1, -1, 1])


def _tess_dates():
    start = datetime.datetime(1858, 11, 17)
    dates = []
    for sector in range(121):
        moment = start + datetime.timedelta(days=58324.8 + 27.4 * (sector - 1))
        dates.append(moment.strftime("%Y%j%H%M%S"))
    return np.array(dates)


_TESS_DATES = _tess_dates()


def lower(matrix):
    """Lower-case the ASCII letters of a code matrix."""
    return np.where((matrix >= 65) & (matrix <= 90), matrix + 32, matrix)


def _obs_id_hst(obs, rows, h):
    n = len(rows)
    letter = ustr(_SETUP_LETTER[obs.setup[rows]])
    suffix = np.array([ord(c) for c in "QRSTM"], np.uint32)[(h % np.uint64(5)).astype(int)]
    return [
        letter,
        base36(rows, 5),
        base36((h >> np.uint64(8)) % np.uint64(1296), 2),
        suffix.reshape(n, 1),
    ]


def _obs_id_jwst(obs, rows, h):
    n = len(rows)
    return [
        const("jw", n),
        decimal(1000 + rows // 1000, 5),
        const("-o", n),
        decimal(rows % 1000, 3),
        const("_t", n),
        decimal(h % np.uint64(1000), 3),
        ustr(_JWST_TAIL[obs.setup[rows]]),
    ]


def _obs_id_tess(obs, rows, h):
    n = len(rows)
    sector = obs.sequence_number[rows].astype(np.int64)
    return [
        const("tess", n),
        ustr(_TESS_DATES[sector]),
        const("-s", n),
        decimal(sector, 4),
        const("-", n),
        decimal(10_000_000 + rows, 16),
        const("-0120-s", n),
    ]


def _obs_id_kepler(obs, rows, h):
    n = len(rows)
    bits = ((h[:, None] >> np.arange(18, dtype=np.uint64)) & np.uint64(1)).astype(np.uint32)
    return [const("kplr", n), decimal(1_000_000 + rows, 9), const("_lc_Q", n), bits + 48]


def _obs_id_k2(obs, rows, h):
    n = len(rows)
    campaign = obs.sequence_number[rows].astype(np.int64)
    return [
        const("ktwo", n),
        decimal(200_000_000 + rows, 9),
        const("-c", n),
        decimal(campaign, 2),
        const("_lc", n),
    ]


def _obs_id_galex(obs, rows, h):
    value = _GALEX_BASE + rows * 4096 + (h % np.uint64(4096)).astype(np.int64)
    return [decimal(value, 19)]


def _obs_id_ps1(obs, rows, h):
    n = len(rows)
    return [
        const("rings.v3.skycell.", n),
        decimal(1000 + rows // 1000, 4),
        const(".", n),
        decimal(rows % 1000, 3),
        const(".stk.", n),
        ustr(_SETUP_FILTER[obs.setup[rows]]),
    ]


def _obs_id_swift(obs, rows, h):
    return [decimal(rows, 8), decimal(1 + h % np.uint64(20), 3)]


def _obs_id_iue(obs, rows, h):
    return [ustr(_SETUP_CAMERA[obs.setup[rows]]), decimal(rows, 7)]


def _obs_id_spitzer(obs, rows, h):
    return [const("r", len(rows)), decimal(10_000_000 + rows, 8)]


_OBS_ID = dict(
    zip(
        MISSION_NAMES,
        (
            _obs_id_hst,
            _obs_id_jwst,
            _obs_id_tess,
            _obs_id_kepler,
            _obs_id_k2,
            _obs_id_galex,
            _obs_id_ps1,
            _obs_id_swift,
            _obs_id_iue,
            _obs_id_spitzer,
        ),
        strict=True,
    )
)

_DECODE = {
    "HST": (r"[UJIOL]([0-9A-Z]{5})[0-9A-Z]{2}[A-Z]", lambda g: int(g[0], 36)),
    "JWST": (
        r"jw(\d{5})-o(\d{3})_t\d{3}_[a-z0-9_\-]+",
        lambda g: (int(g[0]) - 1000) * 1000 + int(g[1]),
    ),
    "TESS": (r"tess\d{13}-s\d{4}-(\d{16})-0120-s", lambda g: int(g[0]) - 10_000_000),
    "Kepler": (r"kplr(\d{9})_lc_Q[01]{18}", lambda g: int(g[0]) - 1_000_000),
    "K2": (r"ktwo(\d{9})-c\d{2}_lc", lambda g: int(g[0]) - 200_000_000),
    "GALEX": (r"(\d{19})", lambda g: (int(g[0]) - _GALEX_BASE) // 4096),
    "PS1": (
        r"rings\.v3\.skycell\.(\d{4})\.(\d{3})\.stk\.[grizy]",
        lambda g: (int(g[0]) - 1000) * 1000 + int(g[1]),
    ),
    "SWIFT": (r"(\d{8})\d{3}", lambda g: int(g[0])),
    "IUE": (r"(?:swp|lwp|lwr)(\d{7})", lambda g: int(g[0])),
    "SPITZER_SHA": (r"r(\d{8})", lambda g: int(g[0]) - 10_000_000),
}


def row_of_obs_id(obs, mission, obs_id):
    """
    The row whose ``obs_id`` is this one (case-insensitive), or None.

    Parameters
    ----------
    obs : mastq.emulator.caom.observations.Observations
        The observations.
    mission : str
        The mission (``obs_collection``) the id belongs to.
    obs_id : str
        The observation id.

    Returns
    -------
    int or None
    """
    if mission not in _DECODE:
        return None
    pattern, decode = _DECODE[mission]
    match = re.fullmatch(pattern, obs_id, re.IGNORECASE)
    if match is None:
        return None
    row = decode(match.groups())
    if not 0 <= row < obs.nrows or MISSION_NAMES[obs.mission[row]] != mission:
        return None
    rows = np.array([row])
    if str(build("obs_id", obs, rows)[0]).lower() != obs_id.lower():
        return None
    return row


def _obs_id_parts(obs, mission, rows):
    return _OBS_ID[mission](obs, rows, hash_int(obs.seed, rows, S_CHARS))


def _proposal_id(obs, mission, rows):
    n, h = len(rows), hash_int(obs.seed, rows, S_PROPOSAL)
    if mission == "HST":
        return [ustr((1000 + h % np.uint64(16000)).astype(np.int64).astype(str))]
    if mission == "JWST":
        return [ustr((1000 + rows // 1000).astype(str))]
    if mission == "TESS":
        return [const("G0", n), decimal(1 + h % np.uint64(7), 1), decimal(h >> np.uint64(9), 3)]
    if mission == "K2":
        return [const("GO", n), decimal(1000 + h % np.uint64(9000), 4)]
    if mission == "SWIFT":
        return [decimal(rows, 8)]
    if mission == "IUE":
        return [const("OD", n), decimal(10 + h % np.uint64(90), 2), const("A", n)]
    if mission == "SPITZER_SHA":
        return [decimal(10000 + h % np.uint64(90000), 5)]
    return None


def _s_region(obs, mission, rows):
    n, setup = len(rows), obs.setup[rows]
    ra, dec = obs.s_ra[rows], obs.s_dec[rows]
    if _SETUP_CIRCLE[setup[0]]:
        return [
            const("CIRCLE ICRS ", n),
            fixed(ra, 12, 8),
            const(" ", n),
            fixed(dec, 12, 8),
            const(" ", n),
            ustr(_SETUP_RADIUS_TEXT[setup]),
        ]
    size = _SETUP_SIZE[setup][:, None]
    angle = 2 * np.pi * hash_uniform(obs.seed, rows, S_ROTATION)
    cos_angle, sin_angle = np.cos(angle)[:, None], np.sin(angle)[:, None]
    cos_dec = np.maximum(np.cos(np.deg2rad(dec)), 0.01)[:, None]
    dx = size * (_CORNER_X * cos_angle - _CORNER_Y * sin_angle)
    dy = size * (_CORNER_X * sin_angle + _CORNER_Y * cos_angle)
    corners = np.empty((n, len(_CORNER_X), 2))
    corners[:, :, 0] = (ra[:, None] + dx / cos_dec) % 360.0
    corners[:, :, 1] = np.clip(dec[:, None] + dy, -90.0, 90.0)
    numbers = fixed(corners.ravel(), 12, 8).reshape(n, corners.shape[1] * 2, 12)
    spaced = np.concatenate(
        [np.broadcast_to(np.uint32(ord(" ")), numbers.shape[:2] + (1,)), numbers], axis=2
    )
    return [const("POLYGON ICRS", n), spaced.reshape(n, -1)]


def _jpeg_url(obs, mission, rows):
    n, obs_id = len(rows), compose(_obs_id_parts(obs, mission, rows))
    obs_id = ustr(obs_id)
    if mission == "HST":
        return [
            const("https://archive.stsci.edu/hst/previews/", n),
            obs_id[:, :4],
            const("/", n),
            obs_id,
            const(".jpg", n),
        ]
    if mission == "GALEX":
        return [
            const("http://galex.stsci.edu/data/GR6/pipe/qa/", n),
            obs_id,
            const("-xd-int_2color.jpg", n),
        ]
    if mission == "JWST":
        return [const("mast:JWST/product/", n), obs_id, const("_i2d.jpg", n)]
    return None


def _data_url(obs, mission, rows):
    if mission not in DATA_SUFFIX:
        return None
    n, obs_id = len(rows), lower(ustr(compose(_obs_id_parts(obs, mission, rows))))
    return [const(f"mast:{mission}/product/", n), obs_id, const(f"_{DATA_SUFFIX[mission]}", n)]


_BUILDERS = {
    "obs_id": _obs_id_parts,
    "proposal_id": _proposal_id,
    "s_region": _s_region,
    "jpegURL": _jpeg_url,
    "dataURL": _data_url,
}


def _groups(obs, rows):
    """Split rows by mission (and, for s_region, by footprint shape)."""
    key = obs.mission[rows].astype(np.int64) * 2 + _SETUP_CIRCLE[obs.setup[rows]]
    for value in np.unique(key):
        where = np.flatnonzero(key == value)
        yield MISSION_NAMES[value // 2], where


def build(name, obs, rows):
    """
    A free-form string column for the rows ``rows``.

    Parameters
    ----------
    name : str
        ``obs_id``, ``proposal_id``, ``s_region``, ``jpegURL`` or ``dataURL``.
    obs : mastq.emulator.caom.observations.Observations
        The observations.
    rows : numpy.ndarray of int
        Row indices.

    Returns
    -------
    numpy.ma.MaskedArray of str
        Masked where the value is null.
    """
    builder = _BUILDERS[name]
    pieces, width = [], 1
    for mission, where in _groups(obs, rows):
        parts = builder(obs, mission, rows[where])
        if parts is not None:
            text = compose(parts)
            width = max(width, text.dtype.itemsize // 4)
            pieces.append((where, text))
    codes = np.zeros((len(rows), width), dtype=np.uint32)
    mask = np.ones(len(rows), dtype=bool)
    for where, text in pieces:
        codes[where, : text.dtype.itemsize // 4] = text.view(np.uint32).reshape(len(text), -1)
        mask[where] = False
    return np.ma.masked_array(codes.view(f"<U{width}").reshape(len(rows)), mask=mask)
