"""
Data products of the sample archive's observations (``Mast.Caom.Products``) and their files.

Each observation has 2 to 6 products, the first ones of its mission's template list (the
science file ``dataURL`` points to, a preview, then auxiliary files).  A product file name
is ``<obs_id in lower case>_<suffix>.<ext>`` and its URI ``mast:<mission>/product/<name>``;
the name leads back to the observation, so files are made on request, never stored.  HST
observations taken together (`association_owner`) also list their association's shared
product, owned by its first member.  A product's ``dataRights`` is its owner's: files of
observations not yet public (``EXCLUSIVE_ACCESS`` or ``RESTRICTED``) need a token.
"""

import re
from dataclasses import dataclass

import numpy as np

from mastq.emulator.caom import caomtext
from mastq.emulator.caom.fitsfiles import blob_bytes, fits_bytes, fits_size
from mastq.emulator.caom.textcols import compose, const, hash_int, ustr
from mastq.emulator.caom.vocab import DATA_RIGHTS
from mastq.emulator.model import Field

__all__ = [
    "PRODUCT_FIELDS",
    "ProductFile",
    "product_rows",
    "product_file",
    "n_products",
    "association_owner",
    "SHARED_K",
]

PRODUCT_FIELDS = tuple(
    Field(n, t)
    for n, t in (
        ("obsID", "string"),
        ("obs_collection", "string"),
        ("dataproduct_type", "string"),
        ("obs_id", "string"),
        ("description", "string"),
        ("type", "string"),
        ("dataURI", "string"),
        ("productType", "string"),
        ("productGroupDescription", "string"),
        ("productSubGroupDescription", "string"),
        ("productDocumentationURL", "string"),
        ("project", "string"),
        ("prvversion", "string"),
        ("proposal_id", "string"),
        ("productFilename", "string"),
        ("size", "int"),
        ("parent_obsid", "string"),
        ("dataRights", "string"),
        ("calib_level", "int"),
        ("filters", "string"),
        ("_selected_", "boolean"),
    )
)
"""Fields of ``Mast.Caom.Products``: the 20 of today's MAST, in its order, then the portal's
``_selected_`` (always null, as in the recording; astroquery drops it)."""

S_NPRODUCTS, S_PRODUCT = 60, 61
_MRP = "Minimum Recommended Products"
_SCI, _PRE, _AUX = "SCIENCE", "PREVIEW", "AUXILIARY"
_ASSOCIATION_BLOCK = 16


@dataclass(frozen=True)
class _Template:
    suffix: str  # e.g. "drz.fits"
    description: str
    product_type: str
    group: object  # productGroupDescription or None
    side: int  # image side in pixels (FITS), or size scale in bytes (others)
    calib: int  # calib_level of the product, -1: the observation's


def _t(suffix, description, product_type, group=None, side=32, calib=-1):
    return _Template(suffix, description, product_type, group, side, calib)


_TEMPLATES = {
    "HST": (
        _t("drz.fits", "DADS DRZ file - Calibrated combined image", _SCI, _MRP, 64, 3),
        _t("drz.jpg", "Preview-Full", _PRE, None, 6000),
        _t("flt.fits", "DADS FLT file - Calibrated exposure", _SCI, None, 48, 2),
        _t("raw.fits", "DADS RAW file - Raw exposure", _SCI, None, 48, 1),
        _t("spt.fits", "DADS SPT file - Engineering telemetry", _AUX, None, 8, 1),
        _t("trl.txt", "DADS TRL file - Processing log", _AUX, None, 3000),
    ),
    "JWST": (
        _t("i2d.fits", "Level 3 resampled image", _SCI, _MRP, 64, 3),
        _t("i2d.jpg", "Preview-Full", _PRE, None, 8000),
        _t("cal.fits", "Level 2 calibrated exposure", _SCI, None, 48, 2),
        _t("uncal.fits", "Level 1 uncalibrated exposure", _SCI, None, 48, 1),
        _t("asn.txt", "Association table", _AUX, None, 1500),
        _t("log.txt", "Pipeline log", _AUX, None, 2500),
    ),
    "TESS": (
        _t("lc.fits", "Light curves", _SCI, _MRP, 40),
        _t("tp.fits", "Target pixel files", _SCI, None, 24),
        _t("dvt.fits", "Data validation time series", _SCI, None, 24),
        _t("dvr.txt", "Data validation full report", _AUX, None, 4000),
        _t("lc.jpg", "Preview-Full", _PRE, None, 5000),
        _t("dvs.txt", "Data validation summary", _AUX, None, 2000),
    ),
    "GALEX": (
        _t("nd-int.fits", "NUV intensity map", _SCI, _MRP, 64),
        _t("xd-int_2color.jpg", "Preview-Full", _PRE, None, 7000),
        _t("nd-cnt.fits", "NUV count map", _SCI, None, 48),
        _t("nd-rrhr.fits", "NUV relative response", _AUX, None, 32),
        _t("xd-mcat.txt", "Merged catalog", _AUX, None, 5000),
        _t("nd-skybg.fits", "NUV sky background", _AUX, None, 32),
    ),
}
_GENERIC = (
    _t("cal.fits", "Calibrated data", _SCI, _MRP, 48),
    _t("preview.jpg", "Preview-Full", _PRE, None, 5000),
    _t("raw.fits", "Raw data", _SCI, None, 40, 1),
    _t("unc.fits", "Uncertainty map", _AUX, None, 32),
    _t("log.txt", "Processing log", _AUX, None, 2000),
    _t("hdr.txt", "Header listing", _AUX, None, 1500, 1),
)
_SHARED = {"HST": _t("asn.fits", "DADS ASN file - Association table", _AUX, None, 8, 1)}
"""The product an association's first member owns and every member lists (HST)."""
SHARED_K = 6
"""Template index of the shared product (own products use 0 .. 5)."""
_VERSION = {"JWST": "1.12.5", "TESS": "spoc-5.0.40", "Kepler": "9.3", "K2": "9.3"}


