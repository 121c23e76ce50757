"""
The TESS Input Catalog (TIC) and Candidate Target List (CTL) of the local MAST.

The fields are today's (TIC 8.2, 125): the 89 of a recorded
``Mast.Catalogs.Filtered.Tic.Rows`` answer, in its types and order, plus the 8.2 columns of
`mastq.emulator.catalogs.tic82` before ``objID``.  Stars come from the shared synthetic
`~mastq.emulator.catalogs.stars.Population` (so the ``GAIA`` column holds the star's Gaia DR3
``source_id``), plus a few percent of 2MASS extended sources with most fields null, as in
the real TIC.  The CTL is the TIC stars that carry a ``priority`` (bright dwarfs).
"""

import json
from importlib import resources

import numpy as np

from mastq.emulator.catalogs.registry import CatalogDef, register
from mastq.emulator.catalogs.stars import (
    DWARF,
    GIANT,
    ecliptic,
    galactic,
    sexagesimal_names,
    sky_positions,
)
from mastq.emulator.catalogs.table import CatalogTable, Derived, fields_of
from mastq.emulator.catalogs.tic82 import TIC82_SPEC, tic82_columns, tic82_config
from mastq.emulator.catalogs.tic_draw import (
    TicDraw,
    categorical,
    flag_columns,
    fmask,
    imask,
    photometry_columns,
    unique_ids,
)
from mastq.emulator.model import Field

__all__ = [
    "TIC_FIELDS",
    "TIC",
    "CTL",
    "build_tic",
    "ctl_of",
    "tic_columns_config",
    "ctl_columns_config",
]

_SPEC = """
ID:string version:string HIP:int TYC:string UCAC:string TWOMASS:string SDSS:string
ALLWISE:string GAIA:string APASS:string KIC:int objType:string typeSrc:string ra:float
dec:float POSflag:string pmRA:float e_pmRA:float pmDEC:float e_pmDEC:float PMflag:string
plx:float e_plx:float PARflag:string gallong:float gallat:float eclong:float eclat:float
Bmag:float e_Bmag:float Vmag:float e_Vmag:float umag:float e_umag:float gmag:float
e_gmag:float rmag:float e_rmag:float imag:float e_imag:float zmag:float e_zmag:float
Jmag:float e_Jmag:float Hmag:float e_Hmag:float Kmag:float e_Kmag:float TWOMflag:string
prox:float w1mag:float e_w1mag:float w2mag:float e_w2mag:float w3mag:float e_w3mag:float
w4mag:float e_w4mag:float GAIAmag:float e_GAIAmag:float Tmag:float e_Tmag:float
TESSflag:string SPFlag:string Teff:float e_Teff:float logg:float e_logg:float MH:float
e_MH:float rad:float e_rad:float mass:float e_mass:float rho:float e_rho:float
lumclass:string lum:float e_lum:float d:float e_d:float ebv:float e_ebv:float numcont:int
contratio:float disposition:string duplicate_id:string priority:float
"""
TIC_FIELDS = fields_of(_SPEC) + fields_of(TIC82_SPEC) + (Field("objID", "string"),)
"""The 125 fields of today's TIC services (TIC 8.2): the recorded 89, the 8.2 additions
before ``objID``."""

EXTENDED_SHARE = 0.03
_MAX_ID = 2_000_000_000


def _name_column(ra, dec, keep, **name_options):
    """A `Derived` column of position-based names, null where `keep` is False."""

    def names(index):
        out = np.full(len(index), None, dtype=object)
        rows = index[keep[index]]
        out[keep[index]] = sexagesimal_names(ra[rows], dec[rows], **name_options)
        return out

    return Derived(names, len(ra))


def _text_column(numbers, keep, template):
    """A `Derived` column formatting integers (e.g. ids held as text), null where masked."""

    def texts(index):
        out = np.full(len(index), None, dtype=object)
        rows = index[keep[index]]
        out[keep[index]] = [template.format(*row) for row in numbers[rows].tolist()]
        return out

    return Derived(texts, len(keep))


_HIP_STARS = 120404


