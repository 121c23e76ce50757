"""
The services of the local MAST: the registry and dispatch (`run_service`), parameter
parsing (filters, sky), and the CAOM, name and columns-config services.

Importing this package imports every module that registers services, so `SERVICES` is
complete: CAOM (`mastq.emulator.services.caom`, `mastq.emulator.caom.caomall`), names
(`mastq.emulator.services.names`) and the catalogs (`mastq.emulator.catalogs`).
"""

import mastq.emulator.catalogs  # noqa: E402, F401, I001 (registers every catalog's services)
from mastq.emulator.caom import caomall  # noqa: F401 (registers Mast.Caom.All, Missions.List)
from mastq.emulator.services import caom, crossmatch, names  # noqa: F401 (register services)
from mastq.emulator.services.registry import SERVICES, Service, run_service, service

__all__ = ["run_service", "service", "Service", "SERVICES"]
