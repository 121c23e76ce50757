"""
The star catalogs of the local MAST, each declared once (see `mastq.emulator.catalogs.store`).
"""

from mastq.emulator.catalogs.store import STARS_PER_SCALE, Catalogs

__all__ = ["Catalogs", "STARS_PER_SCALE"]