def _identifiers(draw):
    """ID, version and the cross-identifications (HIP, TYC, UCAC, 2MASS, SDSS...)."""
    rng, n, pop, star = draw.rng, draw.n, draw.pop, draw.star
    vmag = draw.stars(pop.vmag, 99.0)
    hip_rows = np.flatnonzero(vmag < 8.5)
    if len(hip_rows) > _HIP_STARS:  # the Hipparcos catalogue has only so many stars: the brightest
        hip_rows = hip_rows[np.argsort(vmag[hip_rows], kind="stable")[:_HIP_STARS]]
    hip = np.zeros(n, bool)
    hip[hip_rows] = True
    hip_numbers = np.zeros(n, np.int64)
    hip_numbers[hip_rows] = rng.choice(_HIP_STARS, len(hip_rows), replace=False) + 1
    tyc = np.stack([rng.integers(1, 9538, n), rng.integers(1, 12000, n), np.ones(n, int)], 1)
    ucac = np.stack([((draw.dec + 90.0) / 0.2).astype(int) + 1, rng.integers(1, 999999, n)], 1)
    in_2mass = draw.stars(draw.phot["J"], 0.0) < 16.8
    sdss = star & (draw.dec > -5.0) & (vmag > 12.0) & (rng.random(n) < 0.5)
    kepler = star & (draw.ra > 280) & (draw.ra < 301) & (draw.dec > 36) & (draw.dec < 52.5)
    gaia = draw.stars(draw.gaia_ids, 0)
    allwise = star & in_2mass & (rng.random(n) < 0.8)
    return {
        "_2mass": in_2mass | ~star,
        "_allwise": allwise,
        "ID": unique_ids(rng, n, start=0, mean_gap=int(0.9 * _MAX_ID / max(n, 1))),
        "version": categorical(["20190415", "20171221"], np.where(star, 0, 1)),
        "HIP": imask(hip_numbers, hip),
        "TYC": _text_column(tyc, star & (vmag < 11.5), "{}-{}-{}"),
        "UCAC": _text_column(ucac, star & (vmag < 16.0) & (rng.random(n) < 0.85), "{:03d}-{:06d}"),
        "TWOMASS": _name_column(draw.ra, draw.dec, in_2mass | ~star, ra_digits=2, dec_digits=1),
        "SDSS": imask(unique_ids(rng, n, start=1237645877936062500, mean_gap=2**20), sdss),
        "ALLWISE": _name_column(
            draw.ra, draw.dec, allwise, prefix="J", sep=".", ra_digits=2, dec_digits=1
        ),
        "GAIA": _text_column(gaia[:, None], gaia > 0, "{}"),
        "APASS": _text_column(
            rng.integers(1, 60_000_000, (n, 1)),
            star & (vmag > 7) & (vmag < 17) & (rng.random(n) < 0.5),
            "{}",
        ),
        "KIC": imask(1_000_000 + np.arange(n) * 97 + rng.integers(0, 90, n), kepler),
        "objType": categorical(["STAR", "EXTENDED"], np.where(star, 0, 1)),
        "objID": unique_ids(rng, n, start=100_000_000, mean_gap=800),
    }


def _astrometry(draw):
    """Positions, proper motions, parallaxes and their derived coordinates."""
    rng, pop = draw.rng, draw.pop
    gaia = draw.stars(draw.gaia_ids, 0) > 0
    g = draw.stars(draw.phot["G"], 21.0)
    sigma = 0.02 * 10 ** (0.2 * np.clip(g - 13.0, 0.0, 8.0))  # mas or mas/yr
    pm_ok = gaia & (g < 20.5)
    glon, glat = galactic(draw.ra, draw.dec)
    elon, elat = ecliptic(draw.ra, draw.dec)
    plx = draw.stars(1000.0 / pop.distance) + rng.normal(0.0, 1.0, draw.n) * sigma
    return {
        "ra": np.round(draw.ra, 6),
        "dec": np.round(draw.dec, 6),
        "pmRA": fmask(draw.stars(pop.pmra), pm_ok, 4),
        "e_pmRA": fmask(sigma * 1.1, pm_ok, 4),
        "pmDEC": fmask(draw.stars(pop.pmdec), pm_ok, 4),
        "e_pmDEC": fmask(sigma, pm_ok, 4),
        "plx": fmask(plx, pm_ok, 4),
        "e_plx": fmask(sigma, pm_ok, 4),
        "gallong": np.round(glon, 6),
        "gallat": np.round(glat, 6),
        "eclong": np.round(elon, 6),
        "eclat": np.round(elat, 6),
    }


def _stellar(draw):
    """Teff, logg, [M/H], radius, mass, density, luminosity class, distance, reddening."""
    rng, pop, n = draw.rng, draw.pop, draw.n
    known = draw.stars((draw.gaia_ids > 0) & (draw.phot["G"] < 19.0), False)
    spec = known & (rng.random(n) < 0.08)

    def rel(values, err, decimals, keep=known):
        values = draw.stars(values)
        return (
            fmask(values, keep, decimals),
            fmask(np.abs(values) * err * rng.uniform(0.5, 1.5, n), keep, decimals),
        )

    columns = {}
    columns["Teff"], columns["e_Teff"] = rel(pop.teff, 0.03, 0)
    columns["logg"], columns["e_logg"] = rel(pop.logg, 0.02, 5)
    columns["MH"], columns["e_MH"] = rel(pop.mh, 0.3, 3, keep=spec)
    columns["rad"], columns["e_rad"] = rel(pop.radius, 0.06, 5)
    columns["mass"], columns["e_mass"] = rel(pop.mass, 0.12, 3)
    columns["rho"], columns["e_rho"] = rel(pop.mass / pop.radius**3, 0.2, 5)
    columns["lum"], columns["e_lum"] = rel(pop.lum, 0.1, 5)
    columns["d"], columns["e_d"] = rel(pop.distance, 0.05, 3)
    columns["ebv"], columns["e_ebv"] = rel(pop.ebv, 0.3, 5)
    labels = draw.stars(np.where(pop.lumclass == GIANT, 1, 0), -1)
    columns["lumclass"] = categorical(["DWARF", "GIANT"], np.where(known, labels, -1))
    return columns


