"""
Every catalog mastq reaches, each declared once as a `Catalog`.

A declaration says how MAST names the catalog's services; everything else is derived
from it: the cone, ``Filtered`` (criteria), position and count services, the
``.Rows`` variant, the columns-config id, the ``Mast.Catalogs.All.*`` histogram
service (for configs without datatypes), the unique id column, the aliases and the
releases (``version=``).  `lookup` turns what a caller typed (``catalog="Gaia",
version=3``) into a `Release`, the concrete services of one release;
`config_id_of` and `key_column_of` answer for a service name.  No other module of the
client names a catalog.

Adding a catalog is one more `Catalog` in `CATALOGS` (or `register` at run time); see
docs/adding_a_catalog.rst.

Examples
--------
>>> from mastq.registry import lookup
>>> lookup("Gaia").cone_service        # astroquery's default release
'Mast.Catalogs.GaiaDR2.Cone'
>>> lookup("Gaia", version=3).filtered_service(position=True)
'Mast.Catalogs.Filtered.GaiaDR3.Position'
>>> lookup("Tic").config_id
'Mast.Catalogs.Tess.Cone'
"""

import difflib
import logging
import re
import threading
from dataclasses import dataclass, field
from types import MappingProxyType

from .exceptions import InvalidQueryError

__all__ = [
    "Catalog",
    "Release",
    "CATALOGS",
    "register",
    "unregister",
    "lookup",
    "declared",
    "catalogs",
    "release_of",
    "config_id_of",
    "key_column_of",
    "histogram_service_of",
    "spectra_service",
]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Catalog:
    """
    How MAST serves one catalog.

    ``{version}`` in `service_name`, `cone` and `matches` is replaced by the release.

    Parameters
    ----------
    name : str
        The name callers give (``catalog="Gaia"``), matched in any case.
    description : str
        One line for `catalogs`.
    service_name : str, optional
        The name in ``Mast.Catalogs.<service_name>.Cone`` and
        ``Mast.Catalogs.Filtered.<service_name>``; None when the catalog has no such
        services (HSC, GALEX, PanSTARRS).
    versions : tuple, optional
        Its releases, oldest first; ``()`` for a catalog without releases.
    default_version : object, optional
        The release used without ``version=`` (astroquery's choice).
    cone : str, optional
        The cone service when not ``Mast.Catalogs.<service_name>.Cone``.
    config : str, optional
        The columns-config id when not the cone service's name.
    key : str or None
        Its unique id column (None: unknown).
    aliases : tuple of str
        Other names callers may give.
    criteria : bool
        Whether ``Mast.Catalogs.Filtered.<service_name>[.Position]`` serve it.
    rows_variant : bool
        Criteria rows use the faster ``.Rows`` variant (which cannot count).
    histograms : str, optional
        The ``Mast.Catalogs.All.*`` service whose answer types its columns (for
        configs without datatypes); ``""`` for none.
    cone_params : mapping
        Extra cone parameters with their defaults (HSC ``nr``, ``ni``, ``magtype``).
    cap : str, optional
        The cone parameter that caps the rows (``nr``, ``maxrecords``): a result of
        exactly that many rows is truncated.
    matches : str, optional
        The service answering the matches of one id (``Mast.HscMatches.Db.v{version}``).
    other_services : tuple of str
        Other services whose columns this catalog's config describes.
    crossmatch : mapping, optional
        Release (version, None without versions) -> its ``Mast.<X>.Crossmatch`` service,
        for the releases MAST crossmatches on the server.
    separation : str, optional
        The name of a cone's separation column (arcsec): ``distance``, or ``dstArcSec``.
    rest_tables : tuple of str
        For a catalog of the catalogs REST API (PanSTARRS): its tables, the first
        the default; ``()`` for the invoke API.
    """

    name: str
    description: str
    service_name: str = None
    versions: tuple = ()
    default_version: object = None
    cone: str = None
    config: str = None
    key: str = "ID"
    aliases: tuple = ()
    criteria: bool = True
    rows_variant: bool = False
    histograms: str = ""
    cone_params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), hash=False)
    cap: str = None
    matches: str = None
    other_services: tuple = ()
    crossmatch: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), hash=False)
    separation: str = "distance"
    rest_tables: tuple = ()

    def __post_init__(self):
        if not _NAME.match(self.name):
            raise ValueError(f"catalog name must be a plain word, got {self.name!r}")
        if self.versions and self.default_version not in self.versions:
            raise ValueError(
                f"{self.name}: default_version {self.default_version!r} is not "
                f"one of {self.versions}"
            )
        if self.cap is not None and self.cap not in self.cone_params:
            raise ValueError(f"{self.name}: cap {self.cap!r} must be one of cone_params")
        if self.criteria and self.service_name is None:
            raise ValueError(f"{self.name}: criteria need a service_name")
        object.__setattr__(self, "cone_params", MappingProxyType(dict(self.cone_params)))
        object.__setattr__(self, "crossmatch", MappingProxyType(dict(self.crossmatch)))

    @property
    def rest(self):
        """True for a catalog of the catalogs REST API (no invoke services)."""
        return bool(self.rest_tables)

    def release(self, version=None):
        """
        The `Release` of ``version`` (default `default_version`).

        Parameters
        ----------
        version : object, optional
            One of `versions`; ``3``, ``"3"``, ``"DR3"``, ``"v3"`` all name release 3.

        Returns
        -------
        Release

        Raises
        ------
        InvalidQueryError
            If the catalog has no such release (or no releases and one is asked for).
        """
        if version is None:
            return Release(self, self.default_version)
        wanted = str(version).strip().lower()
        for known in self.versions:
            text = str(known).lower()
            if wanted in (text, f"dr{text}", f"v{text}", text.removeprefix("dr")):
                return Release(self, known)
        raise InvalidQueryError(
            f"version of catalog {self.name!r} must be one of "
            f"{list(self.versions) or 'none (it has no releases)'}, got "
            f"{version!r}"
        )

    def releases(self):
        """Every `Release`, oldest first (one for a catalog without releases)."""
        return tuple(Release(self, v) for v in self.versions) or (Release(self, None),)


