"""
Pan-STARRS1 DR1 and DR2 through MAST's catalogs REST API, in the local MAST.

MAST serves them at ``/api/v0.1/panstarrs/{release}/{table}.json`` (tables ``mean``,
``stack``, ``detection``) with the column list at ``.../{table}/metadata.json``.  A search
takes, as query parameters or a JSON body: ``ra``, ``dec``, ``radius`` (degrees), ``columns``
(repeated), ``sort_by`` (``col``, ``col.desc`` or ``desc.col``, repeated), ``pagesize``,
``page``, and criteria ``col=value`` (repeated values: any of them) or ``col.<op>=value``
with ``op`` one of ``gt gte lt lte eq neq``; a criterion on an unknown column is an error
naming it.  The answer is ``{"info": [{name, type, db_type, description}...], "data":
[[row]...]}`` as recorded (``panstarrs.json``); missing magnitudes are -999, as in PS1.

The ``mean`` columns are MAST's (recorded ``panstarrs_columns.json``); ``stack`` and
``detection`` carry a shorter list in the same style.  Objects are the stars of the shared
population fainter than 12 mag in r (PS1 saturates the brighter ones).
"""

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from mastq.emulator.catalogs.registry import CatalogDef, register
from mastq.emulator.catalogs.stars import ecliptic, galactic, sexagesimal_names
from mastq.emulator.catalogs.table import CatalogTable, Derived
from mastq.emulator.model import Field, ServiceError
from mastq.emulator.services.sky import cone_select, parse_cone

__all__ = ["RELEASES", "TABLES", "PanstarrsError", "metadata", "search"]

RELEASES = ("dr1", "dr2")
TABLES = ("mean", "stack", "detection")
BANDS = "grizy"
_OPS = {
    "gt": np.greater,
    "gte": np.greater_equal,
    "lt": np.less,
    "lte": np.less_equal,
    "eq": np.equal,
    "neq": np.not_equal,
}
_OPTIONS = frozenset(
    {
        "ra",
        "dec",
        "radius",
        "columns",
        "sort_by",
        "pagesize",
        "page",
        "format",
        "table",
        "data_release",
    }
)
_MASHUP = {
    "char": "string",
    "long": "string",
    "double": "float",
    "float": "float",
    "int": "int",
    "short": "int",
    "unsignedByte": "int",
}
_DETECTIONS_PER_OBJECT = 3


class PanstarrsError(ValueError):
    """A bad request to the catalogs API (answered with HTTP 400 and ``{"detail": msg}``)."""


def _column(name, kind, description, unit="NULL"):
    return {
        "name": name,
        "db_type": "STRING" if kind == "char" else "NUMBER",
        "column_name": name,
        "description": description,
        "unit": unit,
        "type": kind,
        "datatype": kind,
    }


def _mean_columns():
    text = resources.files("mastq.emulator").joinpath("data/panstarrs_mean_columns.json")
    return json.loads(text.read_text())


def _stack_columns():
    columns = [
        _column("objName", "char", "IAU name for this object."),
        _column("objID", "long", "Unique object identifier."),
        _column("primaryDetection", "unsignedByte", "Primary stack detection flag."),
        _column("raStack", "double", "Right ascension from the stack.", "deg"),
        _column("decStack", "double", "Declination from the stack.", "deg"),
        _column("nStackDetections", "short", "Number of stack detections."),
    ]
    for band in BANDS:
        for kind in ("PSFMag", "PSFMagErr", "KronMag", "KronMagErr", "ApMag", "ApMagErr"):
            columns.append(
                _column(
                    f"{band}{kind}", "float", f"{kind} from {band} filter stack detection.", "mag"
                )
            )
    return columns


def _detection_columns():
    return [
        _column("objID", "long", "Unique object identifier."),
        _column("detectID", "long", "Unique detection identifier."),
        _column("filterID", "unsignedByte", "Filter identifier (1-5: g, r, i, z, y)."),
        _column("obsTime", "double", "Time of the exposure (MJD).", "d"),
        _column("ra", "double", "Right ascension of the detection.", "deg"),
        _column("dec", "double", "Declination of the detection.", "deg"),
        _column("psfFlux", "float", "PSF flux.", "Jy"),
        _column("psfFluxErr", "float", "Error on the PSF flux.", "Jy"),
        _column("apMag", "float", "Aperture magnitude.", "mag"),
        _column("infoFlag", "long", "Detection flags."),
    ]


