"""
What the sample archive observes: missions, and the instrument setups of each.

A *setup* is one (mission, instrument, filter) configuration with its waveband, wavelength
range (nm), product type, processing project, exposure range (s), era (MJD), footprint and
pipeline (``provenance_name``).  The archive draws every observation's setup from this
table; a mission's policies (exclusive access, calibration share, proposal types, moving
targets, source densities) apply to all its setups.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Mission", "Setup", "MISSIONS", "SETUPS", "setup_table"]


@dataclass(frozen=True)
class Mission:
    """A mission (``obs_collection``) and its archive policies."""

    name: str
    weight: float  # share of the observations
    proprietary: float  # share of observations still under exclusive access
    release_delay: float  # days from t_max to t_obs_release for public data
    has_pi: bool  # whether proposal_pi / obs_title are filled
    has_proposal: bool  # whether proposal_id is filled
    calibration: float = 0.0  # share of observations with intentType calibration
    proposal_types: tuple = ()  # (proposal_type, weight) of science proposals; () = null
    moving: float = 0.0  # share of moving-target observations (mtFlag)
    catalogued: bool = False  # whether srcDen (cataloged source density) is known
    sequence: tuple = ()  # (epoch MJD, period d, first, last) of sequence_number


@dataclass(frozen=True)
class Setup:
    """One instrument configuration (see the module docstring)."""

    mission: str
    instrument: str
    filters: str
    region: str
    em_min: float
    em_max: float
    dptype: str
    project: str
    exposure: tuple  # (shortest, longest) seconds
    era: tuple  # (first, last) MJD
    footprint: tuple  # ("P", half side deg) or ("C", radius deg)
    duration: float = 0.0  # days covered by a time series (0: the exposure time)
    weight: float = 1.0
    provenance: object = None  # the pipeline (provenance_name), None where MAST has none


MISSIONS = (
    Mission(
        "HST",
        0.30,
        0.03,
        365.0,
        True,
        True,
        calibration=0.08,
        moving=0.02,
        catalogued=True,
        proposal_types=(("GO", 0.68), ("GTO", 0.12), ("SNAP", 0.1), ("DD", 0.05), ("GO/PAR", 0.05)),
    ),
    Mission(
        "JWST",
        0.08,
        0.12,
        365.0,
        True,
        True,
        calibration=0.06,
        moving=0.03,
        proposal_types=(("GO", 0.7), ("GTO", 0.18), ("ERS", 0.05), ("DD", 0.07)),
    ),
    Mission("TESS", 0.20, 0.0, 30.0, False, True, sequence=(58324.0, 27.4, 1, 120)),
    Mission("Kepler", 0.08, 0.0, 120.0, False, False, sequence=(54953.0, 93.0, 1, 17)),
    Mission("K2", 0.05, 0.0, 90.0, False, True, moving=0.01, sequence=(56725.0, 80.0, 0, 19)),
    Mission("GALEX", 0.10, 0.0, 700.0, False, False, catalogued=True),
    Mission("PS1", 0.08, 0.0, 1200.0, False, False, catalogued=True),
    Mission("SWIFT", 0.05, 0.0, 7.0, True, True, calibration=0.02, moving=0.01),
    Mission("IUE", 0.03, 0.0, 180.0, True, True, calibration=0.05, moving=0.04),
    Mission("SPITZER_SHA", 0.03, 0.0, 365.0, True, True, calibration=0.03),
)

_HST_P = ("P", 0.025)
SETUPS = (
    Setup(
        "HST",
        "WFPC2/WFC",
        "F814W",
        "OPTICAL",
        713.51,
        867.45,
        "image",
        "HST",
        (100, 2600),
        (49330, 54600),
        _HST_P,
        provenance="CALWP2",
    ),
    Setup(
        "HST",
        "WFPC2/PC",
        "F555W",
        "OPTICAL",
        464.0,
        606.0,
        "image",
        "HST",
        (40, 1800),
        (49330, 54600),
        ("P", 0.005),
        provenance="CALWP2",
    ),
    Setup(
        "HST",
        "ACS/WFC",
        "F606W",
        "OPTICAL",
        462.7,
        718.4,
        "image",
        "HST",
        (300, 2400),
        (52334, 60990),
        ("P", 0.028),
        weight=2.0,
        provenance="CALACS",
    ),
    Setup(
        "HST",
        "ACS/WFC",
        "F435W;F658N",
        "OPTICAL",
        359.6,
        486.7,
        "image",
        "HST",
        (300, 2400),
        (52334, 60990),
        ("P", 0.028),
        provenance="CALACS",
    ),
    Setup(
        "HST",
        "WFC3/UVIS",
        "F275W",
        "UV",
        228.0,
        313.0,
        "image",
        "HST",
        (300, 1500),
        (55002, 60990),
        ("P", 0.022),
        provenance="CALWF3",
    ),
    Setup(
        "HST",
        "WFC3/IR",
        "F160W",
        "INFRARED",
        1385.0,
        1700.0,
        "image",
        "HST",
        (200, 1400),
        (55002, 60990),
        ("P", 0.019),
        weight=1.5,
        provenance="CALWF3",
    ),
    Setup(
        "HST",
        "STIS/CCD",
        "G430L",
        "OPTICAL",
        290.0,
        570.0,
        "spectrum",
        "HST",
        (60, 3000),
        (50880, 60990),
        ("P", 0.0007),
        provenance="CALSTIS",
    ),
    Setup(
        "HST",
        "COS/FUV",
        "G130M",
        "UV",
        90.0,
        145.0,
        "spectrum",
        "HST",
        (300, 5000),
        (54977, 60990),
        ("C", 0.000347),
        provenance="CALCOS",
    ),
    Setup(
        "JWST",
        "NIRCAM/IMAGE",
        "F200W",
        "INFRARED",
        1755.0,
        2226.0,
        "image",
        "JWST",
        (200, 3000),
        (59762, 60990),
        ("P", 0.035),
        weight=2.0,
        provenance="CALJWST",
    ),
    Setup(
        "JWST",
        "NIRCAM/IMAGE",
        "F444W",
        "INFRARED",
        3880.0,
        4986.0,
        "image",
        "JWST",
        (200, 3000),
        (59762, 60990),
        ("P", 0.035),
        provenance="CALJWST",
    ),
    Setup(
        "JWST",
        "MIRI/IMAGE",
        "F770W",
        "INFRARED",
        6580.0,
        8740.0,
        "image",
        "JWST",
        (100, 2000),
        (59762, 60990),
        ("P", 0.021),
        provenance="CALJWST",
    ),
    Setup(
        "JWST",
        "NIRSPEC/IFU",
        "F290LP;G395H",
        "INFRARED",
        2870.0,
        5270.0,
        "cube",
        "JWST",
        (500, 8000),
        (59762, 60990),
        ("P", 0.0005),
        provenance="CALJWST",
    ),
    Setup(
        "JWST",
        "NIRISS/SOSS",
        "CLEAR;GR700XD",
        "INFRARED",
        600.0,
        2800.0,
        "timeseries",
        "JWST",
        (3000, 30000),
        (59762, 60990),
        ("P", 0.001),
        provenance="CALJWST",
    ),
    Setup(
        "TESS",
        "Photometer",
        "TESS",
        "OPTICAL",
        600.0,
        1000.0,
        "timeseries",
        "TESS",
        (1900000, 2200000),
        (58324, 60990),
        ("P", 0.0293),
        duration=27.4,
        weight=4.0,
        provenance="SPOC",
    ),
    Setup(
        "TESS",
        "Photometer",
        "TESS",
        "OPTICAL",
        600.0,
        1000.0,
        "timeseries",
        "TESS",
        (1600000, 2000000),
        (59035, 60990),
        ("P", 0.0293),
        duration=25.0,
        provenance="TESS-SPOC",
    ),
    Setup(
        "Kepler",
        "Kepler",
        "KEPLER",
        "OPTICAL",
        420.0,
        900.0,
        "timeseries",
        "Kepler",
        (1400000, 8000000),
        (54953, 56424),
        ("P", 0.0011),
        duration=93.0,
    ),
    Setup(
        "K2",
        "Kepler",
        "KEPLER",
        "OPTICAL",
        420.0,
        900.0,
        "timeseries",
        "K2",
        (4000000, 7000000),
        (56725, 58420),
        ("P", 0.0011),
        duration=80.0,
    ),
    Setup(
        "GALEX",
        "GALEX",
        "NUV",
        "UV",
        169.3,
        300.7,
        "image",
        "AIS",
        (80, 300),
        (52760, 56400),
        ("C", 0.625),
        weight=2.0,
    ),
    Setup(
        "GALEX",
        "GALEX",
        "FUV",
        "UV",
        134.0,
        180.6,
        "image",
        "AIS",
        (80, 300),
        (52760, 56400),
        ("C", 0.625),
    ),
    Setup(
        "GALEX",
        "GALEX",
        "NUV",
        "UV",
        169.3,
        300.7,
        "image",
        "MIS",
        (1000, 3000),
        (52760, 56400),
        ("C", 0.625),
    ),
    Setup(
        "PS1",
        "GPC1",
        "g",
        "OPTICAL",
        394.0,
        551.0,
        "image",
        "3PI",
        (40, 1500),
        (55197, 56658),
        ("P", 0.2),
    ),
    Setup(
        "PS1",
        "GPC1",
        "r",
        "OPTICAL",
        539.0,
        704.0,
        "image",
        "3PI",
        (40, 1500),
        (55197, 56658),
        ("P", 0.2),
    ),
    Setup(
        "PS1",
        "GPC1",
        "i",
        "OPTICAL",
        678.0,
        830.0,
        "image",
        "3PI",
        (40, 1500),
        (55197, 56658),
        ("P", 0.2),
    ),
    Setup(
        "PS1",
        "GPC1",
        "z",
        "OPTICAL",
        803.0,
        935.0,
        "image",
        "3PI",
        (30, 1000),
        (55197, 56658),
        ("P", 0.2),
    ),
    Setup(
        "PS1",
        "GPC1",
        "y",
        "INFRARED",
        910.0,
        1084.0,
        "image",
        "3PI",
        (30, 1000),
        (55197, 56658),
        ("P", 0.2),
    ),
    Setup(
        "SWIFT",
        "UVOT",
        "UVW1",
        "UV",
        220.0,
        330.0,
        "image",
        "SWIFT",
        (50, 2000),
        (53370, 60990),
        ("P", 0.14),
    ),
    Setup(
        "SWIFT",
        "UVOT",
        "UVW2",
        "UV",
        160.0,
        260.0,
        "image",
        "SWIFT",
        (50, 2000),
        (53370, 60990),
        ("P", 0.14),
    ),
    Setup(
        "SWIFT",
        "UVOT",
        "V",
        "OPTICAL",
        500.0,
        600.0,
        "image",
        "SWIFT",
        (20, 1000),
        (53370, 60990),
        ("P", 0.14),
    ),
    Setup(
        "IUE",
        "SWP",
        "LOW DISP",
        "UV",
        115.0,
        198.0,
        "spectrum",
        "IUE",
        (60, 14000),
        (43550, 50080),
        ("C", 0.0028),
        weight=2.0,
    ),
    Setup(
        "IUE",
        "LWP",
        "LOW DISP",
        "UV",
        185.0,
        335.0,
        "spectrum",
        "IUE",
        (60, 14000),
        (44750, 50080),
        ("C", 0.0028),
    ),
    Setup(
        "IUE",
        "LWR",
        "HIGH DISP",
        "UV",
        185.0,
        335.0,
        "spectrum",
        "IUE",
        (300, 20000),
        (43550, 47500),
        ("C", 0.0028),
    ),
    Setup(
        "SPITZER_SHA",
        "IRAC",
        "IRAC1",
        "INFRARED",
        3180.0,
        3940.0,
        "image",
        "SHA",
        (10, 500),
        (52970, 58870),
        ("P", 0.043),
        weight=2.0,
    ),
    Setup(
        "SPITZER_SHA",
        "MIPS",
        "MIPS24",
        "INFRARED",
        20800.0,
        26100.0,
        "image",
        "SHA",
        (10, 500),
        (52970, 54880),
        ("P", 0.04),
    ),
)


def setup_table():
    """
    The setups as numpy arrays, for vectorized generation.

    Returns
    -------
    dict
        ``cumulative`` (probability of drawing a setup index at or below each entry),
        ``mission`` (mission index of each setup) and one array per `Setup` attribute
        (``exp_lo``, ``exp_hi``, ``era_lo``, ``era_hi``, ``em_min``, ``em_max``,
        ``duration``, ``circle``, ``size``).
    """
    names = [m.name for m in MISSIONS]
    mission = np.array([names.index(s.mission) for s in SETUPS])
    share = np.array([s.weight for s in SETUPS], dtype=float)
    for k, m in enumerate(MISSIONS):
        share[mission == k] *= m.weight / share[mission == k].sum()
    cumulative = np.cumsum(share)
    cumulative /= cumulative[-1]

    def column(get, dtype=float):
        return np.array([get(s) for s in SETUPS], dtype=dtype)

    return {
        "cumulative": cumulative,
        "mission": mission,
        "exp_lo": column(lambda s: s.exposure[0]),
        "exp_hi": column(lambda s: s.exposure[1]),
        "era_lo": column(lambda s: s.era[0]),
        "era_hi": column(lambda s: s.era[1]),
        "em_min": column(lambda s: s.em_min),
        "em_max": column(lambda s: s.em_max),
        "duration": column(lambda s: s.duration),
        "circle": column(lambda s: s.footprint[0] == "C", bool),
        "size": column(lambda s: s.footprint[1]),
    }
