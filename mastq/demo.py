"""
The main job, end to end against the embedded local MAST: ``mastq demo``.

It starts a local MAST on loopback, points `mastq.conf` at it for the duration,
resolves a target, searches the observations around it (with units), counts them
per mission, lists the products of the first observations and searches the TIC
around the same position.  A newcomer sees the whole package work on a machine
without network access.
"""

import logging
import time

import astropy.units as u
import numpy as np
from astropy.table import Table

from . import conf

__all__ = ["run_demo"]

log = logging.getLogger(__name__)


def run_demo(target="M101", *, radius=0.1 * u.deg, write=print):
    """
    Run the demonstration job against a freshly started local MAST.

    Parameters
    ----------
    target : str, optional
        Object name to resolve (one the local MAST knows, e.g. ``"M101"``).
    radius : `~astropy.units.Quantity` or float, optional
        Search radius; a bare number means degrees.
    write : callable, optional
        Where each line of the report goes (default `print`).

    Returns
    -------
    dict
        ``{"observations": Table, "products": Table, "stars": Table}``.

    Raises
    ------
    mastq.exceptions.ResolverError
        If the local MAST does not know ``target``.
    """
    from .catalogs import Catalogs
    from .emulator import running
    from .observations import Observations

    start = time.perf_counter()
    with running() as url, conf.set_temp("server", url), conf.set_temp("cache", False):
        write(f"local MAST running at {url}")
        position = Observations.resolve_object(target)
        write(f"{target} resolves to {position.to_string('hmsdms', precision=1)} (ICRS)")
        observations = Observations.query_object(target, radius=radius)
        _report_observations(observations, write)
        products = Observations.get_product_list(observations[:3])
        write(f"\n{len(products)} products for the first 3 observations:")
        write(_lines(products["obs_id", "productFilename", "productType", "size"][:8]))
        stars = Catalogs.query_region(position, radius=radius, catalog="Tic")
        write(f"\n{len(stars)} TIC stars within {_angle(radius)} (nearest first):")
        write(_lines(stars["ID", "ra", "dec", "Tmag", "dstArcSec"][:5]))
    write(f"\ndone in {time.perf_counter() - start:.2f} s")
    return {"observations": observations, "products": products, "stars": stars}


def _report_observations(observations, write):
    write(f"\n{len(observations)} observations; per mission:")
    missions, counts = np.unique(np.asarray(observations["obs_collection"]), return_counts=True)
    write(_lines(Table([missions, counts], names=("obs_collection", "n"))))
    write("\nnearest observations (units from the column metadata):")
    columns = ["obs_collection", "obs_id", "s_ra", "s_dec", "t_exptime", "em_min", "distance"]
    write(_lines(observations[columns][:5]))


def _lines(table):
    return "\n".join(table.pformat(max_width=120, max_lines=-1))


def _angle(radius):
    return f"{u.Quantity(radius, u.deg).to(u.arcmin):.1f}"