_COLUMNS = {"mean": _mean_columns, "stack": _stack_columns, "detection": _detection_columns}


def metadata(release, table):
    """
    The column list of a table: ``metadata.json`` (a new list).

    Raises
    ------
    PanstarrsError
        If `release` or `table` is not served.
    """
    _check_table(release, table)
    return _COLUMNS[table]()


def _check_table(release, table):
    if release not in RELEASES:
        raise PanstarrsError(f"data release {release!r} not found: expected one of {RELEASES}")
    if table not in TABLES:
        raise PanstarrsError(
            f"table {table!r} not found in panstarrs {release}: expected one of {TABLES}"
        )


def _objects(sky, release):
    """The rows of the shared population in PS1, their photometry and object ids."""
    pop = sky.population
    phot = pop.photometry()
    mags = {
        band: phot[band if band != "y" else "z"] + (0.25 if band == "y" else 0.0) for band in BANDS
    }
    rows = np.flatnonzero((mags["r"] > 12.0) & (pop.dec > -30.0))
    if release == "dr1":
        rows = rows[np.random.default_rng([sky.seed, 50]).random(len(rows)) < 0.9]
    ra, dec = pop.ra[rows], pop.dec[rows]
    zone = np.floor((dec + 90.0) / (1.0 / 120)).astype(np.int64)
    obj_id = zone * 10**13 + np.floor(ra * 1e6).astype(np.int64) * 10 + 9
    order = np.argsort(obj_id, kind="stable")
    return rows[order], {band: m[rows[order]] for band, m in mags.items()}, obj_id[order]


def _mean_values(name, n, ctx):
    """One column of the mean table, generated from its name."""
    rng, ra, dec, mags = ctx["rng"], ctx["ra"], ctx["dec"], ctx["mags"]
    band = name[0] if name[:1] in BANDS and name[1:2].isupper() else None
    if band is not None:
        mag = mags[band]
        seen = mag < 23.3
        value = {
            "QfPerfect": lambda: rng.uniform(0.9, 1.0, n),
            "Flags": lambda: rng.integers(0, 2**20, n).astype(float),
        }
        for suffix, make in value.items():
            if name.endswith(suffix):
                return np.where(seen, np.round(make(), 4), -999.0)
        if name.endswith("Npt"):
            return np.where(seen, rng.integers(1, 20, n), -999)
        if name.endswith(("Err", "Std")):
            return np.where(seen, np.round(0.01 * 10 ** (0.2 * (mag - 17)), 5), -999.0)
        offset = {"Min": -0.05, "Max": 0.05}.get(name[-3:], 0.0)
        offset += {"Kron": -0.1, "Ap": -0.05}.get(name[6:-3] if "Mag" in name else "", 0.0)
        return np.where(seen, np.round(mag + offset, 4), -999.0)
    fixed = {
        "raMean": ra,
        "decMean": dec,
        "raStack": ra,
        "decStack": dec,
        "l": ctx["l"],
        "b": ctx["b"],
        "lambda": ctx["lambda"],
        "beta": ctx["beta"],
    }
    if name in fixed:
        return fixed[name]
    if name.endswith("Err"):
        return np.round(rng.uniform(0.001, 0.05, n) / 3600.0, 8)
    if name in ("cx", "cy", "cz"):
        ra_r, dec_r = np.radians(ra), np.radians(dec)
        return {
            "cx": np.cos(dec_r) * np.cos(ra_r),
            "cy": np.cos(dec_r) * np.sin(ra_r),
            "cz": np.sin(dec_r),
        }[name]
    if name.startswith("n"):
        return rng.integers(1, 60, n)
    if name == "epochMean":
        return np.round(rng.uniform(55000, 57000, n), 5)
    return rng.integers(0, 256, n)


