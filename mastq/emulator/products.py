"""
Data products of the sample archive's observations (``Mast.Caom.Products``) and their files.

Each observation has 2 to 6 products, the first ones of its mission's template list (the
science file ``dataURL`` points to, a preview, then auxiliary files).  A product file name
is ``<obs_id in lower case>_<suffix>.<ext>`` and its URI ``mast:<mission>/product/<name>``;
the name leads back to the observation, so files are made on request, never stored.
"""

import re
from dataclasses import dataclass

import numpy as np

from mastq.emulator import caomtext
from mastq.emulator.fitsfiles import blob_bytes, fits_bytes, fits_size
from mastq.emulator.model import Field
from mastq.emulator.textcols import compose, const, hash_int, ustr

__all__ = ["PRODUCT_FIELDS", "ProductFile", "product_rows", "product_file", "n_products"]

PRODUCT_FIELDS = tuple(Field(n, t) for n, t in (
    ("obsID", "string"), ("obs_collection", "string"), ("dataproduct_type", "string"),
    ("obs_id", "string"), ("description", "string"), ("type", "string"),
    ("dataURI", "string"), ("productType", "string"), ("productGroupDescription", "string"),
    ("productSubGroupDescription", "string"), ("productDocumentationURL", "string"),
    ("project", "string"), ("prvversion", "string"), ("productFilename", "string"),
    ("size", "int"), ("_selected_", "boolean")))
"""Fields of ``Mast.Caom.Products``, in the recorded order."""

S_NPRODUCTS, S_PRODUCT = 60, 61
_MRP = "Minimum Recommended Products"
_SCI, _PRE, _AUX = "SCIENCE", "PREVIEW", "AUXILIARY"


@dataclass(frozen=True)
class _Template:
    suffix: str        # e.g. "drz.fits"
    description: str
    product_type: str
    group: object      # productGroupDescription or None
    side: int          # image side in pixels (FITS), or size scale in bytes (others)


def _t(suffix, description, product_type, group=None, side=32):
    return _Template(suffix, description, product_type, group, side)


_TEMPLATES = {
    "HST": (_t("drz.fits", "DADS DRZ file - Calibrated combined image", _SCI, _MRP, 64),
            _t("drz.jpg", "Preview-Full", _PRE, None, 6000),
            _t("flt.fits", "DADS FLT file - Calibrated exposure", _SCI, None, 48),
            _t("raw.fits", "DADS RAW file - Raw exposure", _SCI, None, 48),
            _t("spt.fits", "DADS SPT file - Engineering telemetry", _AUX, None, 8),
            _t("trl.txt", "DADS TRL file - Processing log", _AUX, None, 3000)),
    "JWST": (_t("i2d.fits", "Level 3 resampled image", _SCI, _MRP, 64),
             _t("i2d.jpg", "Preview-Full", _PRE, None, 8000),
             _t("cal.fits", "Level 2 calibrated exposure", _SCI, None, 48),
             _t("uncal.fits", "Level 1 uncalibrated exposure", _SCI, None, 48),
             _t("asn.txt", "Association table", _AUX, None, 1500),
             _t("log.txt", "Pipeline log", _AUX, None, 2500)),
    "TESS": (_t("lc.fits", "Light curves", _SCI, _MRP, 40),
             _t("tp.fits", "Target pixel files", _SCI, None, 24),
             _t("dvt.fits", "Data validation time series", _SCI, None, 24),
             _t("dvr.txt", "Data validation full report", _AUX, None, 4000),
             _t("lc.jpg", "Preview-Full", _PRE, None, 5000),
             _t("dvs.txt", "Data validation summary", _AUX, None, 2000)),
    "GALEX": (_t("nd-int.fits", "NUV intensity map", _SCI, _MRP, 64),
              _t("xd-int_2color.jpg", "Preview-Full", _PRE, None, 7000),
              _t("nd-cnt.fits", "NUV count map", _SCI, None, 48),
              _t("nd-rrhr.fits", "NUV relative response", _AUX, None, 32),
              _t("xd-mcat.txt", "Merged catalog", _AUX, None, 5000),
              _t("nd-skybg.fits", "NUV sky background", _AUX, None, 32)),
}
_GENERIC = (_t("cal.fits", "Calibrated data", _SCI, _MRP, 48),
            _t("preview.jpg", "Preview-Full", _PRE, None, 5000),
            _t("raw.fits", "Raw data", _SCI, None, 40),
            _t("unc.fits", "Uncertainty map", _AUX, None, 32),
            _t("log.txt", "Processing log", _AUX, None, 2000),
            _t("hdr.txt", "Header listing", _AUX, None, 1500))
