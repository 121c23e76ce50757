"""
The Hubble Source Catalog (HSC v2 and v3) of the local MAST, its matches and its spectra.

Sources are the stars of the shared population fainter than V = 12 (HST saturates the
brighter ones), each a "match" of detections in a few WFC3 (``W3_``), WFPC2 (``W2_``) and
ACS (``A_``) filters.  Field names, Mashup types and order are those of the recorded
answers (``hsc.json``, ``matchid.json``, ``spectra.json``):

- ``Mast.Hsc.Db.v3`` / ``v2`` {ra, dec, radius, nr, ni, magtype}: matches in the cone,
  nearest first, at most ``nr`` rows, ``Distance`` (arcmin) the second column; the
  filter magnitudes are MagAper2 (``magtype=1``) or MagAuto (``magtype=2``);
- ``Mast.HscMatches.Db.v3`` / ``v2`` {input: MatchID}: the detections of one match;
- ``Mast.HscSpectra.Db.All`` {}: every HSC spectrum (``DatasetName`` names its file).
"""

import numpy as np

from mastq.emulator.catalogs.registry import CatalogDef, register
from mastq.emulator.catalogs.stars import sexagesimal_names
from mastq.emulator.catalogs.table import CatalogTable, Derived, fields_of
from mastq.emulator.catalogs.tic_draw import categorical, unique_ids
from mastq.emulator.model import Field, ServiceError, TableResult
from mastq.emulator.services.sky import cone_select, parse_cone

__all__ = [
    "int_param",
    "HSC_FILTERS",
    "HSC_V3",
    "HSC_V2",
    "HSC_SPECTRA",
    "MATCH_FIELDS",
    "SPECTRA_FIELDS",
]

# (column prefix, photometric band of the population it follows, offset, detection odds)
HSC_FILTERS = (
    ("W2_F255W", "u", 0.4, 0.05),
    ("W3_F275W", "u", 0.2, 0.25),
    ("W2_F336W", "u", 0.0, 0.05),
    ("W3_F336W", "u", -0.1, 0.3),
    ("W3_F438W", "B", 0.0, 0.35),
    ("W2_F439W", "B", 0.05, 0.05),
    ("W2_F555W", "V", 0.0, 0.08),
    ("A_F606W", "V", -0.2, 0.55),
    ("A_F814W", "i", 0.0, 0.6),
)
_HEAD = (
    "MatchID:int Distance:float MatchRA:float MatchDec:float DSigma:float "
    "AbsCorr:string NumFilters:int NumVisits:int NumImages:int StartMJD:float "
    "StopMJD:float TargetName:string CI:float CI_Sigma:float KronRadius:float "
    "KronRadius_Sigma:float Extinction:float SpectrumFlag:string"
)
_FIELDS = (
    fields_of(_HEAD)
    + tuple(
        Field(f"{name}{suffix}", kind)
        for name, *_ in HSC_FILTERS
        for suffix, kind in (("", "float"), ("_Sigma", "float"), ("_N", "int"))
    )
    + (Field("_selected_", "boolean"),)
)
MATCH_FIELDS = fields_of("""
CatID:int MatchID:int MemID:int SourceID:int ImageID:int Det:string MatchRA:float
MatchDec:float SourceRA:float SourceDec:float D:float DSigma:float AbsCorr:string
XImage:float YImage:float ImageName:string Instrument:string Mode:string Detector:string
Aperture:string ExposureTime:float StartMJD:float StopMJD:float WaveLength:float
Filter:string TargetName:string FluxAper2:float MagAper2:float MagAuto:float PropID:int
CI:float KronRadius:float Flags:int naxis:string crpix:string crval:string cd_matrix:string
_selected_:boolean""")
SPECTRA_FIELDS = fields_of("""
ObjID:int DatasetName:string MatchID:string RA:float Dec:float TargetName:string
ObjectType:string SpectrumType:int Notes:string Detector:string Aperture:string
SpectralElement:string Wavelength:float ExposureTime:float PropID:int HSCMatch:string
_selected_:boolean""")
_INSTRUMENTS = {
    "W2": ("WFPC2", "WFPC2", "WFALL"),
    "W3": ("WFC3", "WFC3/UVIS", "UVIS-CENTER"),
    "A": ("ACS", "ACS/WFC", "WFC"),
}
_WAVELENGTH = {
    "F255W": 2599.4,
    "F275W": 2703.7,
    "F336W": 3354.7,
    "F438W": 4326.2,
    "F439W": 4311.0,
    "F555W": 5439.0,
    "F606W": 5921.9,
    "F814W": 8045.0,
}
_TARGETS = (
    "M-15",
    "NGC-104",
    "M-101",
    "OMEGA-CEN",
    "NGC-6397",
    "M-31-DISK",
    "HUDF",
    "COSMOS-FIELD",
    "M-4",
    "NGC-1851",
)
_AUTO_OFFSET = 0.2  # MagAper2 - MagAuto of the generated sources


