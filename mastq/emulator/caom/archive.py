"""
The sample archive of the local MAST: CAOM observations, their products, star catalogs.

``Archive(seed=0, scale=1)`` holds about 30,000 observations across HST, JWST, TESS,
Kepler, K2, GALEX, PS1, SWIFT, IUE and SPITZER_SHA, half of them within 0.5 deg of the
well-known objects of `mastq.emulator.services.names`; ``scale=40`` holds 1.2 million and still
builds in a fraction of a second, because rows are computed, not stored (see
`mastq.emulator.caom.observations`).
"""

import logging

import numpy as np

from mastq.emulator.caom import products
from mastq.emulator.caom.observations import (
    FILTERED_FIELDS,
    OBSERVATIONS_PER_SCALE,
    OBSID_BASE,
    DenseField,
    Observations,
)
from mastq.emulator.caom.products import ProductFile
from mastq.emulator.model import TableResult
from mastq.emulator.services.names import OBJECTS

__all__ = ["Archive", "ProductFile", "observation_table", "exact_rows_filter"]

log = logging.getLogger(__name__)
_BLOCK = 20000
_CATALOG_SCALE_CAP = 4.0


def observation_table(obs, rows, fields, *, extra=None, cost=None):
    """
    A lazy `TableResult` over some observations.

    Parameters
    ----------
    obs : mastq.emulator.caom.observations.Observations
        The observations.
    rows : numpy.ndarray of int
        The rows of the result, in order.
    fields : sequence of mastq.emulator.model.Field
        The columns of the result, in order.
    extra : dict, optional
        Columns not held by the observations (``distance``...): name -> array aligned
        with ``rows``; ``_selected_`` is always null.
    cost : float, optional
        Simulated seconds of server work (default grows with the row count).

    Returns
    -------
    mastq.emulator.model.TableResult
    """
    rows = np.asarray(rows, dtype=np.int64)
    extra = extra or {}
    fields = tuple(fields)

    def make_chunk(start, stop):
        stop = max(start, stop)
        parts = [
            _chunk(obs, rows, fields, extra, lo, min(lo + _BLOCK, stop))
            for lo in (range(start, stop, _BLOCK) or [start])
        ]
        if len(parts) == 1:
            return parts[0]
        return {f.name: _join([p[f.name] for p in parts]) for f in fields}

    cost = len(rows) * 1e-6 if cost is None else cost
    return TableResult(fields=fields, nrows=len(rows), make_chunk=make_chunk, cost=cost)


def _chunk(obs, rows, fields, extra, start, stop):
    index = rows[start:stop]
    chunk = {}
    for field in fields:
        if field.name == "_selected_":
            chunk[field.name] = np.ma.masked_all(len(index), dtype=bool)
        elif field.name in extra:
            chunk[field.name] = extra[field.name][start:stop]
        else:
            chunk[field.name] = obs.column(field.name, index)
    return chunk


def _join(arrays):
    if any(np.ma.isMaskedArray(a) for a in arrays):
        return np.ma.concatenate([np.ma.asarray(a) for a in arrays])
    return np.concatenate(arrays)


def exact_rows_filter(n):
    """
    A ``Mast.Caom.Filtered`` filter list that matches exactly the first ``n`` rows.

    ``obsid`` of row ``i`` lies in ``[2e9 + 3i, 2e9 + 3i + 2]``, so the range
    ``[2e9, 2e9 + 3n - 1]`` selects rows ``0 .. n-1`` (of an archive of at least ``n``
    observations).

    Parameters
    ----------
    n : int
        Number of rows wanted.

    Returns
    -------
    list of dict
    """
    return [
        {"paramName": "obsid", "values": [{"min": OBSID_BASE, "max": OBSID_BASE + 3 * int(n) - 1}]}
    ]


