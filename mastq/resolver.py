"""
Object names to sky positions with MAST's ``Mast.Name.Lookup``, as astroquery.mast 0.4.11.

`resolve_names` takes one name or several (resolved in one request), a resolver
(``"SIMBAD"`` or ``"NED"``) or MAST's default order, or every resolver at once
(``resolve_all``), and answers in astroquery's shapes: a `~astropy.coordinates.SkyCoord`
for one name, a dict keyed by resolver with ``resolve_all``, a dict keyed by name for
several names.
"""

import logging

import astropy.units as u
from astropy.coordinates import SkyCoord

from .exceptions import InputWarning, InvalidQueryError, ResolverError, warn_user

__all__ = ["RESOLVERS", "LOOKUP_SERVICE", "resolve_names"]

log = logging.getLogger(__name__)

RESOLVERS = ("SIMBAD", "NED")
"""The resolvers a caller may choose, as MAST names them."""

LOOKUP_SERVICE = "Mast.Name.Lookup"
"""The MAST service that resolves names."""

# Names of MAST's own catalogs: their resolver entry is checked against the catalog's.
_CATALOG_PREFIXES = {"TIC ": "TIC", "KIC ": "KEPLER", "EPIC ": "K2"}


def resolve_names(client, objectname, *, resolver=None, resolve_all=False):
    """
    Resolve one or more object names (one ``Mast.Name.Lookup`` request).

    Parameters
    ----------
    client : mastq.services.ServiceClient
        The service door.
    objectname : str or iterable of str
        E.g. ``"M101"`` or ``["M101", "Vega"]``.
    resolver : {'SIMBAD', 'NED'}, optional
        Use this resolver (any case); default MAST's order (first that knows the name).
        Ignored, with an `~mastq.exceptions.InputWarning`, when ``resolve_all``.
    resolve_all : bool, optional
        Answer the position of every resolver that knows the name.

    Returns
    -------
    `~astropy.coordinates.SkyCoord` or dict
        As astroquery.mast: one name gives a SkyCoord, or with ``resolve_all`` a dict
        resolver -> SkyCoord; several names give a dict name -> (SkyCoord or dict
        resolver -> SkyCoord), a name that does not resolve left out with an
        `~mastq.exceptions.InputWarning`.

    Raises
    ------
    ResolverError
        If the resolver is unknown, the one name does not resolve, or none of the
        names does (the message names them and the resolver).
    InvalidQueryError
        If ``objectname`` is not a name or a non-empty list of names.

    Examples
    --------
    >>> from mastq.services import ServiceClient
    >>> resolve_names(ServiceClient(), "M31")
    <SkyCoord (ICRS): (ra, dec) in deg
        (10.684708, 41.26875)>
    >>> sorted(resolve_names(ServiceClient(), ["M31", "M101"]))
    ['M101', 'M31']
    """
    names = _names(objectname)
    resolver = _check_resolver(resolver, resolve_all, names)
    catalog = _catalog(names) if resolver else None
    params = {
        "input": names[0] if len(names) == 1 else names,
        "format": "json",
        "resolveAll": bool(resolve_all or catalog),
    }
    if resolver and not params["resolveAll"]:
        params["resolver"] = resolver
    found = client.document(LOOKUP_SERVICE, params).get("resolvedCoordinate") or []
    results = {}
    for name in names:
        entries = [e for e in found if _key(str(e.get("searchString", ""))) == _key(name)]
        coords = _answer(
            name,
            entries,
            resolver=resolver,
            resolve_all=resolve_all,
            catalog=catalog,
            single=len(names) == 1,
        )
        if coords is not None:
            results[name] = coords
    if not results:
        raise ResolverError(
            f"none of the names {names} could be resolved to a sky position "
            f"(resolver: {resolver or 'MAST default order'})",
            service=LOOKUP_SERVICE,
        )
    return next(iter(results.values())) if len(names) == 1 else results


def _names(objectname):
    """The names of ``objectname`` (a str, or an iterable of them) as a list."""
    names = [objectname] if isinstance(objectname, str) else objectname
    try:
        names = list(names)
    except TypeError:
        names = None
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise InvalidQueryError(
            f"objectname must be an object name or a non-empty list of "
            f"names (non-empty strings), got {objectname!r}"
        )
    return names


def _check_resolver(resolver, resolve_all, names):
    """The resolver in MAST's spelling, or None; warn that ``resolve_all`` ignores it."""
    if resolver is None:
        return None
    if not isinstance(resolver, str) or resolver.upper() not in RESOLVERS:
        raise ResolverError(
            f"cannot resolve {_quoted(names)}: resolver must be one of "
            f"{', '.join(RESOLVERS)}, got {resolver!r}",
            service=LOOKUP_SERVICE,
        )
    if resolve_all:
        warn_user(
            "The resolver parameter is ignored when resolve_all is True. Coordinates "
            "will be resolved using all available resolvers.",
            InputWarning,
        )
    return resolver.upper()


def _catalog(names):
    """The MAST catalog the names belong to (``TIC 123`` -> TIC), or None."""
    return next(
        (
            catalog
            for prefix, catalog in _CATALOG_PREFIXES.items()
            for name in names
            if name.startswith(prefix)
        ),
        None,
    )


def _answer(name, entries, *, resolver, resolve_all, catalog, single):
    """The position(s) of one name, or None (after a warning) when it did not resolve."""
    if resolver and not resolve_all:
        chosen = next((e for e in entries if e.get("resolver") == resolver), None)
        if chosen is None:
            return _unresolved(
                name,
                single,
                f"using resolver {resolver!r}; try another "
                f"resolver or resolver=None (MAST's order)",
            )
        coord = _coord(chosen)
        _check_catalog(name, coord, entries, resolver=resolver, catalog=catalog)
        return coord
    if not entries:
        return _unresolved(name, single, "(resolver: MAST default order)")
    if resolve_all:
        return {e["resolver"]: _coord(e) for e in entries}
    log.debug("%r resolved by %s", name, entries[0].get("resolver"))
    return _coord(entries[0])


def _check_catalog(name, coord, entries, *, resolver, catalog):
    """Warn when a resolver places a catalog object more than 1 arcsec from the catalog."""
    match = next((e for e in entries if catalog and e.get("resolver") == catalog), None)
    if match is not None and coord.separation(_coord(match)) > 1 * u.arcsec:
        warn_user(
            f"Resolver {resolver} returned coordinates for {name!r} that differ from "
            f"MAST {catalog} catalog by more than 1 arcsec.",
            InputWarning,
        )


def _unresolved(name, single, how):
    message = f"Could not resolve {name!r} to a sky position {how}"
    if single:
        raise ResolverError(message, service=LOOKUP_SERVICE)
    warn_user(message, InputWarning)
    return None


def _coord(entry):
    return SkyCoord(float(entry["ra"]), float(entry["decl"]), unit="deg", frame="icrs")


def _key(name):
    """Names compare without case and with blanks collapsed, as MAST's resolver does."""
    return " ".join(name.split()).lower()


def _quoted(names):
    return ", ".join(repr(n) for n in names)
