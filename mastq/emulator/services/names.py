"""
Name resolution for the local MAST: well-known objects and ``Mast.Name.Lookup``.

It answers ``Mast.Name.Lookup`` (invoke) and the name service astroquery calls directly,
``GET /Santa-war/query?name=...&outputFormat=json&resolveAll=...&resolver=...`` (the
"STScI Archive Name Translation Application" behind ``mastresolver.stsci.edu``), in the
shape of the recorded ``resolver.json``.  The table holds real objects at their true ICRS
positions (SIMBAD, J2000 epoch), so that code written against the emulator resolves names
as it would against MAST.  Lookup is case-insensitive and ignores blanks: ``"m 101"``,
``"M101"`` and ``"NGC 5457"`` are one object.
"""

import re
from dataclasses import dataclass

from mastq.emulator.model import DocumentResult, ServiceError
from mastq.emulator.services.registry import service

__all__ = ["NamedObject", "OBJECTS", "resolve", "name_lookup", "santa_query", "RESOLVERS"]

RESOLVERS = ("SIMBAD", "NED")
"""The resolvers the name service answers for, in the order it tries them."""


@dataclass(frozen=True)
class NamedObject:
    """
    A well-known object of the sky.

    Parameters
    ----------
    name : str
        Canonical name, spelled as SIMBAD does (``"M 101"``).
    ra, dec : float
        ICRS position, in degrees.
    object_type : str
        SIMBAD object type (``"GinPair"``, ``"Star"``...).
    aliases : tuple of str
        Other names that resolve to it.
    target : str
        The ``target_name`` observations of it carry in CAOM.
    classification : str
        Its CAOM ``target_classification`` (``;``-separated).
    """

    name: str
    ra: float
    dec: float
    object_type: str
    aliases: tuple
    target: str
    classification: str