class Archive:
    """
    The deterministic sample archive behind a local MAST.

    Parameters
    ----------
    seed : int, optional
        Seed of every generated value: two archives with the same seed and scale hold
        the same rows.
    scale : float, optional
        Size factor: about ``30,000 * scale`` observations (and the catalogs' own
        ``scale``-proportional star counts).
    catalog_scale : float, optional
        Size factor of the star catalogs (`mastq.emulator.catalogs.Catalogs`); default
        ``min(scale, 4)``, so that a large CAOM archive (``scale=40``, 1.2 million
        observations, for big-result tests) still builds in seconds.
    dense_field : tuple, optional
        ``(ra, dec, radius, n)``: ``n`` more observations spread uniformly within
        ``radius`` degrees of ``(ra, dec)``, after the others (a crowded field whose cone
        holds more rows than MAST's row limit, without a huge archive).

    Raises
    ------
    ValueError
        If `seed` is not a non-negative integer or `scale` not a positive number
        (`catalog_scale` is checked by the catalogs).

    Examples
    --------
    >>> from mastq.emulator.caom.archive import Archive
    >>> archive = Archive(seed=0, scale=0.1)
    >>> archive.nrows
    3000
    """

    def __init__(self, *, seed=0, scale=1.0, catalog_scale=None, dense_field=()):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        if (
            isinstance(scale, bool)
            or not isinstance(scale, (int, float))
            or not (np.isfinite(scale) and scale > 0)
        ):
            raise ValueError(f"scale: expected a positive number, got {scale!r}")
        self.seed, self.scale = int(seed), float(scale)
        nrows = max(1, int(round(OBSERVATIONS_PER_SCALE * scale)))
        dense = None
        if dense_field:
            ra, dec, radius, extra = dense_field
            dense, nrows = (
                DenseField(float(ra), float(dec), float(radius), nrows),
                nrows + int(extra),
            )
        self.observations = Observations(seed=self.seed, nrows=nrows, dense=dense)
        if catalog_scale is None:
            catalog_scale = min(self.scale, _CATALOG_SCALE_CAP)
        self.catalogs = _make_catalogs(self.seed, catalog_scale)
        log.debug("built archive: %d observations (seed %d)", nrows, self.seed)

    @property
    def nrows(self):
        """Number of CAOM observations."""
        return self.observations.nrows

    def product_file(self, uri):
        """
        The file behind a product ``dataURI``.

        Parameters
        ----------
        uri : str
            E.g. ``"mast:HST/product/j00a1bc3q_drz.fits"``.

        Returns
        -------
        ProductFile or None
            None when no product has this URI.

        Examples
        --------
        >>> archive = Archive()
        >>> found = archive.product_file(
        ...     "mast:JWST/product/jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits")
        >>> found.filename, found.proprietary, len(found.content)
        ('jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits', False, 23040)
        >>> archive.product_file("mast:HST/product/no_such_file.fits") is None
        True
        """
        return products.product_file(self.observations, uri)

    def synthetic_rows(self, n, *, fields=FILTERED_FIELDS):
        """
        A result of exactly ``n`` observation rows (the first ``n``), made lazily.

        Parameters
        ----------
        n : int
            Number of rows, at most `nrows`.
        fields : sequence of Field, optional
            Columns of the result (default those of ``Mast.Caom.Filtered``).

        Returns
        -------
        mastq.emulator.model.TableResult

        Raises
        ------
        ValueError
            If `n` is negative or larger than the archive.

        Examples
        --------
        >>> result = Archive(scale=0.1).synthetic_rows(5)
        >>> result.nrows, [field.name for field in result.fields][:3]
        (5, ['dataproduct_type', 'calib_level', 'obs_collection'])
        """
        if not 0 <= int(n) <= self.nrows:
            raise ValueError(f"n: expected 0 <= n <= {self.nrows} (the archive size), got {n}")
        return observation_table(self.observations, np.arange(int(n)), fields)

    def add_collection(self, name, table):
        """
        Serve a user table as a catalog (see ``Catalogs.add_collection``).

        Parameters
        ----------
        name : str
            The collection name.
        table : astropy.table.Table
            The sources.

        Raises
        ------
        RuntimeError
            If the catalogs part of the emulator is not available.

        Examples
        --------
        >>> import astropy.units as u
        >>> from astropy.table import Table
        >>> archive = Archive()
        >>> archive.add_collection("MyStars", Table({"ra": [150.0], "dec": [2.0],
        ...                                          "flux": [1.5] * u.mJy}))

        Then ``running(archive=archive)`` serves it as ``Catalogs.query_region(...,
        catalog="MyStars")`` (see :doc:`/emulator`).
        """
        if self.catalogs is None:
            raise RuntimeError("add_collection: the emulator's catalogs are not available")
        self.catalogs.add_collection(name, table)


def _make_catalogs(seed, scale):
    try:
        from mastq.emulator.catalogs import Catalogs
    except ImportError as exc:  # the catalogs module is optional for the CAOM side
        log.warning("catalogs unavailable: %s", exc)
        return None
    centres = [(obj.ra, obj.dec) for obj in OBJECTS]
    return Catalogs(seed=seed, scale=scale, centres=centres)
