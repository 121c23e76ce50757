"""
Gaia DR3 (``gaia_source``) of the local MAST: real column names, types and units.

Sources are the stars of the shared synthetic `~mastq.emulator.catalogs.stars.Population` brighter
than G = 20.9.  ``source_id`` is built as Gaia builds it (HEALPix level-12 nested index
times 2**35 plus a running number), so every id is above 2**53 and must travel as an exact
64-bit integer.  Rows are in ``source_id`` order, as in the Gaia archive.
"""

import json
from importlib import resources

import numpy as np

from mastq.emulator.catalogs.registry import CatalogDef, register
from mastq.emulator.catalogs.stars import ecliptic, galactic, healpix_nested
from mastq.emulator.catalogs.table import CatalogTable, Derived
from mastq.emulator.catalogs.tic_draw import categorical, fmask
from mastq.emulator.model import Field

__all__ = [
    "GAIA_LIMIT",
    "DR3_SOLUTION_ID",
    "gaia_columns_config",
    "gaia_fields",
    "gaia_source_ids",
    "build_gaia",
    "build_gaia_release",
    "release_columns_config",
    "GAIA_DR3",
    "GAIA_DR2",
    "GAIA_DR1",
]

GAIA_LIMIT = 20.9
"""Faintest G magnitude of the sources."""
DR3_SOLUTION_ID = 375316653866487564
_MASHUP_TYPES = {
    "long": "string",
    "char": "string",
    "double": "float",
    "float": "float",
    "short": "int",
    "int": "int",
    "boolean": "boolean",
}
_ZERO_POINTS = {"g": 25.6874, "bp": 25.3385, "rp": 24.7479}


def gaia_columns_config():
    """
    The columns config of ``Mast.Catalogs.GaiaDR3.Cone`` (a new dict at each call).

    Returns
    -------
    dict
        Column name -> ``{"text", "vot.datatype", "vot.unit", "vot.ucd", "vot.description"}``.
    """
    text = resources.files("mastq.emulator").joinpath("data/gaia_dr3_columns.json").read_text()
    return json.loads(text)


def gaia_fields(config=None):
    """
    The fields of the Gaia DR3 services, without the cone ``distance``.

    Parameters
    ----------
    config : dict, optional
        The columns config (default: `gaia_columns_config`).

    Returns
    -------
    tuple of Field
    """
    config = gaia_columns_config() if config is None else config
    return tuple(
        Field(name, _MASHUP_TYPES[entry["vot.datatype"]])
        for name, entry in config.items()
        if name != "distance"
    )


def gaia_source_ids(rng, ra, dec):
    """
    Gaia-style source ids: HEALPix level-12 nested pixel * 2**35 + a running number.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the first running number of each pixel.
    ra, dec : numpy.ndarray of float
        Positions in degrees.

    Returns
    -------
    numpy.ndarray of int64
        Unique ids, in the order of the positions.
    """
    pixels = healpix_nested(ra, dec, 12)
    order = np.lexsort((np.arange(len(pixels)), pixels))
    sorted_pixels = pixels[order]
    first = np.r_[0, np.flatnonzero(np.diff(sorted_pixels)) + 1]
    rank = np.arange(len(pixels)) - np.repeat(first, np.diff(np.r_[first, len(pixels)]))
    offsets = rng.integers(1, 2**30, len(pixels))[order]
    ids = np.empty(len(pixels), np.int64)
    ids[order] = (sorted_pixels << 35) + offsets + rank * 7
    return ids


def _photometry(rng, g, bp_rp):
    """Fluxes, magnitudes and colours of the G, BP and RP bands."""
    n = len(g)
    has_xp = (g < 20.3) | (rng.random(n) < 0.5)
    bp, rp = g + 0.35 * bp_rp, g - 0.6 * bp_rp
    columns = {"phot_g_n_obs": rng.integers(100, 900, n)}
    for band, mag, keep in (("g", g, np.ones(n, bool)), ("bp", bp, has_xp), ("rp", rp, has_xp)):
        flux = 10 ** (-0.4 * (mag - _ZERO_POINTS[band]))
        columns[f"phot_{band}_mean_flux"] = fmask(flux, keep, 6)
        if band == "g":
            columns["phot_g_mean_flux_error"] = fmask(
                flux * 0.001 * (1 + 10 ** (0.4 * (mag - 17))), keep, 6
            )
        columns[f"phot_{band}_mean_mag"] = fmask(mag, keep, 6)
    columns["phot_bp_rp_excess_factor"] = fmask(1.15 + 0.05 * rng.random(n), has_xp, 5)
    columns["bp_rp"] = fmask(bp - rp, has_xp, 6)
    columns["bp_g"] = fmask(bp - g, has_xp, 6)
    columns["g_rp"] = fmask(g - rp, has_xp, 6)
    return columns


