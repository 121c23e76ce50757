"""
Catalog identifiers as names: ``TIC 141914082``, ``KIC 1000097``, ``EPIC 201000012``,
``Gaia DR3 <source_id>`` (also DR2 and DR1), resolved against the local MAST's catalogs.

- ``TIC n``: the TIC row whose ``ID`` is n;
- ``KIC n``: the TIC row whose ``KIC`` is n;
- ``EPIC n``: K2 targets are the TIC stars within 10 degrees of the ecliptic; the i-th of
  them (in TIC order) is ``EPIC 201000001 + i`` (a rule of the local MAST: its TIC carries
  no EPIC column, as MAST's does not);
- ``Gaia DRk n``: the source of that release whose ``source_id`` is n.
"""

import re

import numpy as np

__all__ = ["resolve_identifier", "EPIC_BASE"]

EPIC_BASE = 201_000_001
_PATTERN = re.compile(r"^\s*(TIC|KIC|EPIC|GAIA\s*DR([123]))\s*(\d{1,19})\s*$", re.IGNORECASE)


def _row(values, number):
    """The first row of an integer column equal to `number`, or None."""
    data = np.ma.getdata(values)
    hits = np.flatnonzero((data == number) & ~np.ma.getmaskarray(values))
    return int(hits[0]) if len(hits) else None


def _epic_rows(tic):
    star = np.asarray(tic.columns["objType"].codes) == 0
    return np.flatnonzero(star & (np.abs(np.asarray(tic.columns["eclat"])) < 10.0))


def resolve_identifier(catalogs, name):
    """
    Resolve a catalog identifier to a position.

    Parameters
    ----------
    catalogs : mastq.emulator.catalogs.Catalogs
        The catalogs of the local MAST.
    name : str
        ``"TIC 141914082"``, ``"kic1000097"``, ``"Gaia DR3 1234..."`` (any case, blanks
        optional).

    Returns
    -------
    tuple or None
        ``(canonical name, catalog, ra, dec)`` (``catalog`` is ``"TIC"``, ``"KIC"``,
        ``"EPIC"`` or ``"GAIA"``), None when `name` is no identifier or no row has it.
    """
    match = _PATTERN.match(name) if isinstance(name, str) else None
    if match is None:
        return None
    kind, release, number = match.group(1).upper(), match.group(2), int(match.group(3))
    if number >= 2**63:
        return None
    if release is not None:
        table, canonical, kind = (
            catalogs.table(f"GaiaDR{release}"),
            f"Gaia DR{release} {number}",
            "GAIA",
        )
        row = _row(table.columns["source_id"], number)
    else:
        table, canonical = catalogs.table("Tic"), f"{kind} {number}"
        if kind == "EPIC":
            rows = _epic_rows(table)
            index = number - EPIC_BASE
            row = int(rows[index]) if 0 <= index < len(rows) else None
        else:
            row = _row(table.columns["ID" if kind == "TIC" else "KIC"], number)
    if row is None:
        return None
    return canonical, kind, float(table.ra[row]), float(table.dec[row])
