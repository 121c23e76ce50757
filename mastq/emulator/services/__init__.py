"""
The services of the local MAST: dispatch, parameter parsing (filters, sky) and the CAOM,
name and columns-config services.
"""

from mastq.emulator.services.caom import SERVICES, run_service

__all__ = ["run_service", "SERVICES"]