@dataclass(frozen=True)
class Release:
    """
    One release of a catalog: its concrete services.

    Parameters
    ----------
    catalog : Catalog
    version : object
        The release (None for a catalog without releases).
    """

    catalog: Catalog
    version: object = None

    def _fill(self, template):
        return None if template is None else template.format(version=self.version)

    @property
    def label(self):
        """``"Gaia version 3"``, ``"Tic"``: the catalog and release, for messages."""
        if self.version is None:
            return self.catalog.name
        return f"{self.catalog.name} version {self.version}"

    @property
    def service_name(self):
        """``GaiaDR3`` in ``Mast.Catalogs.GaiaDR3.Cone`` (None without such services)."""
        return self._fill(self.catalog.service_name)

    @property
    def cone_service(self):
        """The cone service (None for a REST catalog)."""
        if self.catalog.cone is not None:
            return self._fill(self.catalog.cone)
        return None if self.service_name is None else f"Mast.Catalogs.{self.service_name}.Cone"

    @property
    def config_id(self):
        """The columns-config id of the catalog's rows."""
        return self._fill(self.catalog.config) or self.cone_service

    @property
    def histogram_service(self):
        """The ``Mast.Catalogs.All.*`` service that types the config's columns, or None."""
        return self._fill(self.catalog.histograms) or None

    @property
    def matches_service(self):
        """The service answering the matches of one id, or None."""
        return self._fill(self.catalog.matches)

    @property
    def key(self):
        """The unique id column."""
        return self.catalog.key

    @property
    def crossmatch_service(self):
        """The server-side crossmatch of this release (``Mast.Tic.Crossmatch``), or None."""
        return self.catalog.crossmatch.get(self.version)

    def filtered_service(self, *, position, rows=False):
        """
        ``Mast.Catalogs.Filtered.<name>[.Position][.Rows]``.

        Parameters
        ----------
        position : bool
            Around a position.
        rows : bool, optional
            For rows (not a count): the ``.Rows`` variant when the catalog has one.

        Returns
        -------
        str

        Raises
        ------
        InvalidQueryError
            If MAST has no criteria services for the catalog.
        """
        if not self.catalog.criteria:
            raise InvalidQueryError(
                f"catalog {self.catalog.name!r} takes no criteria at "
                f"MAST: use query_region (criteria catalogs: "
                f"{', '.join(c['name'] for c in catalogs() if c['criteria'])})"
            )
        service = f"Mast.Catalogs.Filtered.{self.service_name}"
        if position:
            service += ".Position"
        return service + (".Rows" if rows and self.catalog.rows_variant else "")

    def services(self):
        """Every service name of the release whose columns `config_id` describes."""
        names = [
            self.cone_service,
            self.matches_service,
            self.crossmatch_service,
            *(self._fill(s) for s in self.catalog.other_services),
        ]
        if self.catalog.criteria:
            for position in (False, True):
                names.append(self.filtered_service(position=position))
                names.append(self.filtered_service(position=position) + ".Rows")
        return tuple(dict.fromkeys(n for n in names if n))


