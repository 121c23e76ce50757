"""
The files of the HSC spectra, as the Hubble Legacy Archive serves them.

astroquery's ``Catalogs.download_hsc_spectra`` fetches each spectrum from the HLA:
``/cgi-bin/getdata.cgi?config=ops&dataset=<DatasetName>`` (``SpectrumType`` < 2) or
``/cgi-bin/ecfproxy?file_id=<DatasetName>.fits`` (grism spectra); the local MAST answers
both paths with a one-dimensional spectrum (a FITS binary table ``WAVELENGTH``, ``FLUX``,
``ERROR``) made from the spectrum's row, the same bytes at every call.
"""

import io
import zlib

import numpy as np
from astropy.io import fits

__all__ = ["spectrum_fits"]

_RANGES = {0: (5500.0, 10500.0), 1: (2900.0, 5700.0), 2: (8000.0, 17000.0)}


def _row(catalogs, dataset):
    table = catalogs.table("HscSpectra")
    names = np.asarray(table.columns["DatasetName"], dtype=object)
    hits = np.flatnonzero(names == dataset)
    return (table, int(hits[0])) if len(hits) else (table, None)


def spectrum_fits(catalogs, dataset):
    """
    The FITS file of one HSC spectrum.

    Parameters
    ----------
    catalogs : mastq.emulator.catalogs.Catalogs
    dataset : str
        Its ``DatasetName`` (a trailing ``.fits`` is ignored).

    Returns
    -------
    bytes or None
        None when no spectrum has that name.
    """
    # astroquery sends the '+' of a name unencoded: the query string turns it into a blank.
    dataset = dataset.replace(" ", "+")
    dataset = dataset[:-5] if dataset.lower().endswith(".fits") else dataset
    table, row = _row(catalogs, dataset)
    if row is None:
        return None
    kind = int(np.asarray(table.columns["SpectrumType"])[row])
    rng = np.random.default_rng([zlib.crc32(dataset.encode()), 60])
    low, high = _RANGES[kind]
    wavelength = np.linspace(low, high, 512)
    flux = 1e-16 * (1.0 + 0.2 * np.sin(wavelength / 300.0)) + rng.normal(0, 2e-18, 512)
    columns = [
        fits.Column("WAVELENGTH", "D", unit="Angstrom", array=wavelength),
        fits.Column("FLUX", "D", unit="erg/s/cm**2/Angstrom", array=flux),
        fits.Column("ERROR", "D", unit="erg/s/cm**2/Angstrom", array=np.full(512, 2e-18)),
    ]
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "HST"
    primary.header["DATASET"] = dataset
    primary.header["RA_TARG"] = float(table.ra[row])
    primary.header["DEC_TARG"] = float(table.dec[row])
    buffer = io.BytesIO()
    fits.HDUList([primary, fits.BinTableHDU.from_columns(columns, name="SPECTRUM")]).writeto(buffer)
    return buffer.getvalue()