def _selected(n):
    return np.ma.MaskedArray(np.zeros(n, bool), mask=np.ones(n, bool))


def _photometry(rng, pop, rows):
    """Each filter's mean magnitude, its sigma and number of images (0: not observed)."""
    bands = pop.photometry() | {"V": pop.vmag}
    columns, detected = {}, np.zeros(len(rows), np.int64)
    for name, band, offset, odds in HSC_FILTERS:
        seen = rng.random(len(rows)) < odds
        count = np.where(seen, rng.integers(1, 5, len(rows)), 0)
        mag = bands[band][rows] + offset + rng.normal(0.0, 0.02, len(rows))
        columns[name] = np.where(seen, np.round(mag, 4), np.nan)
        columns[f"{name}_Sigma"] = np.where(
            seen & (count > 1),
            np.round(rng.exponential(0.02, len(rows)), 4),
            np.where(seen, 0.0, np.nan),
        )
        columns[f"{name}_N"] = count
        detected += seen
    return columns, detected


def build_hsc(sky, *, version):
    """
    Build HSC v`version` from the stars of the shared population fainter than V = 12.

    Parameters
    ----------
    sky : mastq.emulator.catalogs.store.Sky
    version : int
        2 or 3 (v2 holds the sources of the older visits, about 60% of v3).

    Returns
    -------
    CatalogTable
        Rows in ``MatchID`` order; the cone ``Distance`` is added per query.
    """
    rng, pop = sky.rng(10 + version), sky.population
    rows = np.flatnonzero(pop.vmag > 12.0)
    if version == 2:
        rows = rows[rng.random(len(rows)) < 0.6]
    n = len(rows)
    columns, detected = _photometry(rng, pop, rows)
    lonely = detected == 0
    columns["A_F814W"][lonely] = np.round(pop.photometry()["i"][rows][lonely], 4)
    columns["A_F814W_Sigma"][lonely], columns["A_F814W_N"][lonely] = 0.0, 1
    detected[lonely] = 1
    images = sum(columns[f"{name}_N"] for name, *_ in HSC_FILTERS)
    start = rng.uniform(49000.0, 60000.0, n)
    columns |= {
        "MatchID": unique_ids(rng, n, start=10_000_000 * version, mean_gap=3),
        "MatchRA": pop.ra[rows],
        "MatchDec": pop.dec[rows],
        "DSigma": np.where(images > 1, np.round(rng.exponential(5.0, n), 3), 0.0),
        "AbsCorr": categorical(["N", "Y"], (rng.random(n) < 0.85).astype(int)),
        "NumFilters": detected,
        "NumVisits": np.minimum(images, rng.integers(1, 4, n)),
        "NumImages": images,
        "StartMJD": start,
        "StopMJD": start + np.where(images > 1, rng.exponential(30.0, n), 0.02),
        "TargetName": categorical(_TARGETS, (np.floor(pop.ra[rows] / 36)).astype(int)),
        "CI": np.round(rng.normal(1.1, 0.15, n), 4),
        "CI_Sigma": np.where(images > 1, np.round(rng.exponential(0.02, n), 4), 0.0),
        "KronRadius": np.round(rng.uniform(0.15, 0.4, n), 4),
        "KronRadius_Sigma": np.where(images > 1, np.round(rng.exponential(0.02, n), 4), 0.0),
        "Extinction": np.round(3.1 * pop.ebv[rows] / 3.0, 4),
        "SpectrumFlag": categorical(["N", "Y"], (rng.random(n) < 0.02).astype(int)),
        "_selected_": _selected(n),
    }
    fields = tuple(f for f in _FIELDS if f.name != "Distance")
    return CatalogTable(fields, columns, ra_name="MatchRA", dec_name="MatchDec")


def int_param(params, name, service, *, default, low=0):
    """
    An integer parameter of a service (`default` when absent).

    Raises
    ------
    mastq.emulator.model.ServiceError
        If it is not an integer >= `low`.
    """
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < low or (isinstance(value, float) and value != number):
        raise ServiceError(
            f"{service}: parameter '{name}' must be an integer >= {low}, got {value!r}"
        )
    return number


