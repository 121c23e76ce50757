"""
Disk Detective of the local MAST: WISE sources with an infrared excess, as volunteers flag them.

Sources are the stars of the shared population brighter than W1 = 15 that carry a
(generated) excess, about one in twenty.  The 64 field names, types and order are those of
the recorded ``Mast.Catalogs.Filtered.DiskDetective.Position`` answer (``dd.json``), which
adds no separation column; ``Mast.Catalogs.DiskDetective.Cone`` adds ``dstArcSec``.  The
columns config is MAST's (``Mast.Catalogs.Dd.Cone``, recorded in ``ddcolumns.json``).
"""

import json
from importlib import resources

import numpy as np

from mastq.emulator.catalogs.registry import CatalogDef, register
from mastq.emulator.catalogs.stars import galactic, sexagesimal_names
from mastq.emulator.catalogs.table import CatalogTable, Derived, fields_of
from mastq.emulator.catalogs.tic_draw import fmask

__all__ = ["DD_FIELDS", "DISK_DETECTIVE", "build_disk_detective", "dd_columns_config"]

DD_FIELDS = fields_of("""
designation:string ZooniverseID:string ra:float dec:float glon:float glat:float w1mpro:float
w1sigmpro:float w2mpro:float w2sigmpro:float w3mpro:float w3sigmpro:float w4mpro:float
w4sigmpro:float j_m_2mass:float j_msig_2mass:float h_m_2mass:float h_msig_2mass:float
k_m_2mass:float k_msig_2mass:float j_h:float h_k:float A_Vmag:float A_B_V:float A_Bmag:float
A_gMag:float A_rMag:float A_iMag:float A_Verr:float A_B_Verr:float A_Berr:float A_gErr:float
A_rErr:float A_iErr:float A_objid:string A_dstArcSec:float A_contamination:int
G_source_id:string G_phot_g_mean_mag:float G_parallax:float G_parallax_error:float
G_pmra:float G_pmra_error:float G_pmdec:float G_pmdec_error:float G_objid:string
G_dstArcSec:float G_contamination:int P_gMeanPSFMag:float P_gMeanPSFMagErr:float
P_iMeanPSFMag:float P_iMeanPSFMagErr:float P_rMeanPSFMag:float P_rMeanPSFMagErr:float
P_yMeanPSFMag:float P_yMeanPSFMagErr:float P_zMeanPSFMag:float P_zMeanPSFMagErr:float
P_nDetections:int P_dstArcSec:float P_contamination:int previewURL:string sedURL:string
ZooniverseURL:string
""")
_PREVIEW = "http://mastweb.stsci.edu/CasOutPut/DD/WZ_advanced_seds_N20_25/{}"


def dd_columns_config():
    """The columns config of Disk Detective (``Mast.Catalogs.Dd.Cone``), a new dict."""
    text = resources.files("mastq.emulator").joinpath("data/dd_columns.json").read_text()
    return json.loads(text)


def _strings(values):
    return np.asarray(values, dtype=object)