def _astrometry(rng, pop, g):
    """Positions, parallaxes and proper motions with errors (2-parameter for some faint)."""
    n = len(g)
    sigma = 0.015 * 10 ** (0.2 * np.clip(g - 13.0, 0.0, 8.0))
    five = (g < 20.0) | (rng.random(n) < 0.6)
    parallax = 1000.0 / pop.distance + rng.normal(0.0, 1.0, n) * sigma
    pmra, pmdec = (pop.pmra + rng.normal(0, 1, n) * sigma, pop.pmdec + rng.normal(0, 1, n) * sigma)
    columns = {
        "ref_epoch": np.full(n, 2016.0),
        "ra": pop.ra,
        "ra_error": np.round(sigma * 0.8, 6),
        "dec": pop.dec,
        "dec_error": np.round(sigma * 0.7, 6),
        "parallax": fmask(parallax, five, 8),
        "parallax_error": fmask(sigma, five, 6),
        "parallax_over_error": fmask(parallax / sigma, five, 5),
        "pm": fmask(np.hypot(pmra, pmdec), five, 6),
        "pmra": fmask(pmra, five, 8),
        "pmra_error": fmask(sigma * 1.1, five, 6),
        "pmdec": fmask(pmdec, five, 8),
        "pmdec_error": fmask(sigma, five, 6),
        "ra_dec_corr": np.round(rng.uniform(-0.5, 0.5, n), 6),
        "astrometric_n_good_obs_al": rng.integers(80, 700, n),
        "astrometric_excess_noise": np.round(rng.exponential(0.1, n), 6),
        "astrometric_params_solved": np.where(five, 31, 3),
        "visibility_periods_used": rng.integers(8, 33, n),
        "ruwe": np.round(0.8 + rng.lognormal(-1.6, 0.6, n), 6),
        "ipd_frac_multi_peak": np.where(rng.random(n) < 0.05, rng.integers(1, 60, n), 0),
    }
    columns["l"], columns["b"] = galactic(pop.ra, pop.dec)
    columns["ecl_lon"], columns["ecl_lat"] = ecliptic(pop.ra, pop.dec)
    return columns


def _astrophysics(rng, pop, g):
    """Radial velocities, classification flags and GSP-Phot parameters."""
    n = len(g)
    rvs, gsp = g < 14.0, g < 19.0
    a0 = 3.1 * pop.ebv
    teff = pop.teff * rng.normal(1.0, 0.03, n)
    return {
        "radial_velocity": fmask(pop.rv + rng.normal(0, 1, n), rvs, 6),
        "radial_velocity_error": fmask(rng.uniform(0.2, 5.0, n), rvs, 6),
        "rv_nb_transits": np.ma.MaskedArray(rng.integers(5, 60, n), mask=~rvs),
        "phot_variable_flag": categorical(
            ["NOT_AVAILABLE", "VARIABLE"], (rng.random(n) < 0.05).astype(int)
        ),
        "in_qso_candidates": rng.random(n) < 0.002,
        "in_galaxy_candidates": rng.random(n) < 0.001,
        "non_single_star": np.where(rng.random(n) < 0.02, rng.integers(1, 4, n), 0),
        "has_xp_continuous": g < 17.65,
        "has_rvs": rvs,
        "classprob_dsc_combmod_star": np.round(rng.uniform(0.9, 1.0, n), 6),
        "teff_gspphot": fmask(teff, gsp, 4),
        "teff_gspphot_lower": fmask(teff * 0.98, gsp, 4),
        "teff_gspphot_upper": fmask(teff * 1.02, gsp, 4),
        "logg_gspphot": fmask(pop.logg + rng.normal(0, 0.1, n), gsp, 4),
        "mh_gspphot": fmask(pop.mh + rng.normal(0, 0.2, n), gsp, 4),
        "distance_gspphot": fmask(pop.distance * rng.normal(1.0, 0.08, n), gsp, 4),
        "azero_gspphot": fmask(a0, gsp, 4),
        "ag_gspphot": fmask(0.86 * a0, gsp, 4),
        "ebpminrp_gspphot": fmask(0.43 * a0, gsp, 4),
    }


