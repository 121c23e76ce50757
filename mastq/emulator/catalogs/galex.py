"""
GALEX (``Mast.Galex.Catalog``) of the local MAST: ultraviolet sources of the merged catalog.

Sources are the hot or nearby stars of the shared population bright enough in the near
ultraviolet (NUV < 23), some also seen in the far ultraviolet.  The service answers
{ra, dec, radius, maxrecords}: at most ``maxrecords`` sources, nearest first, with the
separation as the first column ``distance_arcmin``, as astroquery prints it.
"""

import numpy as np

from mastq.emulator.catalogs.hsc import int_param
from mastq.emulator.catalogs.registry import CatalogDef, register
from mastq.emulator.catalogs.stars import sexagesimal_names
from mastq.emulator.catalogs.table import CatalogTable, fields_of
from mastq.emulator.catalogs.tic_draw import categorical, fmask
from mastq.emulator.model import TableResult
from mastq.emulator.services.sky import cone_select, parse_cone

__all__ = ["GALEX_FIELDS", "GALEX", "build_galex", "galex_columns_config"]

GALEX_FIELDS = fields_of("""
distance_arcmin:float objID:string survey:string ra:float dec:float band:int fov_radius:float
IAUName:string nuv_exptime:float fuv_exptime:float fuv_mag:float fuv_magerr:float
nuv_mag:float nuv_magerr:float fuv_flux:float fuv_fluxerr:float nuv_flux:float
nuv_fluxerr:float e_bv:float ra_cent:float dec_cent:float xCenter:float yCenter:float
SSAPFitsFile:string nuv_flux_auto:float nuv_flux_aper_7:float nuv_artifact:int
fuv_flux_auto:float fuv_flux_aper_7:float fuv_artifact:int
""")
_ZERO_POINTS = {"fuv": 18.82, "nuv": 20.08}
_SURVEYS = ["AIS", "MIS", "DIS", "NGS", "GII"]


def galex_columns_config():
    """The columns config of ``Mast.Galex.Catalog`` (units of the main columns)."""
    config = {
        "distance_arcmin": {"text": "Distance", "vot.datatype": "double", "vot.unit": "arcmin"},
        "ra": {"text": "RA", "vot.datatype": "double", "vot.unit": "deg"},
        "dec": {"text": "Dec", "vot.datatype": "double", "vot.unit": "deg"},
        "fov_radius": {"text": "FOV radius", "vot.datatype": "double", "vot.unit": "deg"},
    }
    for band in ("fuv", "nuv"):
        config[f"{band}_exptime"] = {
            "text": f"{band} exposure",
            "vot.datatype": "double",
            "vot.unit": "s",
        }
        for name in (f"{band}_mag", f"{band}_magerr"):
            config[name] = {"text": name, "vot.datatype": "double", "vot.unit": "mag"}
        for name in (f"{band}_flux", f"{band}_fluxerr"):
            config[name] = {"text": name, "vot.datatype": "double", "vot.unit": "uJy"}
    return config


def build_galex(sky):
    """
    Build the GALEX catalog from the shared population.

    Parameters
    ----------
    sky : mastq.emulator.catalogs.store.Sky

    Returns
    -------
    CatalogTable
        Rows in ``objID`` order; ``distance_arcmin`` is added per query.
    """
    rng, pop = sky.rng(30), sky.population
    nuv_all = pop.vmag + 1.5 + 4.0 * np.clip(pop.bv, 0.0, 2.0)
    rows = np.flatnonzero(nuv_all < 23.0)
    n, ra, dec = len(rows), pop.ra[rows], pop.dec[rows]
    nuv = nuv_all[rows] + rng.normal(0, 0.05, n)
    fuv = nuv + 0.5 + 3.0 * np.clip(pop.bv[rows], 0.0, 2.0)
    has_fuv = fuv < 22.5
    band = np.where(has_fuv, 3, 1)
    columns = {
        "objID": np.asarray(
            [
                str(i)
                for i in np.sort(
                    rng.choice(2**40, n, replace=False) + 6_371_000_000_000_000_000
                ).tolist()
            ],
            dtype=object,
        ),
        "survey": categorical(_SURVEYS, rng.choice(5, n, p=[0.7, 0.15, 0.05, 0.05, 0.05])),
        "ra": ra,
        "dec": dec,
        "band": band,
        "fov_radius": np.round(rng.uniform(0.0, 0.6, n), 6),
        "IAUName": np.asarray(sexagesimal_names(ra, dec, prefix="GALEX J", sep="."), dtype=object),
        "e_bv": np.round(pop.ebv[rows], 4),
        "ra_cent": np.round(ra + rng.normal(0, 0.3, n), 6),
        "dec_cent": np.round(dec + rng.normal(0, 0.3, n), 6),
        "xCenter": np.round(rng.uniform(0, 3840, n), 3),
        "yCenter": np.round(rng.uniform(0, 3840, n), 3),
        "SSAPFitsFile": np.full(n, "", dtype=object),
    }
    for name, mags, keep in (("nuv", nuv, np.ones(n, bool)), ("fuv", fuv, has_fuv)):
        flux = 10 ** (-0.4 * (mags - 23.9))
        columns[f"{name}_exptime"] = fmask(rng.uniform(80, 30000, n), keep, 2)
        columns[f"{name}_mag"] = fmask(mags, keep, 4)
        columns[f"{name}_magerr"] = fmask(0.02 * 10 ** (0.2 * (mags - 18)), keep, 4)
        columns[f"{name}_flux"] = fmask(flux, keep, 4)
        columns[f"{name}_fluxerr"] = fmask(flux * 0.05, keep, 4)
        columns[f"{name}_flux_auto"] = fmask(flux * 1.02, keep, 4)
        columns[f"{name}_flux_aper_7"] = fmask(flux * 0.97, keep, 4)
        columns[f"{name}_artifact"] = np.where(rng.random(n) < 0.05, 4, 0)
    return CatalogTable(GALEX_FIELDS[1:], columns)


def galex_cone(service, params, table):
    """``Mast.Galex.Catalog`` {ra, dec, radius, maxrecords}: nearest sources first."""
    ra, dec, radius = parse_cone(params, service=service)
    limit = int_param(params, "maxrecords", service, default=50000, low=1)
    index, distance = cone_select(table.ra, table.dec, ra, dec, radius)
    index, arcmin = index[:limit], distance[:limit] / 60.0
    base = table.result(index)

    def make_chunk(start, stop):
        return {"distance_arcmin": arcmin[start:stop], **base.make_chunk(start, stop)}

    return TableResult(fields=GALEX_FIELDS, nrows=len(index), make_chunk=make_chunk, cost=base.cost)


GALEX = register(
    CatalogDef(
        "Galex",
        build=build_galex,
        columns=galex_columns_config,
        cone=False,
        filtered=False,
        config_ids=("Mast.Galex.Catalog",),
        extra_services=(("Mast.Galex.Catalog", galex_cone),),
    )
)