def _templates(mission):
    if mission in _TEMPLATES:
        own = _TEMPLATES[mission]
    elif caomtext.DATA_SUFFIX.get(mission) is None:
        own = _GENERIC
    else:
        science = caomtext.DATA_SUFFIX[mission]
        own = (_t(science, _GENERIC[0].description, _SCI, _MRP, 48),) + _GENERIC[1:]
    return own + ((_SHARED[mission],) if mission in _SHARED else ())


_ALL_TEMPLATES = {m: _templates(m) for m in caomtext.MISSION_NAMES}
_COLUMNS = {
    m: {
        "suffix": np.array([t.suffix for t in ts]),
        "description": np.array([t.description for t in ts]),
        "productType": np.array([t.product_type for t in ts]),
        "group": np.array([t.group or "" for t in ts]),
        "subgroup": np.array([t.suffix.split(".")[0].upper() for t in ts]),
        "calib": np.array([t.calib for t in ts]),
    }
    for m, ts in _ALL_TEMPLATES.items()
}
_HST = caomtext.MISSION_NAMES.index("HST")


def n_products(obs, rows):
    """Number of own products (2 to 6) of the observations ``rows``."""
    return 2 + (hash_int(obs.seed, rows, S_NPRODUCTS) % np.uint64(5)).astype(np.int64)


def association_owner(obs, rows):
    """
    The observation owning each row's association product, or -1 (array-aware).

    The HST observations of one setup within a block of 16 rows form an association (when
    there are at least two); its first member owns the shared ``asn`` product.

    Parameters
    ----------
    obs : mastq.emulator.caom.observations.Observations
        The observations.
    rows : numpy.ndarray of int
        Observation rows.

    Returns
    -------
    numpy.ndarray of int
    """
    rows = np.asarray(rows, dtype=np.int64)
    neighbours = (rows - rows % _ASSOCIATION_BLOCK)[:, None] + np.arange(_ASSOCIATION_BLOCK)
    inside = neighbours < obs.nrows
    neighbours = np.minimum(neighbours, obs.nrows - 1)
    same = inside & (obs.setup[neighbours] == obs.setup[rows][:, None])
    first = neighbours[np.arange(len(rows)), same.argmax(axis=1)]
    member = (obs.mission[rows] == _HST) & (same.sum(axis=1) >= 2)
    return np.where(member, first, -1)


def _sizes(obs, rows, k, templates):
    """Byte size and image side of product ``k`` of each row (one mission)."""
    h = hash_int(obs.seed, rows * 8 + k, S_PRODUCT)
    side = np.array([t.side for t in templates])[k]
    is_fits = np.array([t.suffix.endswith(".fits") for t in templates])[k]
    ny = side * (1 + (h % np.uint64(3)).astype(np.int64))
    blob = side + (h % np.uint64(997)).astype(np.int64)
    return np.where(is_fits, fits_size(ny, side), blob), ny, side