def hsc_cone(service, params, table):
    """``Mast.Hsc.Db.v3`` {ra, dec, radius, nr, ni, magtype}: at most ``nr`` matches."""
    ra, dec, radius = parse_cone(params, service=service)
    limit = int_param(params, "nr", service, default=50000, low=1)
    int_param(params, "ni", service, default=1)
    magtype = int_param(params, "magtype", service, default=1)
    if magtype not in (1, 2):
        raise ServiceError(
            f"{service}: parameter 'magtype' must be 1 (MagAper2) or 2 "
            f"(MagAuto), got {params.get('magtype')!r}"
        )
    index, distance = cone_select(table.ra, table.dec, ra, dec, radius)
    index, arcmin = index[:limit], distance[:limit] / 60.0
    base = table.result(index)

    def make_chunk(start, stop):
        chunk = {**base.make_chunk(start, stop), "Distance": arcmin[start:stop]}
        if magtype == 2:  # MagAuto instead of MagAper2: brighter by the aperture correction
            for name, *_ in HSC_FILTERS:
                chunk[name] = chunk[name] - _AUTO_OFFSET
        return chunk

    return TableResult(fields=_FIELDS, nrows=len(index), make_chunk=make_chunk, cost=base.cost)


def _members(table, row):
    """The detections of the match at ``row``: one per image, in each observed filter."""
    match_id = int(table.columns["MatchID"][row])
    rng = np.random.default_rng([match_id, 17])
    names = [name for name, *_ in HSC_FILTERS for _ in range(int(table.columns[f"{name}_N"][row]))]
    n = len(names)
    ra, dec = float(table.ra[row]), float(table.dec[row])
    src_ra = ra + rng.normal(0, 2e-6, n) / np.cos(np.radians(dec))
    src_dec = dec + rng.normal(0, 2e-6, n)
    mags = np.array([table.columns[name][row] for name in names]) + rng.normal(0, 0.01, n)
    prop = rng.integers(5000, 17000, n)
    start = float(table.columns["StartMJD"][row]) + np.sort(rng.uniform(0, 1, n))
    inst = [_INSTRUMENTS[name.split("_")[0]] for name in names]
    filters = [name.split("_")[1] for name in names]
    exposure = rng.integers(100, 2000, n).astype(float)
    target = str(table.columns["TargetName"].strings(np.array([row]))[0])
    return {
        "CatID": rng.integers(1e8, 4e8, n),
        "MatchID": np.full(n, match_id),
        "MemID": np.arange(1, n + 1),
        "SourceID": rng.integers(1e9, 9e9, n),
        "ImageID": rng.integers(1e6, 2e6, n),
        "Det": np.full(n, "Y", object),
        "MatchRA": np.full(n, ra),
        "MatchDec": np.full(n, dec),
        "SourceRA": src_ra,
        "SourceDec": src_dec,
        "D": np.abs(rng.normal(0, 20, n)),
        "DSigma": np.abs(rng.normal(0, 30, n)),
        "AbsCorr": np.full(n, "Y", object),
        "XImage": rng.uniform(0, 4096, n),
        "YImage": rng.uniform(0, 4096, n),
        "ImageName": np.array(
            [
                f"hst_{p}_{i:02d}_{a[0].lower()}_{f.lower()}"
                for p, i, a, f in zip(prop, range(n), inst, filters, strict=True)
            ],
            object,
        ),
        "Instrument": np.array([a[0] for a in inst], object),
        "Mode": np.full(n, "ACCUM", object),
        "Detector": np.array([a[1] for a in inst], object),
        "Aperture": np.array([a[2] for a in inst], object),
        "ExposureTime": exposure,
        "StartMJD": start,
        "StopMJD": start + exposure / 86400.0,
        "WaveLength": np.array([_WAVELENGTH[f] for f in filters]),
        "Filter": np.array(filters, object),
        "TargetName": np.full(n, target, object),
        "FluxAper2": np.round(10 ** (-0.4 * (mags - 25.0)), 4),
        "MagAper2": np.round(mags, 4),
        "MagAuto": np.round(mags - _AUTO_OFFSET, 4),
        "PropID": prop,
        "CI": np.round(rng.normal(1.1, 0.2, n), 4),
        "KronRadius": np.round(rng.uniform(0.15, 0.4, n), 4),
        "Flags": rng.integers(0, 4, n),
        "naxis": np.full(n, "4096 4096", object),
        "crpix": np.full(n, "2048.00 2048.00", object),
        "crval": np.array([f"{ra:.8f} {dec:.8f}"] * n, object),
        "cd_matrix": np.full(n, "-1.1005e-005 0 0 1.1005e-005", object),
        "_selected_": _selected(n),
    }


