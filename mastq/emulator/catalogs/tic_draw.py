"""
Column builders of the local MAST's TIC: photometry and provenance flags, and helpers.

`TicDraw` carries what every TIC column is computed from; the functions here return
dicts of stored columns (see `mastq.emulator.catalogs.table`) for `mastq.emulator.catalogs.tic`.
"""

from dataclasses import dataclass

import numpy as np

from mastq.emulator.services.filters import Categorical

__all__ = [
    "TicDraw",
    "fmask",
    "imask",
    "categorical",
    "unique_ids",
    "photometry_columns",
    "flag_columns",
]


@dataclass(frozen=True)
class TicDraw:
    """
    What the TIC columns are computed from (internal to the TIC builders).

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator of the TIC's own random draws.
    pop : mastq.emulator.catalogs.stars.Population
        The stars (the first ``len(pop)`` rows); extended sources follow them.
    star : numpy.ndarray of bool
        True for stars, False for extended sources (one per row).
    ra, dec : numpy.ndarray
        Positions of all rows, degrees.
    gaia_ids : numpy.ndarray of int64
        Gaia DR3 source_id of each star (0: not in Gaia), one per star.
    phot : dict
        Band -> apparent magnitude of each star (see `Population.photometry`).
    """

    rng: np.random.Generator
    pop: object
    star: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    gaia_ids: np.ndarray
    phot: dict

    @property
    def n(self):
        """Number of rows."""
        return len(self.star)

    def stars(self, values, fill=np.nan):
        """Pad a per-star array with `fill` for the extended sources."""
        values = np.asarray(values)
        out = np.full(self.n, fill, dtype=np.result_type(values, np.asarray(fill)))
        out[: len(values)] = values
        return out


def fmask(values, keep, decimals):
    """A float column: `values` rounded, NaN where `keep` is False."""
    return np.where(keep, np.round(np.asarray(values, dtype=np.float64), decimals), np.nan)


def imask(values, keep):
    """An integer column (int64) masked where `keep` is False."""
    return np.ma.MaskedArray(np.asarray(values, dtype=np.int64), mask=~np.asarray(keep))


def categorical(labels, codes):
    """A `Categorical` column from a label list and codes (-1: null)."""
    return Categorical(np.asarray(codes, dtype=np.int16), np.asarray(labels, dtype=str))


def unique_ids(rng, n, *, start, mean_gap):
    """Increasing unique int64 ids: `start` plus cumulated random gaps."""
    gaps = rng.integers(1, 2 * mean_gap, n, dtype=np.int64)
    return start + np.cumsum(gaps)


def _with_errors(draw, values, keep, *, base, decimals=3):
    """A magnitude column and its error column (errors grow for faint stars)."""
    values = np.asarray(values, dtype=np.float64)
    err = base * (1.0 + 10 ** (0.4 * (np.nan_to_num(values, nan=20.0) - 17.0)))
    err = err * draw.rng.uniform(0.7, 1.3, draw.n)
    return fmask(values, keep, decimals), fmask(np.minimum(err, 0.9), keep, decimals)


def _extended_jhk(draw):
    """J, H, K of the extended sources (galaxies) next to those of the stars."""
    n_ext = draw.n - len(draw.pop)
    j = draw.rng.uniform(12.5, 15.5, n_ext)
    h, k = j - draw.rng.uniform(0.5, 0.9, n_ext), j - draw.rng.uniform(0.8, 1.3, n_ext)
    return {
        band: np.concatenate([draw.phot[band], ext]) for band, ext in (("J", j), ("H", h), ("K", k))
    }


def _wise(draw, wise):
    """AllWISE W1-W4 magnitudes (W3 and W4 only for the brighter sources)."""
    columns = {}
    for band, limit, base in (
        ("W1", 17.0, 0.02),
        ("W2", 16.0, 0.03),
        ("W3", 12.0, 0.05),
        ("W4", 9.0, 0.1),
    ):
        values = draw.stars(draw.phot[band], 99.0)
        name = band.lower() + "mag"
        columns[name], columns["e_" + name] = _with_errors(
            draw, values, wise & (values < limit), base=base
        )
    return columns