_VERSION = {"JWST": "1.12.5", "TESS": "spoc-5.0.40", "Kepler": "9.3", "K2": "9.3"}


def _templates(mission):
    if mission in _TEMPLATES:
        return _TEMPLATES[mission]
    science = caomtext.DATA_SUFFIX.get(mission)
    if science is None:
        return _GENERIC
    return (_t(science, _GENERIC[0].description, _SCI, _MRP, 48),) + _GENERIC[1:]


_ALL_TEMPLATES = {m: _templates(m) for m in caomtext.MISSION_NAMES}


def n_products(obs, rows):
    """Number of products (2 to 6) of the observations ``rows``."""
    return 2 + (hash_int(obs.seed, rows, S_NPRODUCTS) % np.uint64(5)).astype(np.int64)


def _sizes(obs, rows, k, templates):
    """Byte size and image side of product ``k`` of each row (one mission)."""
    h = hash_int(obs.seed, rows * 8 + k, S_PRODUCT)
    side = np.array([t.side for t in templates])[k]
    is_fits = np.array([t.suffix.endswith(".fits") for t in templates])[k]
    ny = side * (1 + (h % np.uint64(3)).astype(np.int64))
    blob = side + (h % np.uint64(997)).astype(np.int64)
    return np.where(is_fits, fits_size(ny, side), blob), ny, side


