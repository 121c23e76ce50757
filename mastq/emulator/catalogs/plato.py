"""
The PLATO Input Catalogue (``Mast.Catalogs.Plato.Cone``, DR1) of the local MAST.

Sources are the F5-K7 dwarfs and subgiants of the shared population with V < 13 (PLATO's
stellar samples), each with its Gaia DR3 ``source_id``.  No recording of MAST's answer
exists in ``mast-reference``: the field names follow the PIC's published columns and may
need refining when one is recorded.  Cones add ``dstArcSec``.
"""

import numpy as np

from mastq.emulator.catalogs.registry import CatalogDef, register
from mastq.emulator.catalogs.stars import DWARF
from mastq.emulator.catalogs.table import CatalogTable, Derived, fields_of
from mastq.emulator.catalogs.tic_draw import categorical

__all__ = ["PLATO_FIELDS", "PLATO", "build_plato", "plato_columns_config"]

PLATO_FIELDS = fields_of("""
PICidDR1:string sourceId:string ra:float dec:float pmra:float pmdec:float parallax:float
gaiaGmag:float gaiaBPmag:float gaiaRPmag:float Vmag:float Teff:float eTeff:float
radius:float eRadius:float mass:float eMass:float logg:float sample:string
""")
_UNITS = {
    "ra": "deg",
    "dec": "deg",
    "pmra": "mas/yr",
    "pmdec": "mas/yr",
    "parallax": "mas",
    "gaiaGmag": "mag",
    "gaiaBPmag": "mag",
    "gaiaRPmag": "mag",
    "Vmag": "mag",
    "Teff": "K",
    "eTeff": "K",
    "radius": "solRad",
    "eRadius": "solRad",
    "mass": "solMass",
    "eMass": "solMass",
    "logg": "cgs",
    "dstArcSec": "arcsec",
}
_DATATYPES = {"float": "double", "string": "char", "int": "int"}


def plato_columns_config():
    """The columns config of ``Mast.Catalogs.Plato.Cone`` (a new dict)."""
    config = {f.name: {"text": f.name, "vot.datatype": _DATATYPES[f.type]} for f in PLATO_FIELDS}
    config["PICidDR1"]["vot.datatype"] = config["sourceId"]["vot.datatype"] = "long"
    config["dstArcSec"] = {"text": "Distance", "vot.datatype": "double"}
    for name, unit in _UNITS.items():
        config[name]["vot.unit"] = unit
    return config


def build_plato(sky):
    """
    Build the PIC from the shared population.

    Parameters
    ----------
    sky : mastq.emulator.catalogs.store.Sky

    Returns
    -------
    CatalogTable
        Rows in ``PICidDR1`` order.
    """
    rng, pop = sky.rng(40), sky.population
    rows = np.flatnonzero(
        (pop.vmag < 13.0)
        & (pop.teff > 3900)
        & (pop.teff < 6700)
        & (pop.lumclass == DWARF)
        & (sky.gaia_ids > 0)
    )
    n, phot = len(rows), pop.photometry()
    ids = np.arange(1, n + 1) * 7 + 1_000_000
    gaia = sky.gaia_ids[rows]
    teff = np.round(pop.teff[rows] * rng.normal(1.0, 0.02, n), 1)
    columns = {
        "PICidDR1": Derived(lambda index: np.array([str(i) for i in ids[index]], dtype=object), n),
        "sourceId": Derived(lambda index: np.array([str(i) for i in gaia[index]], dtype=object), n),
        "ra": pop.ra[rows],
        "dec": pop.dec[rows],
        "pmra": np.round(pop.pmra[rows], 4),
        "pmdec": np.round(pop.pmdec[rows], 4),
        "parallax": np.round(1000.0 / pop.distance[rows], 4),
        "gaiaGmag": np.round(phot["G"][rows], 4),
        "gaiaBPmag": np.round(phot["BP"][rows], 4),
        "gaiaRPmag": np.round(phot["RP"][rows], 4),
        "Vmag": np.round(pop.vmag[rows], 3),
        "Teff": teff,
        "eTeff": np.round(rng.uniform(60, 150, n), 1),
        "radius": np.round(pop.radius[rows], 4),
        "eRadius": np.round(pop.radius[rows] * 0.04, 4),
        "mass": np.round(pop.mass[rows], 4),
        "eMass": np.round(pop.mass[rows] * 0.1, 4),
        "logg": np.round(pop.logg[rows], 3),
        "sample": categorical(["P1", "P5"], (pop.vmag[rows] > 11.0).astype(int)),
    }
    return CatalogTable(PLATO_FIELDS, columns, distance_name="dstArcSec")


PLATO = register(CatalogDef("Plato", build=build_plato, columns=plato_columns_config))
