"""
The main job, end to end against the embedded local MAST: ``mastq demo``.

It starts a local MAST on loopback, points `mastq.conf` at it for the duration,
resolves a famous target, searches the observations around it (with units), counts
them per mission, lists the products of the first observations, keeps the science
FITS files, downloads a few of them (with a progress bar in a terminal), prints where
they are and searches the TIC around the same position.  A newcomer sees the whole
package work on a machine without network access.
"""

import logging
import tempfile
import time
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.table import Table

from . import conf

__all__ = ["run_demo"]

log = logging.getLogger(__name__)


def run_demo(target="M101", *, radius=0.1 * u.deg, download_dir=None, files=3, write=print):
    """
    Run the demonstration job against a freshly started local MAST.

    Parameters
    ----------
    target : str, optional
        Object name to resolve (one the local MAST knows, e.g. ``"M101"``).
    radius : `~astropy.units.Quantity` or float, optional
        Search radius; a bare number means degrees.
    download_dir : str or path, optional
        Where the files go; default a new temporary folder (printed).
    files : int, optional
        How many science FITS files to download.
    write : callable, optional
        Where each line of the report goes (default `print`).

    Returns
    -------
    dict
        ``{"observations": Table, "products": Table, "science": Table,
        "manifest": Table, "stars": Table}``: the search, every product of the first
        observations, their science FITS files and the download manifest (``Local Path``,
        ``Status``...).

    Raises
    ------
    mastq.exceptions.ResolverError
        If the local MAST does not know ``target``.

    Examples
    --------
    >>> import tempfile
    >>> result = run_demo("M31", radius=0.02, download_dir=tempfile.mkdtemp(),
    ...                   write=lambda line: None)
    >>> result["observations"]["s_ra"].unit
    Unit("deg")
    >>> result["manifest"]["Status"].tolist()
    ['COMPLETE', 'COMPLETE', 'COMPLETE']
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
        science = Observations.filter_products(products, productType="SCIENCE", extension="fits")
        write(f"\n{len(science)} of them are science FITS files; downloading {files}:")
        manifest = _download(Observations, science[:files], download_dir, write)
        stars = Catalogs.query_region(position, radius=radius, catalog="Tic")
        write(f"\n{len(stars)} TIC stars within {_angle(radius)} (nearest first):")
        write(_lines(stars["ID", "ra", "dec", "Tmag", "dstArcSec"][:5]))
    write(f"\ndone in {time.perf_counter() - start:.2f} s")
    return {
        "observations": observations,
        "products": products,
        "science": science,
        "manifest": manifest,
        "stars": stars,
    }


def _download(observations, products, download_dir, write):
    folder = download_dir or tempfile.mkdtemp(prefix="mastq-demo-")
    manifest = observations.download_products(products, download_dir=folder)
    if manifest is None:
        return None
    paths = [str(Path(path).relative_to(folder)) for path in manifest["Local Path"]]
    write(
        _lines(
            Table([paths, manifest["Status"], manifest["Size"]], names=("file", "Status", "Size"))
        )
    )
    write(f"the files are in {Path(folder).resolve()}")
    return manifest


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