def _ctl(draw, tic):
    """priority, numcont and contratio of the Candidate Target List stars; disposition."""
    rng, n = draw.rng, draw.n
    dwarf = draw.stars(draw.pop.lumclass == DWARF, False)
    rad = np.nan_to_num(tic["rad"], nan=99.0)
    in_ctl = dwarf & (tic["Tmag"] < 12.0) & (rad < 3.0)
    raw = 10 ** (-0.2 * (tic["Tmag"] - 8.0)) / np.maximum(rad, 0.1) ** 1.5
    priority = np.where(in_ctl, raw, np.nan)
    priority = priority / np.nanmax(priority) if in_ctl.any() else priority
    special = rng.random(n)
    duplicate = draw.star & (special < 0.002)
    codes = np.select([duplicate, special < 0.003, special < 0.0035], [0, 1, 2], -1)
    ids = np.asarray(tic["ID"])
    partner = ids[np.clip(np.arange(n) + 1, 0, n - 1)]
    return {
        "priority": fmask(np.maximum(priority, 1e-7), in_ctl, 8),
        "numcont": imask(rng.poisson(4.0, n), in_ctl),
        "contratio": fmask(rng.exponential(0.05, n), in_ctl, 6),
        "disposition": categorical(["DUPLICATE", "SPLIT", "ARTIFACT"], codes),
        "duplicate_id": imask(partner, duplicate),
    }


def build_tic(rng, pop, gaia_ids, *, centres=()):
    """
    Build the TIC: the stars of a population plus a few extended sources.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator of the TIC's own draws.
    pop : mastq.emulator.catalogs.stars.Population
        The stars.
    gaia_ids : numpy.ndarray of int64
        The Gaia DR3 ``source_id`` of each star, 0 for stars not in Gaia.
    centres : sequence of (float, float), optional
        Where extended sources cluster (degrees), as the stars do.

    Returns
    -------
    CatalogTable
        Rows in ``ID`` order (the extended sources, catalogued later, last).
    """
    n_ext = int(round(len(pop) * EXTENDED_SHARE))
    ext_ra, ext_dec = sky_positions(rng, n_ext, centres)
    star = np.arange(len(pop) + n_ext) < len(pop)
    draw = TicDraw(
        rng=rng,
        pop=pop,
        star=star,
        ra=np.concatenate([pop.ra, ext_ra]),
        dec=np.concatenate([pop.dec, ext_dec]),
        gaia_ids=gaia_ids,
        phot=pop.photometry(),
    )
    columns = _identifiers(draw)
    columns.update(_astrometry(draw))
    columns.update(_stellar(draw))
    columns.update(photometry_columns(draw, columns))
    columns.update(flag_columns(draw, columns))
    columns.update(_ctl(draw, columns))
    columns.update(tic82_columns(draw, columns))
    public = {name: values for name, values in columns.items() if not name.startswith("_")}
    return CatalogTable(TIC_FIELDS, public, distance_name="dstArcSec")


def ctl_of(tic):
    """
    The Candidate Target List: the TIC rows with a priority.

    Parameters
    ----------
    tic : CatalogTable
        The TIC built by `build_tic`.

    Returns
    -------
    CatalogTable
        Same fields as the TIC, rows in ``ID`` order.
    """
    return tic.subset(np.flatnonzero(~np.isnan(tic.columns["priority"])))


# Columns the real Mast.Catalogs.All.Tic gives no histogram.
_TIC_NO_HISTOGRAM = frozenset({"version", "TWOMflag", "disposition", "e_ebv"})
_CTL_PRIORITY = {
    "text": "Priority",
    "vot.datatype": "double",
    "vot.description": "CTL priority of the target (0 to 1)",
}


def tic_columns_config():
    """The columns config of the TIC (``Mast.Catalogs.Tess.Cone``), a new dict."""
    text = resources.files("mastq.emulator").joinpath("data/tic_columns.json").read_text()
    return {**tic82_config(), **json.loads(text)}


def ctl_columns_config():
    """The columns config of the CTL: the TIC's plus ``priority``, a new dict."""
    return {**tic_columns_config(), "priority": dict(_CTL_PRIORITY)}


TIC = register(
    CatalogDef(
        "Tic",
        build=lambda sky: build_tic(sky.rng(3), sky.population, sky.gaia_ids, centres=sky.centres),
        columns=tic_columns_config,
        config_ids=("Mast.Catalogs.Tess.Cone",),
        histograms=True,
        no_histogram=_TIC_NO_HISTOGRAM,
    )
)
CTL = register(
    CatalogDef(
        "Ctl",
        build=lambda sky: ctl_of(sky.table("Tic")),
        columns=ctl_columns_config,
        histograms=True,
        no_histogram=_TIC_NO_HISTOGRAM,
    )
)