def _surveys(rng, phot, gaia_ids, rows):
    """The APASS (``A_``), Gaia (``G_``) and Pan-STARRS (``P_``) cross-matches."""
    n = len(rows)
    columns, err = {}, lambda scale: np.round(rng.uniform(0.3, 1.5, n) * scale, 3)
    b, v = phot["B"][rows], phot["V"][rows]
    for name, values in (
        ("Vmag", v),
        ("B_V", b - v),
        ("Bmag", b),
        ("gMag", phot["g"][rows]),
        ("rMag", phot["r"][rows]),
        ("iMag", phot["i"][rows]),
    ):
        columns[f"A_{name}"] = np.round(values, 3)
    for name in ("Verr", "B_Verr", "Berr", "gErr", "rErr", "iErr"):
        columns[f"A_{name}"] = err(0.1)
    columns["A_objid"] = _strings([str(i) for i in rng.integers(1_000_000, 9_999_999, n)])
    ids = gaia_ids[rows]
    in_gaia = ids > 0
    columns["G_source_id"] = _strings([str(i) if i else None for i in ids.tolist()])
    columns["G_phot_g_mean_mag"] = fmask(phot["G"][rows], in_gaia, 6)
    for name, scale in (("parallax", 2.0), ("pmra", 10.0), ("pmdec", 10.0)):
        keep = in_gaia & (rng.random(n) < 0.8)
        columns[f"G_{name}"] = fmask(rng.normal(0, scale, n), keep, 4)
        columns[f"G_{name}_error"] = fmask(rng.uniform(0.02, 0.5, n), keep, 4)
    columns["G_objid"] = columns["G_source_id"]
    for prefix, scale in (("A", 1.0), ("G", 5.0), ("P", 0.5)):
        columns[f"{prefix}_dstArcSec"] = np.round(rng.exponential(scale, n), 6)
        columns[f"{prefix}_contamination"] = rng.integers(0, 30, n)
    for band in "girzy":
        columns[f"P_{band}MeanPSFMag"] = np.round(
            phot[band if band != "y" else "z"][rows] + (0.3 if band == "y" else 0.0), 4
        )
        saturated = columns[f"P_{band}MeanPSFMag"] < 13.5
        columns[f"P_{band}MeanPSFMagErr"] = np.where(saturated, -999.0, err(0.01))
    columns["P_nDetections"] = rng.integers(5, 120, n)
    return columns


def build_disk_detective(sky):
    """
    Build Disk Detective from the shared population.

    Parameters
    ----------
    sky : mastq.emulator.catalogs.store.Sky

    Returns
    -------
    CatalogTable
        Rows in ``designation`` (position) order; ``dstArcSec`` added by cones.
    """
    rng, pop = sky.rng(20), sky.population
    phot = pop.photometry() | {"V": pop.vmag}
    rows = np.flatnonzero((phot["W1"] < 15.0) & (rng.random(len(pop)) < 0.05))
    rows = rows[np.argsort(pop.ra[rows], kind="stable")]
    n, ra, dec = len(rows), pop.ra[rows], pop.dec[rows]
    excess = rng.uniform(0.3, 3.0, n)
    columns = {
        "designation": _strings(sexagesimal_names(ra, dec, prefix="J", sep=".")),
        "ra": np.round(ra, 7),
        "dec": np.round(dec, 7),
    }
    columns["glon"], columns["glat"] = (np.round(x, 7) for x in galactic(ra, dec))
    zoo = [f"AWI{i:07x}" for i in rng.integers(0, 16**7, n).tolist()]
    columns["ZooniverseID"] = _strings(zoo)
    for band, extra in (("w1", 0.0), ("w2", 0.1), ("w3", 0.6), ("w4", 1.0)):
        columns[f"{band}mpro"] = np.round(phot[band.upper()][rows] - extra * excess, 3)
        columns[f"{band}sigmpro"] = np.round(rng.uniform(0.02, 0.2, n), 3)
    for band in "jhk":
        columns[f"{band}_m_2mass"] = np.round(phot[band.upper()][rows], 3)
        columns[f"{band}_msig_2mass"] = np.round(rng.uniform(0.02, 0.06, n), 3)
    columns["j_h"] = np.round(columns["j_m_2mass"] - columns["h_m_2mass"], 3)
    columns["h_k"] = np.round(columns["h_m_2mass"] - columns["k_m_2mass"], 3)
    columns.update(_surveys(rng, phot, sky.gaia_ids, rows))
    number = rng.integers(100_000, 300_000, n)
    columns["previewURL"] = Derived(
        lambda index: _strings([_PREVIEW.format(f"{i}_thumb.png") for i in number[index].tolist()]),
        n,
    )
    columns["sedURL"] = Derived(
        lambda index: _strings([_PREVIEW.format(f"{i}.png") for i in number[index].tolist()]), n
    )
    columns["ZooniverseURL"] = _strings(
        [f"https://talk.diskdetective.org/#/subjects/{z}" for z in zoo]
    )
    return CatalogTable(DD_FIELDS, columns, distance_name="dstArcSec")


DISK_DETECTIVE = register(
    CatalogDef(
        "DiskDetective",
        build=build_disk_detective,
        columns=dd_columns_config,
        config_ids=("Mast.Catalogs.Dd.Cone",),
        histograms=True,
        position_distance=False,
    )
)