_GAL = "GALAXY;SPIRAL GALAXY"
_STAR = "STAR;EXOPLANET HOST"
_ROWS = (
    ("M 101", 210.802429, 54.34875, "GinPair", ("NGC 5457", "Pinwheel Galaxy"), "M101", _GAL),
    ("M 31", 10.684708, 41.26875, "AGN", ("NGC 224", "Andromeda", "Andromeda Galaxy"), "M31", _GAL),
    (
        "M 42",
        83.82208,
        -5.39111,
        "HIIReg",
        ("NGC 1976", "Orion Nebula"),
        "M42",
        "ISM;HII REGION;NEBULA",
    ),
    (
        "M 51",
        202.469575,
        47.195258,
        "Seyfert2",
        ("NGC 5194", "Whirlpool Galaxy"),
        "M51",
        _GAL + ";SEYFERT",
    ),
    (
        "M 87",
        187.705931,
        12.391123,
        "AGN",
        ("NGC 4486", "Virgo A", "3C 274"),
        "M87",
        "GALAXY;ELLIPTICAL GALAXY;ACTIVE GALAXIES",
    ),
    (
        "M 1",
        83.6324,
        22.0174,
        "SNRemnant",
        ("Crab", "Crab Nebula", "NGC 1952"),
        "CRAB-NEBULA",
        "ISM;SUPERNOVA REMNANT",
    ),
    ("NGC 4151", 182.635744, 39.40573, "Seyfert1", (), "NGC4151", "GALAXY;SEYFERT;ACTIVE GALAXIES"),
    (
        "NGC 1068",
        40.669629,
        -0.013281,
        "Seyfert2",
        ("M 77",),
        "NGC1068",
        "GALAXY;SEYFERT;ACTIVE GALAXIES",
    ),
    (
        "* alf Lyr",
        279.234735,
        38.783689,
        "Star",
        ("Vega", "alpha Lyr", "HD 172167"),
        "VEGA",
        "STAR;A0 V",
    ),
    (
        "* alf CMa",
        101.287155,
        -16.716116,
        "SB*",
        ("Sirius", "alpha CMa", "HD 48915"),
        "SIRIUS",
        "STAR;A1 V;BINARY",
    ),
    (
        "* alf Ori",
        88.792939,
        7.407064,
        "SemiRegV*",
        ("Betelgeuse", "alpha Ori", "HD 39801"),
        "BETELGEUSE",
        "STAR;M1-2 IA-IAB;SUPERGIANT",
    ),
    (
        "* alf UMi",
        37.954561,
        89.264109,
        "Cepheid",
        ("Polaris", "alpha UMi", "HD 8890"),
        "POLARIS",
        "STAR;CEPHEID",
    ),
    (
        "NAME Proxima Centauri",
        217.428953,
        -62.679484,
        "BYDraV*",
        ("Proxima Cen", "Proxima", "alf Cen C", "GJ 551"),
        "PROXIMA-CEN",
        "STAR;M5.5 V;" + _STAR,
    ),
    (
        "TRAPPIST-1",
        346.622013,
        -5.041275,
        "BYDraV*",
        ("2MASS J23062928-0502285",),
        "TRAPPIST-1",
        _STAR,
    ),
    ("Kepler-186", 298.652565, 43.954952, "Star", ("KOI-571", "KIC 8120608"), "KEPLER-186", _STAR),
    ("HD 209458", 330.794887, 18.884317, "Star", ("V376 Peg",), "HD-209458", _STAR),
    ("WASP-12", 97.636645, 29.672282, "Star", (), "WASP-12", _STAR),
    ("* rho01 Cnc", 133.149214, 28.33082, "PM*", ("55 Cnc", "HD 75732"), "55CNC", _STAR),
    (
        "TYC 3162-665-1",
        301.56436,
        44.456965,
        "Star",
        ("KIC 8462852", "Tabby's star", "Boyajian's star"),
        "KIC8462852",
        "STAR;F3 V",
    ),
    (
        "NAME Sgr A*",
        266.416837,
        -29.007811,
        "Radio",
        ("Sgr A*", "Sagittarius A*"),
        "SGRA",
        "GALACTIC CENTER;BLACK HOLE",
    ),
    (
        "NAME LMC",
        80.89386,
        -69.75613,
        "Galaxy",
        ("LMC", "Large Magellanic Cloud"),
        "LMC",
        "GALAXY;IRREGULAR GALAXY;LOCAL GROUP",
    ),
    (
        "NAME SMC",
        13.186667,
        -72.828611,
        "Galaxy",
        ("SMC", "Small Magellanic Cloud"),
        "SMC",
        "GALAXY;IRREGULAR GALAXY;LOCAL GROUP",
    ),
    (
        "M 45",
        56.75,
        24.1167,
        "OpenCluster",
        ("Pleiades", "Seven Sisters", "Mel 22"),
        "PLEIADES",
        "STAR CLUSTER;OPEN CLUSTER",
    ),
    (
        "* eta Car",
        161.264775,
        -59.684431,
        "LBV*",
        ("eta Carinae", "Eta Car"),
        "ETA-CAR",
        "STAR;LUMINOUS BLUE VARIABLE",
    ),
    (
        "NAME Cassiopeia A",
        350.85,
        58.815,
        "SNRemnant",
        ("Cas A", "3C 461"),
        "CAS-A",
        "ISM;SUPERNOVA REMNANT",
    ),
    ("3C 273", 187.277915, 2.052388, "QSO", (), "3C273", "QUASAR;ACTIVE GALAXIES"),
    ("SN 1987A", 83.86675, -69.269742, "SN", (), "SN1987A", "SUPERNOVA;LMC"),
    (
        "* alf Cen A",
        219.902058,
        -60.833993,
        "Star",
        ("alpha Cen", "Alpha Centauri", "alf Cen", "Rigil Kentaurus"),
        "ALPHA-CEN",
        "STAR;G2 V",
    ),
    (
        "NAME Barnard's star",
        269.4520769586187,
        4.6933649665767,
        "BYDraV*",
        ("Barnard's star", "GJ 699", "V2500 Oph"),
        "BARNARDS-STAR",
        "STAR;M4 V",
    ),
    ("HR 8799", 346.869646, 21.134251, "Star", ("HD 218396",), "HR8799", _STAR),
    (
        "* alf PsA",
        344.412693,
        -29.622237,
        "Star",
        ("Fomalhaut", "alpha PsA"),
        "FOMALHAUT",
        "STAR;DEBRIS DISK",
    ),
    (
        "M 8",
        270.904,
        -24.387,
        "OpenCluster",
        ("Lagoon Nebula", "NGC 6523"),
        "M8",
        "ISM;HII REGION;NEBULA",
    ),
    (
        "M 10",
        254.28771,
        -4.10031,
        "GlobCluster",
        ("NGC 6254",),
        "M10",
        "STAR CLUSTER;GLOBULAR CLUSTER",
    ),
    ("M 103", 23.339, 60.659, "OpenCluster", ("NGC 581",), "M103", "STAR CLUSTER;OPEN CLUSTER"),
    (
        "L   98-59",
        124.5317560026638,
        -68.3130014904408,
        "HighPM*",
        ("TIC 307210830",),
        "L98-59",
        _STAR,
    ),
    (
        "M 13",
        250.423475,
        36.461319,
        "GlobCluster",
        ("NGC 6205", "Hercules Cluster"),
        "M13",
        "STAR CLUSTER;GLOBULAR CLUSTER",
    ),
    ("M 104", 189.997633, -11.623054, "LINER", ("NGC 4594", "Sombrero Galaxy"), "M104", _GAL),
    (
        "M 82",
        148.969687,
        69.679383,
        "StarburstG",
        ("NGC 3034", "Cigar Galaxy"),
        "M82",
        "GALAXY;STARBURST GALAXY",
    ),
    (
        "NGC 7293",
        337.410625,
        -20.837111,
        "PlanetaryNeb",
        ("Helix Nebula",),
        "NGC7293",
        "ISM;PLANETARY NEBULA",
    ),
    (
        "M 57",
        283.396163,
        33.029175,
        "PlanetaryNeb",
        ("Ring Nebula", "NGC 6720"),
        "M57",
        "ISM;PLANETARY NEBULA",
    ),
    ("HD 189733", 300.182122, 22.710846, "BYDraV*", ("V452 Vul",), "HD-189733", _STAR),
    (
        "NGC 5139",
        201.696991,
        -47.479472,
        "GlobCluster",
        ("omega Cen", "Omega Centauri"),
        "OMEGA-CEN",
        "STAR CLUSTER;GLOBULAR CLUSTER",
    ),
    (
        "NGC 104",
        6.023625,
        -72.081444,
        "GlobCluster",
        ("47 Tuc", "47 Tucanae"),
        "47TUC",
        "STAR CLUSTER;GLOBULAR CLUSTER",
    ),
)