def build_panstarrs(sky, release, table):
    """
    Build one Pan-STARRS table of a release.

    Parameters
    ----------
    sky : mastq.emulator.catalogs.store.Sky
    release : str
        ``"dr1"`` or ``"dr2"``.
    table : str
        ``"mean"``, ``"stack"`` or ``"detection"``.

    Returns
    -------
    CatalogTable
        Fields of MAST types (``long`` ids as text, as MAST sends them).
    """
    rows, mags, obj_id = _objects(sky, release)
    pop, n = sky.population, len(rows)
    ra, dec = pop.ra[rows], pop.dec[rows]
    ctx = {
        "rng": np.random.default_rng([sky.seed, 51, RELEASES.index(release), TABLES.index(table)]),
        "ra": ra,
        "dec": dec,
        "mags": mags,
    }
    ctx["l"], ctx["b"] = galactic(ra, dec)
    ctx["lambda"], ctx["beta"] = ecliptic(ra, dec)
    if table == "detection":
        return _build_detections(ctx, obj_id)
    columns, fields = {}, []
    for meta in metadata(release, table):
        name = meta["name"]
        fields.append(Field(name, _MASHUP[meta["type"]]))
        if name == "objName":
            columns[name] = np.asarray(
                sexagesimal_names(ra, dec, prefix="PSO J", ra_digits=3, dec_digits=3, sep="."),
                dtype=object,
            )
        elif name == "objID":
            columns[name] = _text(obj_id)
        elif name.startswith("objAltName"):
            columns[name] = np.full(n, None, dtype=object)
        elif meta["type"] == "long":
            columns[name] = _text(ctx["rng"].integers(1, 2**50, n))
        elif table == "stack" and name[:1] in BANDS and name[1:2].isupper():
            base = (
                name.replace("PSF", "MeanPSF").replace("Kron", "MeanKron").replace("Ap", "MeanAp")
            )
            columns[name] = _mean_values(base, n, ctx)
        else:
            columns[name] = _mean_values(name, n, ctx)
    ra_name, dec_name = ("raMean", "decMean") if table == "mean" else ("raStack", "decStack")
    return CatalogTable(fields, columns, ra_name=ra_name, dec_name=dec_name)


def _text(ids):
    ids = np.asarray(ids)
    return Derived(
        lambda index: np.array([str(i) for i in ids[index].tolist()], dtype=object), len(ids)
    )


def _build_detections(ctx, obj_id):
    rng, k = ctx["rng"], _DETECTIONS_PER_OBJECT
    n = len(obj_id) * k
    owner = np.repeat(np.arange(len(obj_id)), k)
    filter_id = rng.integers(1, 6, n)
    mags = np.stack([ctx["mags"][b] for b in BANDS])[filter_id - 1, owner]
    flux = 3631.0 * 10 ** (-0.4 * mags)
    columns = {
        "objID": _text(obj_id[owner]),
        "detectID": _text(np.arange(n) * 13 + 10**17),
        "filterID": filter_id,
        "obsTime": np.round(rng.uniform(55000, 57000, n), 6),
        "ra": ctx["ra"][owner] + rng.normal(0, 1e-5, n),
        "dec": ctx["dec"][owner] + rng.normal(0, 1e-5, n),
        "psfFlux": flux,
        "psfFluxErr": flux * 0.02,
        "apMag": np.round(mags + rng.normal(0, 0.02, n), 4),
        "infoFlag": _text(rng.integers(0, 2**40, n)),
    }
    fields = [Field(m["name"], _MASHUP[m["type"]]) for m in _detection_columns()]
    return CatalogTable(fields, columns)


@dataclass(frozen=True)
class _Query:
    cone: tuple | None
    columns: list
    sort: list
    criteria: list
    page: int
    pagesize: int


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _positive(params, name, default):
    value = _as_list(params.get(name, default))[0]
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise PanstarrsError(f"parameter {name!r} must be a positive integer, got {value!r}")
    return number


DISTANCE = "distance"
"""The separation column of a cone search (degrees), computed, not stored."""