def photometry_columns(draw, ids):
    """
    Magnitudes (Johnson, SDSS, 2MASS, WISE, Gaia, TESS) with their errors, TWOMflag, prox.

    Parameters
    ----------
    draw : TicDraw
        What the columns are computed from.
    ids : dict
        The identifier columns already built (their masks say which surveys saw a star),
        with the hidden keep masks ``_2mass`` and ``_allwise``.

    Returns
    -------
    dict
        Column name -> stored column.
    """
    rng, n, star, phot = draw.rng, draw.n, draw.star, draw.phot
    vmag = draw.stars(draw.pop.vmag, 99.0)
    jhk = _extended_jhk(draw)
    two_mass, wise = ids["_2mass"], ids["_allwise"]
    sdss = ~np.ma.getmaskarray(ids["SDSS"])
    gaia = draw.stars(draw.gaia_ids, 0) > 0
    columns = {}
    bv_ok = star & (vmag < 17.5) & (rng.random(n) < 0.65)
    for band, values, keep, base in (
        ("B", draw.stars(phot["B"]), bv_ok, 0.02),
        ("V", vmag, bv_ok, 0.015),
        ("u", draw.stars(phot["u"]), sdss, 0.03),
        ("g", draw.stars(phot["g"]), sdss, 0.005),
        ("r", draw.stars(phot["r"]), sdss, 0.005),
        ("i", draw.stars(phot["i"]), sdss, 0.005),
        ("z", draw.stars(phot["z"]), sdss, 0.01),
        ("J", jhk["J"], two_mass, 0.02),
        ("H", jhk["H"], two_mass, 0.02),
        ("K", jhk["K"], two_mass, 0.02),
    ):
        columns[f"{band}mag"], columns[f"e_{band}mag"] = _with_errors(draw, values, keep, base=base)
    columns.update(_wise(draw, wise))
    columns["GAIAmag"], columns["e_GAIAmag"] = _with_errors(
        draw, draw.stars(phot["G"]), gaia, base=0.0003, decimals=6
    )
    tmag = np.where(star, draw.stars(phot["T"]), jhk["J"] + rng.uniform(1.2, 1.6, n))
    columns["Tmag"] = np.round(tmag, 3)
    columns["e_Tmag"] = np.where(
        star,
        np.round(rng.uniform(0.006, 0.02, n) + 0.01 * ~gaia, 3),
        np.where(rng.random(n) < 0.3, 0.17, 1.0),
    )
    columns["TWOMflag"] = categorical(
        [
            "AAA-222-111-000-0-0",
            "AAA-222-111-100-0-0",
            "EEU-000-000-000-0-0",
            "   -   -   -  0-0- ",
        ],
        np.where(two_mass, np.where(star, rng.choice(3, n, p=[0.9, 0.07, 0.03]), 3), -1),
    )
    columns["prox"] = fmask(rng.exponential(60.0, n) + 0.2, two_mass & (rng.random(n) < 0.3), 1)
    return columns


def flag_columns(draw, columns):
    """
    Provenance flags: typeSrc, POSflag, PMflag, PARflag, TESSflag, SPFlag.

    Parameters
    ----------
    draw : TicDraw
        What the columns are computed from.
    columns : dict
        The columns already built (HIP, pmRA, plx, Vmag, Jmag, Teff...).

    Returns
    -------
    dict
        Column name -> `Categorical`.
    """
    star = draw.star
    gaia = draw.stars(draw.gaia_ids, 0) > 0
    hip = ~np.ma.getmaskarray(columns["HIP"])
    has_pm, has_plx = ~np.isnan(columns["pmRA"]), ~np.isnan(columns["plx"])
    has_v, has_j = ~np.isnan(columns["Vmag"]), ~np.isnan(columns["Jmag"])
    has_teff = ~np.isnan(columns["Teff"])
    cool = has_teff & (columns["Teff"] < 3900.0)
    source = np.select([~star, hip, gaia], [-1, 2, 1], 0)
    return {
        "typeSrc": categorical(["2mass", "tmgaia2", "hip"], source),
        "POSflag": categorical(
            ["2mass", "gaia2", "hip", "2MASSEXT"],
            np.where(star, np.select([hip, gaia], [2, 1], 0), 3),
        ),
        "PMflag": categorical(
            ["gaia2", "tycho2", "ucac4"], np.select([has_pm, hip, star & has_v], [0, 1, 2], -1)
        ),
        "PARflag": categorical(["gaia2", "hip"], np.select([hip & has_plx, has_plx], [1, 0], -1)),
        "TESSflag": categorical(
            ["gaiaj", "gaiah", "jhk", "vjk", "bpjk", "tor_jhk"],
            np.select([~star, gaia & has_j, gaia, has_v & has_j, has_j], [5, 0, 1, 3, 2], 4),
        ),
        "SPFlag": categorical(
            ["gaia2", "cdwrf", "splin"],
            np.select([cool, has_teff & has_plx, has_teff], [1, 0, 2], -1),
        ),
    }
