"""
The bytes of the sample archive's files: small real FITS files and deterministic others.

A FITS product is a header-only primary HDU (telescope, instrument, target, pointing...)
followed by one float32 image extension with a WCS.  Both headers fit in one 2880-byte
block each, so the size of a file is known without building it (`fits_size`), and the
``size`` column of a product list equals ``len`` of the file served.
"""

import functools
import io

import numpy as np
from astropy.io import fits

__all__ = ["fits_size", "fits_bytes", "blob_bytes", "BLOCK"]

BLOCK = 2880
_MAX_TEXT = 60  # longest string value: keeps every card on one line


def fits_size(ny, nx):
    """
    Size in bytes of the FITS file `fits_bytes` makes for an (ny, nx) image.

    Parameters
    ----------
    ny, nx : int or numpy.ndarray of int
        Image shape.

    Returns
    -------
    int or numpy.ndarray of int
    """
    data_blocks = -(-(np.asarray(ny) * np.asarray(nx) * 4) // BLOCK)
    return 2 * BLOCK + data_blocks * BLOCK


def _image(ny, nx, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:ny, 0:nx]
    image = rng.normal(10.0, 1.0, (ny, nx))
    for _ in range(3):
        cy, cx, flux = rng.uniform(0, ny), rng.uniform(0, nx), rng.uniform(50, 500)
        image += flux * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 4.0)
    return image.astype(np.float32)


@functools.lru_cache(maxsize=256)
def fits_bytes(cards, ny, nx, seed, wcs):
    """
    Build a small FITS file (memoized; thread-safe).

    Parameters
    ----------
    cards : tuple of (str, object) pairs
        Primary header keywords (at most 25; strings are cut to 60 characters).
    ny, nx : int
        Shape of the image extension.
    seed : int
        Seed of the image pixels.
    wcs : tuple of float
        ``(ra, dec, pixel scale in deg)`` of the image centre.

    Returns
    -------
    bytes
        The file, exactly ``fits_size(ny, nx)`` bytes long.
    """
    primary = fits.PrimaryHDU()
    for key, value in cards[:25]:
        primary.header[key] = value[:_MAX_TEXT] if isinstance(value, str) else value
    image = fits.ImageHDU(_image(ny, nx, seed), name="SCI")
    ra, dec, scale = wcs
    for key, value in (
        ("BUNIT", "electrons/s"),
        ("CTYPE1", "RA---TAN"),
        ("CTYPE2", "DEC--TAN"),
        ("CRVAL1", ra),
        ("CRVAL2", dec),
        ("CRPIX1", (nx + 1) / 2),
        ("CRPIX2", (ny + 1) / 2),
        ("CD1_1", -scale),
        ("CD1_2", 0.0),
        ("CD2_1", 0.0),
        ("CD2_2", scale),
    ):
        image.header[key] = value
    buffer = io.BytesIO()
    fits.HDUList([primary, image]).writeto(buffer)
    return buffer.getvalue()


_JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def blob_bytes(kind, size, seed):
    """
    Deterministic bytes of a non-FITS product.

    Parameters
    ----------
    kind : str
        ``"jpg"`` (a JPEG-framed blob) or anything else (ASCII text).
    size : int
        Length of the result.
    seed : int
        Seed of the content.

    Returns
    -------
    bytes
        Exactly ``size`` bytes.
    """
    rng = np.random.default_rng(seed)
    if kind == "jpg":
        body = rng.integers(0, 256, size - len(_JPEG_HEAD) - 2, dtype=np.uint8).tobytes()
        return _JPEG_HEAD + body + b"\xff\xd9"
    line = b"mastq sample archive auxiliary file; seed %d\n" % seed
    return (line * (size // len(line) + 1))[:size]