def _parse(params, names):
    """Read a search request; every column it names must be in `names`."""
    known = {name.lower(): name for name in names}

    def column(name, what):
        if cone is not None and str(name).lower() == DISTANCE:
            return DISTANCE  # a cone's computed separation (degrees), as MAST's
        if name.lower() not in known:
            raise PanstarrsError(f"{what} {name!r} is not a column of this table")
        return known[name.lower()]

    cone = None
    if any(key in params for key in ("ra", "dec", "radius")):
        single = {key: _as_list(params.get(key))[0] for key in ("ra", "dec", "radius")}
        try:
            cone = parse_cone(single, service="panstarrs")
        except ServiceError as exc:
            raise PanstarrsError(str(exc)) from None
    columns = [(column(c, "column"), str(c)) for c in _as_list(params.get("columns", []))]
    sort = []
    for item in _as_list(params.get("sort_by", [])):
        parts = str(item).split(".")
        descending = any(p.lower() == "desc" for p in parts)
        name = next((p for p in parts if p.lower() not in ("asc", "desc")), "")
        sort.append((column(name, "sort_by column"), descending))
    criteria = []
    for key, value in params.items():
        if key.lower() in _OPTIONS:
            continue
        name, _, op = key.partition(".")
        if op and op not in _OPS:
            raise PanstarrsError(f"criterion {key!r}: operator {op!r} is not one of {sorted(_OPS)}")
        criteria.append((column(name, "criterion"), op or "eq", _as_list(value)))
    return _Query(
        cone,
        columns,
        sort,
        criteria,
        _positive(params, "page", 1),
        _positive(params, "pagesize", 50000),
    )


def _stored(table, name):
    view = table.filter_view()[name]
    values = np.asarray(view, dtype=object) if view.dtype == object else np.asarray(view)
    return values


def _mask(table, criteria):
    mask = np.ones(table.nrows, bool)
    for name, op, values in criteria:
        stored = _stored(table, name)
        numeric = stored.dtype.kind in "iuf"
        hits = np.zeros(table.nrows, bool)
        for value in values:
            try:
                target = float(value) if numeric else str(value)
            except (TypeError, ValueError):
                raise PanstarrsError(f"criterion {name!r}: {value!r} is not a number") from None
            hits |= _OPS[op](stored.astype(str) if not numeric else stored, target)
        mask &= hits
    return mask


def search(catalogs, release, table_name, params):
    """
    Answer a search of one table.

    Parameters
    ----------
    catalogs : mastq.emulator.catalogs.Catalogs
        The catalogs of the local MAST.
    release, table_name : str
        As in the path (``"dr2"``, ``"mean"``).
    params : dict
        Parameter name -> value or list of values (query string and JSON body merged).

    Returns
    -------
    dict
        ``{"info": [...], "data": [[...]...]}``.

    Raises
    ------
    PanstarrsError
        For an unknown column, operator or a bad value (naming it).
    """
    _check_table(release, table_name)
    table = catalogs.table(PANSTARRS[release, table_name].name)
    info = {meta["name"]: meta for meta in metadata(release, table_name)}
    query = _parse(params, table.names)
    mask = _mask(table, query.criteria)
    distance = np.zeros(table.nrows)
    if query.cone is not None:
        index, arcsec = cone_select(table.ra, table.dec, *query.cone)
        distance[index] = arcsec / 3600.0
        index = index[mask[index]]
    else:
        index = np.flatnonzero(mask)
    for name, descending in reversed(query.sort):
        keys = (distance if name == DISTANCE else _stored(table, name))[index]
        order = np.argsort(keys, kind="stable")
        index = index[order[::-1] if descending else order]
    start = (query.page - 1) * query.pagesize
    index = index[start : start + query.pagesize]
    # The answer names the columns as the request spelled them (MAST echoes them).
    columns = query.columns or [(name, name) for name in table.names]
    stored = [name for name, _ in columns if name != DISTANCE]
    chunk = table.result(index, names=stored).make_chunk(0, len(index))
    chunk[DISTANCE] = distance[index]
    info[DISTANCE] = {
        "type": "double",
        "db_type": "float",
        "description": "Separation from the cone's center (degrees)",
    }
    data = [list(row) for row in zip(*(_plain(chunk[name]) for name, _ in columns), strict=True)]
    return {
        "info": [
            {"name": asked, **{key: info[name][key] for key in ("type", "db_type", "description")}}
            for name, asked in columns
        ],
        "data": data,
    }


def _plain(values):
    if isinstance(values, np.ma.MaskedArray):
        return [
            None if m else v
            for v, m in zip(values.data.tolist(), np.ma.getmaskarray(values).tolist(), strict=True)
        ]
    return np.asarray(values).tolist() if not isinstance(values, list) else values


def _register(release, table):
    return register(
        CatalogDef(
            f"Panstarrs{release.upper()}{table.title()}",
            build=lambda sky: build_panstarrs(sky, release, table),
            columns=lambda: {},
            cone=False,
            filtered=False,
        )
    )


PANSTARRS = {
    (release, table): _register(release, table) for release in RELEASES for table in TABLES
}