def hsc_matches(service, params, table):
    """``Mast.HscMatches.Db.v3`` {input: MatchID}: the detections of one match."""
    value = params.get("input")
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not text.isdigit():
        raise ServiceError(
            f"{service}: parameter 'input' must be a MatchID (an integer), got {value!r}"
        )
    ids = np.asarray(table.columns["MatchID"])
    row = int(np.searchsorted(ids, int(text)))
    if row >= len(ids) or ids[row] != int(text):
        return TableResult.from_arrays(MATCH_FIELDS, {f.name: np.empty(0) for f in MATCH_FIELDS})
    return TableResult.from_arrays(MATCH_FIELDS, _members(table, row))


def build_spectra(sky):
    """
    The HSC spectra: one per v3 source flagged ``SpectrumFlag = Y``.

    Parameters
    ----------
    sky : mastq.emulator.catalogs.store.Sky

    Returns
    -------
    CatalogTable
        Rows in ``ObjID`` order.
    """
    hsc = sky.table("HscV3")
    rows = np.flatnonzero(hsc.columns["SpectrumFlag"].codes == 1)
    rng, n = sky.rng(14), len(rows)
    ra, dec = hsc.ra[rows], hsc.dec[rows]
    kind = rng.integers(0, 3, n)
    names = sexagesimal_names(ra, dec, prefix="HAG_J", ra_digits=2, dec_digits=1, sep=".")
    base = np.asarray(names, dtype=object)
    visit = np.array(
        ["J8HP" + "".join(chr(65 + c) for c in rng.integers(0, 26, 5)) for _ in range(n)],
        dtype=object,
    )
    dataset = np.where(kind == 2, base + "_" + visit + "_V01.SPEC1D", base + "_" + visit)
    return CatalogTable(
        SPECTRA_FIELDS,
        {
            "ObjID": np.arange(20000, 20000 + n),
            "DatasetName": dataset,
            "MatchID": Derived(
                lambda index: np.array(
                    [str(i) for i in np.asarray(hsc.columns["MatchID"])[rows[index]].tolist()],
                    dtype=object,
                ),
                n,
            ),
            "RA": ra,
            "Dec": dec,
            "TargetName": base + np.where(kind == 2, "_" + visit, ""),
            "ObjectType": np.full(n, "", object),
            "SpectrumType": kind,
            "Notes": categorical(["ACS  GRISM G800L", "STIS G430L", "NICMOS G141"], kind),
            "Detector": categorical(["ACS/WFC", "STIS/CCD", "NICMOS/NIC3"], kind),
            "Aperture": np.full(n, "", object),
            "SpectralElement": categorical(["G800L", "G430L", "G141"], kind),
            "Wavelength": np.zeros(n),
            "ExposureTime": rng.integers(300, 10000, n).astype(float),
            "PropID": rng.integers(5000, 17000, n),
            "HSCMatch": np.full(n, "Y", object),
            "_selected_": _selected(n),
        },
        ra_name="RA",
        dec_name="Dec",
    )


def spectra_all(service, params, table):
    """``Mast.HscSpectra.Db.All`` {}: every spectrum."""
    return table.result(np.arange(table.nrows))


def _hsc_columns():
    return {
        "MatchID": {"text": "Match ID", "vot.datatype": "long"},
        "Distance": {"text": "Distance", "vot.datatype": "double", "vot.unit": "arcmin"},
        "MatchRA": {"text": "RA", "vot.datatype": "double", "vot.unit": "deg"},
        "MatchDec": {"text": "Dec", "vot.datatype": "double", "vot.unit": "deg"},
        **{
            name: {"text": name, "vot.datatype": "double", "vot.unit": "mag"}
            for name, *_ in HSC_FILTERS
        },
    }


def _spectra_columns():
    return {
        "RA": {"text": "RA", "vot.datatype": "double", "vot.unit": "deg"},
        "Dec": {"text": "Dec", "vot.datatype": "double", "vot.unit": "deg"},
    }


HSC_V3, HSC_V2 = (
    register(
        CatalogDef(
            f"HscV{version}",
            build=lambda sky, version=version: build_hsc(sky, version=version),
            columns=_hsc_columns,
            cone=False,
            filtered=False,
            config_ids=(f"Mast.Hsc.Db.v{version}",),
            extra_services=(
                (f"Mast.Hsc.Db.v{version}", hsc_cone),
                (f"Mast.HscMatches.Db.v{version}", hsc_matches),
            ),
        )
    )
    for version in (3, 2)
)
HSC_SPECTRA = register(
    CatalogDef(
        "HscSpectra",
        build=build_spectra,
        columns=_spectra_columns,
        cone=False,
        filtered=False,
        config_ids=("Mast.HscSpectra.Db.All",),
        extra_services=(("Mast.HscSpectra.Db.All", spectra_all),),
    )
)