def _mission_products(obs, mission, parent, owner, k):
    """
    Product columns (all of one mission): product ``k`` of ``owner``, listed for ``parent``.
    """
    column = _COLUMNS[mission]
    n = len(parent)
    obs_id = caomtext.build("obs_id", obs, owner).filled("")
    filename = compose([caomtext.lower(ustr(obs_id)), const("_", n), ustr(column["suffix"][k])])
    group, calib = column["group"][k], column["calib"][k]
    version = _VERSION.get(mission)
    return {
        "obsID": obs.obsid(owner),
        "obs_id": obs_id,
        "obs_collection": obs.strings("obs_collection", owner),
        "dataproduct_type": obs.strings("dataproduct_type", owner),
        "description": column["description"][k],
        "type": np.full(n, "S"),
        "dataURI": compose([const(f"mast:{mission}/product/", n), ustr(filename)]),
        "productType": column["productType"][k],
        "productGroupDescription": np.ma.masked_array(group, mask=group == ""),
        "productSubGroupDescription": column["subgroup"][k],
        "productDocumentationURL": np.ma.masked_all(n, dtype="<U1"),
        "project": obs.strings("project", owner),
        "prvversion": np.ma.masked_array(np.full(n, version or ""), mask=version is None),
        "proposal_id": caomtext.build("proposal_id", obs, owner),
        "productFilename": filename,
        "size": _sizes(obs, owner, k, _ALL_TEMPLATES[mission])[0].astype(np.int64),
        "parent_obsid": obs.obsid(parent),
        "dataRights": DATA_RIGHTS[obs.rights[owner]],
        "calib_level": np.where(calib >= 0, calib, obs.calib_level[owner]).astype(np.int64),
        "filters": obs.strings("filters", owner),
        "_selected_": np.ma.masked_all(n, dtype=bool),
    }


def product_rows(obs, rows):
    """
    The product table of some observations, in the order of ``rows``.

    Each observation lists its own products, then (HST association members) the product
    its association shares: ``parent_obsid`` is the observation asked for, ``obsID`` the
    owner, so a shared product appears under every member asked for, with one ``dataURI``.

    Parameters
    ----------
    obs : mastq.emulator.caom.observations.Observations
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
    own, association = n_products(obs, rows), association_owner(obs, rows)
    total = own + (association >= 0)
    asked = np.repeat(np.arange(len(rows)), total)
    k = np.arange(total.sum()) - np.repeat(np.cumsum(total) - total, total)
    shared = k == own[asked]
    parent = rows[asked]
    owner = np.where(shared, association[asked], parent)
    k = np.where(shared, SHARED_K, k)
    missions = obs.mission[parent]
    blocks, places = [], []
    for mission in np.unique(missions):
        where = np.flatnonzero(missions == mission)
        blocks.append(
            _mission_products(
                obs, caomtext.MISSION_NAMES[mission], parent[where], owner[where], k[where]
            )
        )
        places.append(where)
    order = np.argsort(np.concatenate(places), kind="stable")
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
            if row is not None and _owns(obs, row, k):
                return mission, filename, row, k
    return None


def _owns(obs, row, k):
    rows = np.array([row])
    if k == SHARED_K:
        return association_owner(obs, rows)[0] == row
    return k < n_products(obs, rows)[0]


def product_file(obs, uri):
    """
    The file behind a product URI.

    Parameters
    ----------
    obs : mastq.emulator.caom.observations.Observations
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
        content = fits_bytes(
            _cards(obs, row, mission, filename),
            ny,
            nx,
            seed,
            (float(obs.s_ra[row]), float(obs.s_dec[row]), 1e-4),
        )
    else:
        content = blob_bytes(ext, size, seed)
    return ProductFile(
        uri=uri,
        filename=filename,
        content=content,
        proprietary=bool(obs.proprietary[row]),
        content_type=_CONTENT_TYPES.get(ext, "application/octet-stream"),
    )


def _cards(obs, row, mission, filename):
    rows = np.array([row])
    text = {name: obs.strings(name, rows) for name in ("instrument_name", "filters", "target_name")}
    return (
        ("TELESCOP", mission),
        ("INSTRUME", str(text["instrument_name"][0])),
        ("FILTER", str(text["filters"][0])),
        ("TARGNAME", str(np.ma.filled(text["target_name"], "")[0])),
        ("RA_TARG", float(obs.s_ra[row])),
        ("DEC_TARG", float(obs.s_dec[row])),
        ("EXPTIME", float(obs.t_exptime[row])),
        ("EXPSTART", float(obs.t_min[row])),
        ("EXPEND", float(obs.t_max[row])),
        ("OBSID", int(obs.obsid(rows)[0])),
        ("FILENAME", filename),
        ("ORIGIN", "mastq emulator"),
    )