def _mission_products(obs, mission, rows):
    """Product columns of the observations ``rows`` (all of one mission)."""
    templates = _ALL_TEMPLATES[mission]
    count = n_products(obs, rows)
    parent = np.repeat(rows, count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    n = len(parent)
    stem = caomtext.lower(ustr(caomtext.build("obs_id", obs, parent).filled("")))
    suffix = ustr(np.array([t.suffix for t in templates])[k])
    filename = compose([stem, const("_", n), suffix])
    group = np.array([t.group or "" for t in templates])[k]
    version = _VERSION.get(mission)
    return {
        "obsID": obs.obsid(parent), "obs_id": caomtext.build("obs_id", obs, parent).filled(""),
        "obs_collection": obs.strings("obs_collection", parent),
        "dataproduct_type": obs.strings("dataproduct_type", parent),
        "description": np.array([t.description for t in templates])[k],
        "type": np.full(n, "S"),
        "dataURI": compose([const(f"mast:{mission}/product/", n), ustr(filename)]),
        "productType": np.array([t.product_type for t in templates])[k],
        "productGroupDescription": np.ma.masked_array(group, mask=group == ""),
        "productSubGroupDescription": np.char.upper(
            np.array([t.suffix.split(".")[0] for t in templates])[k]),
        "productDocumentationURL": np.ma.masked_all(n, dtype="<U1"),
        "project": obs.strings("project", parent),
        "prvversion": np.ma.masked_array(np.full(n, version or ""), mask=version is None),
        "productFilename": filename,
        "size": _sizes(obs, parent, k, templates)[0].astype(np.int64),
        "_selected_": np.ma.masked_all(n, dtype=bool),
    }


def product_rows(obs, rows):
    """
    The product table of some observations, in the order of ``rows``.

    Parameters
    ----------
    obs : mastq.emulator.caom.Observations
        The observations.
    rows : numpy.ndarray of int
        Observation rows, in the order wanted.

    Returns
    -------
    dict
        Field name -> numpy array (masked where null), one entry per product.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return {f.name: np.array([]) for f in PRODUCT_FIELDS}
    missions = obs.mission[rows]
    blocks, owners = [], []
    for mission in np.unique(missions):
        where = np.flatnonzero(missions == mission)
        blocks.append(_mission_products(obs, caomtext.MISSION_NAMES[mission], rows[where]))
        owners.append(np.repeat(where, n_products(obs, rows[where])))
    order = np.argsort(np.concatenate(owners), kind="stable")
    return {f.name: _concatenate([b[f.name] for b in blocks])[order] for f in PRODUCT_FIELDS}


def _concatenate(arrays):
    if any(np.ma.isMaskedArray(a) for a in arrays):
        return np.ma.concatenate([np.ma.asarray(a) for a in arrays])
    return np.concatenate(arrays)


@dataclass(frozen=True)
class ProductFile:
    """
    A file of the sample archive.

    Parameters
    ----------
    uri : str
        Its ``dataURI`` (``mast:HST/product/...``).
    filename : str
        Its file name.
    content : bytes
        Its bytes.
    proprietary : bool
        True when it needs a token (its observation is not yet public).
    content_type : str
        MIME type to serve it with.
    """

    uri: str
    filename: str
    content: bytes
    proprietary: bool
    content_type: str


_URI = re.compile(r"mast:([A-Za-z0-9_]+)/product/([^/]+)")
_CONTENT_TYPES = {"fits": "application/fits", "jpg": "image/jpeg", "txt": "text/plain"}


def _locate(obs, uri):
    match = _URI.fullmatch(uri) if isinstance(uri, str) else None
    if match is None or match.group(1) not in _ALL_TEMPLATES:
        return None
    mission, filename = match.groups()
    for k, template in enumerate(_ALL_TEMPLATES[mission]):
        tail = "_" + template.suffix
        if filename.endswith(tail):
            row = caomtext.row_of_obs_id(obs, mission, filename[: -len(tail)])
            if row is not None and k < n_products(obs, np.array([row]))[0]:
                return mission, filename, row, k
    return None


def product_file(obs, uri):
    """
    The file behind a product URI.

    Parameters
    ----------
    obs : mastq.emulator.caom.Observations
        The observations.
    uri : str
        A ``dataURI`` of a product list.

    Returns
    -------
    ProductFile or None
        None when no product has this URI.
    """
    found = _locate(obs, uri)
    if found is None:
        return None
    mission, filename, row, k = found
    templates = _ALL_TEMPLATES[mission]
    rows = np.array([row])
    size, ny, nx = (int(v[0]) for v in _sizes(obs, rows, np.array([k]), templates))
    seed = int(hash_int(obs.seed, rows * 8 + k, S_PRODUCT)[0] % np.uint64(2**31))
    ext = filename.rsplit(".", 1)[-1]
    if ext == "fits":
        content = fits_bytes(_cards(obs, row, mission, filename), ny, nx, seed,
                             (float(obs.s_ra[row]), float(obs.s_dec[row]), 1e-4))
    else:
        content = blob_bytes(ext, size, seed)
    return ProductFile(uri=uri, filename=filename, content=content,
                       proprietary=bool(obs.proprietary[row]),
                       content_type=_CONTENT_TYPES.get(ext, "application/octet-stream"))


def _cards(obs, row, mission, filename):
    rows = np.array([row])
    text = {name: obs.strings(name, rows) for name in
            ("instrument_name", "filters", "target_name")}
    return (("TELESCOP", mission), ("INSTRUME", str(text["instrument_name"][0])),
            ("FILTER", str(text["filters"][0])),
            ("TARGNAME", str(np.ma.filled(text["target_name"], "")[0])),
            ("RA_TARG", float(obs.s_ra[row])), ("DEC_TARG", float(obs.s_dec[row])),
            ("EXPTIME", float(obs.t_exptime[row])), ("EXPSTART", float(obs.t_min[row])),
            ("EXPEND", float(obs.t_max[row])), ("OBSID", int(obs.obsid(rows)[0])),
            ("FILENAME", filename), ("ORIGIN", "mastq emulator"))