OBJECTS = tuple(NamedObject(*row) for row in _ROWS)
"""The well-known objects, in a fixed order (the archive clusters observations on them)."""


def _key(name):
    text = name.replace("\u2019", "'").lower()
    return re.sub(r"\s+", "", text)


def _build_index():
    index = {}
    for obj in OBJECTS:
        for alias in (obj.name, obj.target, *obj.aliases):
            index.setdefault(_key(alias), obj)
    return index


_INDEX = _build_index()  # read-only after import


def resolve(name):
    """
    Find a well-known object by name.

    Parameters
    ----------
    name : str
        Any of its names, in any case, blanks optional (``"m 101"``, ``"Vega"``).

    Returns
    -------
    NamedObject or None
        The object, or None when the name is not known.
    """
    if not isinstance(name, str):
        return None
    return _INDEX.get(_key(name))


@service("Mast.Name.Lookup")
def name_lookup(params, archive=None):
    """
    The ``Mast.Name.Lookup`` service.

    Parameters
    ----------
    params : dict
        ``{"input": name, "format": "json"}``, optionally with ``resolver``
        (``"SIMBAD"`` or ``"NED"``: answer that resolver's entry) and ``resolveAll``
        (true: one entry per resolver that knows the name, a ``TIC nnn`` name its
        ``TIC`` entry first).  Catalog identifiers (``TIC n``, ``KIC n``, ``EPIC n``,
        ``Gaia DR3 n``) resolve against the archive's catalogs.  ``input`` may also be a
        list of names, resolved in one request (entries in the order of the names).
    archive : object, optional
        Unused; services share one signature.

    Returns
    -------
    mastq.emulator.model.DocumentResult
        ``{"resolvedCoordinate": [...], "status": ""}``; the entries carry the name as
        given as ``searchString``; a name that does not resolve has none.

    Raises
    ------
    mastq.emulator.model.ServiceError
        If ``input`` is missing or not a name (or list of names), or ``resolver`` is
        not one MAST knows.
    """
    params = params if isinstance(params, dict) else {}
    text = params.get("input")
    names = text if isinstance(text, list) else [text]
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ServiceError(
            "Mast.Name.Lookup: parameter 'input' must be a non-empty "
            f"object name (or a list of them), got {text!r}"
        )
    resolver = params.get("resolver") or None
    if resolver is not None and (
        not isinstance(resolver, str) or resolver.upper() not in RESOLVERS
    ):
        raise ServiceError(
            f"Mast.Name.Lookup: unknown resolver {resolver!r}; "
            f"expected one of {', '.join(RESOLVERS)}"
        )
    resolve_all = str(params.get("resolveAll", "false")).strip().lower() == "true"
    catalogs = getattr(archive, "catalogs", None)
    found = []
    for name in names:
        found += _entries(name, name, resolve_all=resolve_all, resolver=resolver, catalogs=catalogs)
    return DocumentResult(body={"resolvedCoordinate": found, "status": ""})


