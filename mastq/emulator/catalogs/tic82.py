"""
The columns the TIC 8.2 release added to the 89 of the older recording (``tic.json``).

Today's ``Mast.Catalogs.Tess.Cone`` / ``Filtered.Tic`` answers carry 125 fields: the
recorded 89 with these 36 between ``priority`` and ``objID`` (see
``mast-reference/CURRENT-FIELDS.md``): asymmetric errors ``eneg_*`` / ``epos_*`` of the
stellar parameters, their provenance flags, Gaia BP/RP, original positions and the
white-dwarf and radius flags.  Values derive from the columns already drawn, so they agree
with them (``eneg_Mass <= e_mass <= epos_Mass``-like spreads, null where the symmetric
error is null).
"""

import numpy as np

from mastq.emulator.catalogs.tic_draw import categorical, fmask

__all__ = ["TIC82_SPEC", "tic82_columns", "tic82_config"]

TIC82_SPEC = """
eneg_EBV:float epos_EBV:float EBVflag:string eneg_Mass:float epos_Mass:float eneg_Rad:float
epos_Rad:float eneg_rho:float epos_rho:float eneg_logg:float epos_logg:float eneg_lum:float
epos_lum:float eneg_dist:float epos_dist:float distflag:string eneg_Teff:float
epos_Teff:float TeffFlag:string gaiabp:float e_gaiabp:float gaiarp:float e_gaiarp:float
gaiaqflag:int starchareFlag:string VmagFlag:string BmagFlag:string splists:string
e_RA:float e_Dec:float RA_orig:float Dec_orig:float e_RA_orig:float e_Dec_orig:float
raddflag:int wdflag:int
"""
# asymmetric error name -> the symmetric error column it spreads, decimals
_ASYMMETRIC = {
    "EBV": ("e_ebv", 5),
    "Mass": ("e_mass", 3),
    "Rad": ("e_rad", 3),
    "rho": ("e_rho", 5),
    "logg": ("e_logg", 3),
    "lum": ("e_lum", 4),
    "dist": ("e_d", 2),
    "Teff": ("e_Teff", 0),
}
_UNITS = {
    "EBV": "mag",
    "Mass": "solMass",
    "Rad": "solRad",
    "rho": "solar units",
    "logg": "cgs",
    "lum": "solLum",
    "dist": "pc",
    "Teff": "K",
}


def _asymmetric(rng, columns):
    out = {}
    for name, (source, decimals) in _ASYMMETRIC.items():
        err = np.asarray(columns[source], dtype=np.float64)
        known = np.isfinite(err)
        out[f"eneg_{name}"] = fmask(err * rng.uniform(0.8, 1.0, len(err)), known, decimals)
        out[f"epos_{name}"] = fmask(err * rng.uniform(1.0, 1.2, len(err)), known, decimals)
    return out


def tic82_columns(draw, columns):
    """
    The 36 TIC 8.2 columns, from the TIC columns already drawn.

    Parameters
    ----------
    draw : mastq.emulator.catalogs.tic_draw.TicDraw
    columns : dict
        The TIC columns drawn so far (``e_mass``, ``Teff``, ``ra``...).

    Returns
    -------
    dict
    """
    rng, n, star = draw.rng, draw.n, draw.star
    out = _asymmetric(rng, columns)
    has_teff = np.isfinite(np.asarray(columns["Teff"], dtype=np.float64))
    in_gaia = draw.stars(draw.gaia_ids, 0) > 0
    flags = {
        "EBVflag": (["panstarrs", "schlegel"], has_teff),
        "distflag": (["gaia2", "lum"], has_teff),
        "TeffFlag": (["gaia2", "spect"], has_teff),
    }
    for name, (labels, known) in flags.items():
        out[name] = categorical(labels, np.where(known, (rng.random(n) < 0.1).astype(int), -1))
    for band, key in (("bp", "BP"), ("rp", "RP")):
        mags = draw.stars(draw.phot[key], np.nan)
        out[f"gaia{band}"] = fmask(mags, in_gaia, 4)
        out[f"e_gaia{band}"] = fmask(0.002 * (1 + 10 ** (0.4 * (mags - 17))), in_gaia, 5)
    out["gaiaqflag"] = np.where(in_gaia, (rng.random(n) < 0.97).astype(int), 0)
    out["starchareFlag"] = categorical(
        ["dwarf", "giant", "subgiant"],
        np.where(has_teff, rng.choice(3, n, p=[0.8, 0.15, 0.05]), -1),
    )
    out["VmagFlag"] = categorical(
        ["apassdr9", "gaia2", "hipvmag"], np.where(star, rng.choice(3, n, p=[0.3, 0.65, 0.05]), -1)
    )
    out["BmagFlag"] = categorical(
        ["apassdr9", "gaia2"], np.where(star, (rng.random(n) < 0.6).astype(int), -1)
    )
    out["splists"] = categorical(
        ["cooldwarfs_v8", "hotsubdwarfs_v1"], np.where(star & (rng.random(n) < 0.02), 0, -1)
    )
    sigma = np.round(rng.uniform(0.01, 0.5, n), 6)
    ra, dec = np.asarray(columns["ra"]), np.asarray(columns["dec"])
    out["e_RA"], out["e_Dec"] = sigma, np.round(sigma * 0.9, 6)
    out["RA_orig"] = np.round(ra + rng.normal(0, 1e-5, n), 8)
    out["Dec_orig"] = np.round(dec + rng.normal(0, 1e-5, n), 8)
    out["e_RA_orig"], out["e_Dec_orig"] = np.round(sigma * 1.1, 6), np.round(sigma, 6)
    out["raddflag"] = np.where(star & has_teff, 1, 0)
    out["wdflag"] = np.where(star & (rng.random(n) < 0.001), 1, 0)
    return out


def tic82_config():
    """Columns-config entries of the TIC 8.2 columns (units where they have one)."""
    config = {}
    for name, unit in _UNITS.items():
        for side, text in (("eneg", "Lower Err."), ("epos", "Upper Err.")):
            config[f"{side}_{name}"] = {"text": f"{name} {text}", "vot.unit": unit}
    for band in ("bp", "rp"):
        config[f"gaia{band}"] = {"text": f"Gaia {band.upper()} Mag.", "vot.unit": "mag"}
        config[f"e_gaia{band}"] = {"text": f"Gaia {band.upper()} Mag. Err.", "vot.unit": "mag"}
    for name in ("e_RA", "e_Dec", "e_RA_orig", "e_Dec_orig"):
        config[name] = {"text": name, "vot.unit": "mas"}
    for name in ("RA_orig", "Dec_orig"):
        config[name] = {"text": name, "vot.unit": "deg"}
    return config