CATALOGS = (
    Catalog(
        "Hsc",
        "Hubble Source Catalog (matched sources)",
        versions=(2, 3),
        default_version=3,
        cone="Mast.Hsc.Db.v{version}",
        key="MatchID",
        criteria=False,
        cone_params={"nr": 50000, "ni": 1, "magtype": 1},
        cap="nr",
        matches="Mast.HscMatches.Db.v{version}",
        crossmatch={3: "Mast.Hsc.Crossmatch"},
    ),
    Catalog(
        "Galex",
        "GALEX ultraviolet sources",
        cone="Mast.Galex.Catalog",
        key="objID",
        criteria=False,
        cone_params={"maxrecords": 50000},
        cap="maxrecords",
        crossmatch={None: "Mast.Galex.Crossmatch"},
    ),
    Catalog(
        "Gaia",
        "Gaia sources",
        service_name="GaiaDR{version}",
        versions=(1, 2, 3),
        default_version=2,
        key="source_id",
        crossmatch={3: "Mast.GaiaDR3.Crossmatch"},
    ),
    Catalog(
        "Tic",
        "TESS Input Catalog",
        service_name="Tic",
        config="Mast.Catalogs.Tess.Cone",
        aliases=("Tess",),
        rows_variant=True,
        histograms="Mast.Catalogs.All.Tic",
        crossmatch={None: "Mast.Tic.Crossmatch"},
        separation="dstArcSec",
    ),
    Catalog(
        "Ctl",
        "TESS Candidate Target List",
        service_name="Ctl",
        config="Mast.Catalogs.Tess.Cone",
        rows_variant=True,
        histograms="Mast.Catalogs.All.Tic",
        crossmatch={None: "Mast.Ctl.Crossmatch"},
        separation="dstArcSec",
    ),
    Catalog(
        "DiskDetective",
        "Disk Detective objects",
        service_name="DiskDetective",
        config="Mast.Catalogs.Dd.Cone",
        key="designation",
        aliases=("Dd",),
        histograms="Mast.Catalogs.All.DiskDetective",
    ),
    Catalog(
        "Plato",
        "PLATO Input Catalog",
        service_name="Plato",
        versions=(1,),
        default_version=1,
        key="PICidDR1",
    ),
    Catalog(
        "PanSTARRS",
        "Pan-STARRS1 (catalogs REST API)",
        versions=("dr1", "dr2"),
        default_version="dr2",
        key="objID",
        criteria=False,
        rest_tables=("mean", "stack", "detection"),
    ),
)
"""The catalogs mastq knows out of the box, in the order `catalogs` lists them."""

_SPECTRA_SERVICE = "Mast.HscSpectra.Db.All"
"""The service listing every HSC spectrum (a list, not a catalog with a cone)."""
_FILTERED = re.compile(r"^Mast\.Catalogs\.Filtered\.(\w+?)(\.Position)?(\.Rows)?$")


@dataclass(frozen=True)
class _Snapshot:
    """The registered catalogs and what is derived from them (replaced, never changed)."""

    catalogs: tuple
    names: MappingProxyType
    services: MappingProxyType

    @classmethod
    def of(cls, entries):
        names, services = {}, {}
        for catalog in entries:
            for name in (catalog.name, *catalog.aliases):
                names[name.lower()] = (catalog, None)
            for release in catalog.releases():
                own = (release.service_name or "").lower()
                if own and own not in names:
                    names[own] = (catalog, release.version)
                services.update((s.lower(), release) for s in release.services())
        return cls(tuple(entries), MappingProxyType(names), MappingProxyType(services))


_lock = threading.Lock()
_current = _Snapshot.of(CATALOGS)


def register(catalog):
    """
    Add a catalog to the registry (what `lookup` and `catalogs` see from now on).

    Parameters
    ----------
    catalog : Catalog

    Returns
    -------
    Catalog
        ``catalog``.

    Raises
    ------
    ValueError
        If its name, an alias or a service is already registered.
    """
    global _current  # noqa: PLW0603 -- replaced whole under the lock, read without it
    with _lock:
        mine = _Snapshot.of((catalog,))
        taken = sorted(
            (set(mine.names) & set(_current.names)) | (set(mine.services) & set(_current.services))
        )
        if taken:
            raise ValueError(f"catalog {catalog.name!r}: already registered: {taken}")
        _current = _Snapshot.of(_current.catalogs + (catalog,))
    return catalog


def unregister(name):
    """
    Remove the catalog called ``name`` (any case); nothing when there is none.

    Parameters
    ----------
    name : str
    """
    global _current  # noqa: PLW0603
    with _lock:
        _current = _Snapshot.of(
            tuple(c for c in _current.catalogs if c.name.lower() != name.lower())
        )