def build_gaia(rng, pop, source_ids):
    """
    Build Gaia DR3 from the stars of a population that have a source id.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator of Gaia's own draws.
    pop : mastq.emulator.catalogs.stars.Population
        The stars.
    source_ids : numpy.ndarray of int64
        One per star, 0 for stars not in Gaia (see `gaia_source_ids`).

    Returns
    -------
    CatalogTable
        Rows in ``source_id`` order.
    """
    rows = np.flatnonzero(source_ids > 0)
    rows = rows[np.argsort(source_ids[rows], kind="stable")]
    stars = type(pop)(**{name: getattr(pop, name)[rows] for name in pop.__dataclass_fields__})
    phot = stars.photometry()
    g, bp_rp = phot["G"], np.clip(1.26 * stars.bv + 0.05, -0.5, 5.0)
    ids = source_ids[rows]
    n = len(rows)
    columns = {
        "solution_id": np.full(n, DR3_SOLUTION_ID, np.int64),
        "designation": Derived(
            lambda index: np.array([f"Gaia DR3 {i}" for i in ids[index].tolist()], dtype=object), n
        ),
        "source_id": ids,
        "random_index": rng.permutation(n).astype(np.int64),
    }
    columns.update(_astrometry(rng, stars, g))
    columns.update(_photometry(rng, g, bp_rp))
    columns.update(_astrophysics(rng, stars, g))
    return CatalogTable(gaia_fields(), columns)


GAIA_DR3 = register(
    CatalogDef(
        "GaiaDR3",
        build=lambda sky: build_gaia(sky.rng(4), sky.population, sky.gaia_ids),
        columns=gaia_columns_config,
        histograms=True,
    )
)


# The gaia_source columns of the older releases (a subset of DR3's, same meaning).
_DR2_DROPPED = frozenset(
    {
        "pm",
        "ruwe",
        "ipd_frac_multi_peak",
        "in_qso_candidates",
        "in_galaxy_candidates",
        "non_single_star",
        "has_xp_continuous",
        "has_rvs",
        "classprob_dsc_combmod_star",
        "teff_gspphot_lower",
        "teff_gspphot_upper",
        "logg_gspphot",
        "mh_gspphot",
        "distance_gspphot",
        "azero_gspphot",
        "ebpminrp_gspphot",
        "parallax_over_error",
        "rv_nb_transits",
    }
)
_DR2_RENAMED = {"teff_gspphot": "teff_val", "ag_gspphot": "a_g_val"}
_DR1_KEPT = (
    "solution_id designation source_id random_index ref_epoch ra ra_error dec "
    "dec_error parallax parallax_error pmra pmra_error pmdec pmdec_error ra_dec_corr "
    "astrometric_n_good_obs_al astrometric_excess_noise phot_g_n_obs phot_g_mean_flux "
    "phot_g_mean_flux_error phot_g_mean_mag phot_variable_flag l b ecl_lon "
    "ecl_lat distance"
)
_RELEASES = {2: (1635721458409799680, 2015.5, 20.8), 1: (1635378410781933568, 2015.0, 20.7)}


def _release_names(release):
    """DR3 column name -> name in Gaia DR`release`, for the columns the release has."""
    names = list(gaia_columns_config())
    if release == 1:
        return {name: name for name in _DR1_KEPT.split()}
    return {name: _DR2_RENAMED.get(name, name) for name in names if name not in _DR2_DROPPED}


def release_columns_config(release):
    """The columns config of ``Mast.Catalogs.GaiaDR<release>.Cone`` (a new dict)."""
    config = gaia_columns_config()
    return {new: {**config[old], "text": new} for old, new in _release_names(release).items()}


def build_gaia_release(sky, release):
    """
    Gaia DR1 or DR2: the DR3 sources brighter than the release's limit, its columns.

    Parameters
    ----------
    sky : mastq.emulator.catalogs.store.Sky
    release : int
        1 or 2.

    Returns
    -------
    CatalogTable
    """
    dr3 = sky.table("GaiaDR3")
    solution, epoch, limit = _RELEASES[release]
    rows = np.flatnonzero(np.asarray(dr3.columns["phot_g_mean_mag"]) < limit)
    part = dr3.subset(rows)
    names = {old: new for old, new in _release_names(release).items() if old != "distance"}
    columns = {new: part.columns[old] for old, new in names.items()}
    ids = np.asarray(part.columns["source_id"])
    columns["solution_id"] = np.full(len(rows), solution, np.int64)
    columns["ref_epoch"] = np.full(len(rows), epoch)
    columns["designation"] = Derived(
        lambda index: np.array(
            [f"Gaia DR{release} {i}" for i in ids[index].tolist()], dtype=object
        ),
        len(rows),
    )
    types = {f.name: f.type for f in dr3.fields}
    fields = [Field(new, types[old]) for old, new in names.items()]
    return CatalogTable(fields, columns)


GAIA_DR2, GAIA_DR1 = (
    register(
        CatalogDef(
            f"GaiaDR{release}",
            build=lambda sky, release=release: build_gaia_release(sky, release),
            columns=lambda release=release: release_columns_config(release),
            histograms=True,
        )
    )
    for release in (2, 1)
)