def _catalog_object(name, catalogs):
    """A catalog identifier (``TIC n``, ``Gaia DR3 n``...) as a `NamedObject`, or None."""
    if catalogs is None:
        return None
    from mastq.emulator.catalogs.identifiers import resolve_identifier

    found = resolve_identifier(catalogs, name)
    if found is None:
        return None
    canonical, kind, ra, dec = found
    return NamedObject(canonical, ra, dec, "*", (), canonical, "STAR"), kind


def _entries(name, search, *, resolve_all, resolver, catalogs):
    """The ``resolvedCoordinate`` entries of one name (none when it does not resolve)."""
    obj, kind = resolve(name), None
    if obj is None:
        obj, kind = _catalog_object(name, catalogs) or (None, None)
    if obj is None:
        return []
    is_tic = kind == "TIC" or (kind is None and search.lower().startswith("tic "))
    if resolve_all:
        return ([_entry(obj, search, "TIC")] if is_tic else []) + [
            _entry(obj, search, r) for r in RESOLVERS
        ]
    if resolver is None and kind == "TIC":
        return [_entry(obj, search, "TIC")]
    return [_entry(obj, search, (resolver or RESOLVERS[0]).upper())]


def _entry(obj, search, resolver):
    """One ``resolvedCoordinate`` entry, keys in the order of ``resolver.json``."""
    entry = {
        "searchString": search,
        "resolver": resolver,
        "cached": resolver == "SIMBAD",
        "resolverTime": (290 if resolver == "SIMBAD" else 1100) + len(search) % 10,
        "searchRadius": -1.0,
        "canonicalName": obj.name,
        "ra": obj.ra,
        "decl": obj.dec,
    }
    if resolver == "TIC":
        entry.update(
            cached=False, resolverTime=2, searchRadius=0.000333, canonicalName=search.upper()
        )
    else:
        entry["objectType"] = obj.object_type
    return entry


def santa_query(names, *, resolve_all=False, resolver=None, catalogs=None):
    """
    The answer of the name service (``/Santa-war/query``) for some names.

    Parameters
    ----------
    names : list of str
        The ``name`` arguments (the service takes several).
    resolve_all : bool
        Answer one entry per resolver that knows a name (a ``TIC nnn`` name also gets
        its ``TIC`` entry first), instead of the first resolver's only.
    resolver : str, optional
        ``"SIMBAD"`` or ``"NED"``: the resolver to ask when not ``resolve_all``.
    catalogs : mastq.emulator.catalogs.Catalogs, optional
        Resolve catalog identifiers (``TIC n``, ``KIC n``, ``EPIC n``, ``Gaia DR3 n``)
        against these (see `mastq.emulator.catalogs.identifiers`).

    Returns
    -------
    dict
        ``{"resolvedCoordinate": [...], "status": ""}``; entries carry the name
        lower-cased as ``searchString``; unknown names have none.

    Raises
    ------
    ValueError
        If ``resolver`` is not one of `RESOLVERS`.
    """
    if resolver is not None and resolver.upper() not in RESOLVERS:
        raise ValueError(f"resolver must be one of {', '.join(RESOLVERS)}, got {resolver!r}")
    found = []
    for name in names:
        found += _entries(
            name,
            " ".join(name.split()).lower(),
            resolve_all=resolve_all,
            resolver=resolver,
            catalogs=catalogs,
        )
    return {"resolvedCoordinate": found, "status": ""}