def lookup(catalog, *, version=None):
    """
    The `Release` a caller means by ``catalog`` and ``version``.

    Parameters
    ----------
    catalog : str
        A catalog name or alias in any case (``"Hsc"``, ``"gaia"``, ``"Tess"``), or a
        release's own name (``"GaiaDR3"``).
    version : object, optional
        The release (``catalog="Gaia", version=3``); default the catalog's default
        (astroquery's: Gaia DR2, HSC v3, PanSTARRS dr2).  With a release's own name,
        a different ``version`` is an error.

    Returns
    -------
    Release

    Raises
    ------
    InvalidQueryError
        If ``catalog`` is not a known name (with a did-you-mean), or the version is
        not one of the catalog's.
    """
    if not isinstance(catalog, str) or not catalog.strip():
        raise InvalidQueryError(
            f"catalog must be a catalog name such as 'Hsc', 'Tic' or 'Gaia', got {catalog!r}"
        )
    snapshot = _current
    found = snapshot.names.get(catalog.strip().lower())
    if found is None:
        return _undeclared(catalog.strip(), version, snapshot)
    entry, named_version = found
    if named_version is None:
        return entry.release(version)
    if version is not None and entry.release(version).version != named_version:
        raise InvalidQueryError(
            f"catalog {catalog!r} is release {named_version!r}; version={version!r} contradicts it"
        )
    return entry.release(named_version)


def _undeclared(name, version, snapshot):
    """
    A catalog not declared here, served as MAST names catalogs (astroquery sends
    ``Mast.Catalogs.<name>.Cone`` for any name): a user collection of a local MAST.
    A near miss of a declared name is a typo, refused with a did-you-mean.
    """
    close = difflib.get_close_matches(name.lower(), list(snapshot.names), n=1, cutoff=0.85)
    if close or not _NAME.match(name):
        hint = f"; did you mean {snapshot.names[close[0]][0].name!r}?" if close else ""
        known = ", ".join(c.name for c in snapshot.catalogs)
        raise InvalidQueryError(
            f"unknown catalog {name!r}{hint} (known: {known}, or the "
            f"plain name of a collection served as Mast.Catalogs.<name>)"
        )
    log.debug("catalog %r is not declared in mastq.registry: using Mast.Catalogs.%s.*", name, name)
    return Catalog(name, "not declared in mastq.registry", service_name=name, key=None).release(
        version
    )


def declared():
    """
    The registered `Catalog` declarations, in order.

    Returns
    -------
    tuple of Catalog
    """
    return _current.catalogs


def catalogs():
    """
    What exists: one entry per registered catalog.

    Returns
    -------
    list of dict
        ``name``, ``versions`` (list), ``default_version``, ``criteria`` (bool: column
        criteria are taken, by MAST's Filtered services or the catalogs REST API),
        ``description``.
    """
    return [
        {
            "name": c.name,
            "versions": list(c.versions),
            "default_version": c.default_version,
            "criteria": c.criteria or c.rest,
            "description": c.description,
        }
        for c in _current.catalogs
    ]


def release_of(service):
    """
    The `Release` a service name belongs to, or None.

    Parameters
    ----------
    service : str
        E.g. ``"Mast.Catalogs.Filtered.Tic.Position.Rows"``.

    Returns
    -------
    Release or None
    """
    return _current.services.get(service.lower()) if isinstance(service, str) else None


def config_id_of(service):
    """
    The columns-config id of a catalog service, or None for a service of no catalog.

    An undeclared ``Mast.Catalogs.Filtered.<X>...`` is read as MAST names it: config
    ``Mast.Catalogs.<X>.Cone``.

    Parameters
    ----------
    service : str

    Returns
    -------
    str or None
    """
    release = release_of(service)
    if release is not None:
        return release.config_id
    match = _FILTERED.match(service)
    return f"Mast.Catalogs.{match.group(1)}.Cone" if match else None


def key_column_of(service):
    """
    The unique id column of a catalog service's rows, or None.

    Parameters
    ----------
    service : str

    Returns
    -------
    str or None
    """
    release = release_of(service)
    return None if release is None else release.key


def histogram_service_of(config_id):
    """
    The ``Mast.Catalogs.All.*`` service typing the columns of ``config_id``, or None.

    Parameters
    ----------
    config_id : str

    Returns
    -------
    str or None
    """
    for release in _current.services.values():
        if release.config_id == config_id and release.histogram_service:
            return release.histogram_service
    return None


def spectra_service():
    """The service listing every HSC spectrum (``Mast.HscSpectra.Db.All``)."""
    return _SPECTRA_SERVICE
