"""
The star catalogs of the local MAST, each declared once.

A catalog is one `~mastq.emulator.catalogs.registry.CatalogDef` (a builder plus its
columns config) registered in its own module; importing this package registers them all.
`~mastq.emulator.catalogs.store.Catalogs` holds the rows of one local MAST.
"""

from mastq.emulator.catalogs import diskdetective, gaia, galex, hsc, panstarrs, plato, tic  # noqa: F401 (each registers its catalogs)
from mastq.emulator.catalogs.registry import CATALOGS, CatalogDef, register, unregister
from mastq.emulator.catalogs.store import STARS_PER_SCALE, Catalogs, Sky

__all__ = ["Catalogs", "Sky", "CatalogDef", "CATALOGS", "register", "unregister", "STARS_PER_SCALE"]
