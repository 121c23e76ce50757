"""
The one table of the local MAST's services: a name, case-insensitive, to a function.

A service registers itself with the `service` decorator::

    @service("Mast.Caom.Cone")
    def caom_cone(params, archive):
        ...

Catalogs register theirs through `mastq.emulator.catalogs.registry.register`, which
derives every service name of a catalog from its one declaration.  `run_service` looks a
name up here, then among the services of collections a user added to the archive.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from mastq.emulator.model import ServiceError

__all__ = ["Service", "ServiceTable", "SERVICES", "service", "run_service"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Service:
    """
    One service of the local MAST.

    Parameters
    ----------
    name : str
        Its name as MAST spells it (``"Mast.Caom.Cone"``); looked up case-insensitively.
    function : callable
        ``function(params, archive)`` -> `~mastq.emulator.model.TableResult` or
        `~mastq.emulator.model.DocumentResult`.
    catalog : str or None
        The catalog the service answers from, None for the others.
    """

    name: str
    function: Callable
    catalog: str | None = None


class ServiceTable:
    """A case-insensitive table of `Service` entries; a name is registered once."""

    def __init__(self):
        self._by_key = {}

    def add(self, entry):
        """
        Register a `Service`.

        Raises
        ------
        ValueError
            If another service already has its name.
        """
        key = entry.name.lower()
        if key in self._by_key:
            raise ValueError(f"service {entry.name!r} is already registered")
        self._by_key[key] = entry
        return entry

    def remove(self, name):
        """Forget the service `name` (no error when it is not registered)."""
        self._by_key.pop(name.lower(), None)

    def get(self, name):
        """The `Service` called `name` (any case), or None."""
        return self._by_key.get(name.strip().lower()) if isinstance(name, str) else None

    def names(self):
        """The registered names, in registration order."""
        return [entry.name for entry in self._by_key.values()]

    def service(self, name):
        """
        Decorator registering ``function(params, archive)`` as the service `name`.

        Examples
        --------
        >>> table = ServiceTable()
        >>> @table.service("Mast.Echo")
        ... def echo(params, archive):
        ...     return params
        >>> table.get("mast.echo").function({"a": 1}, None)
        {'a': 1}
        """

        def register(function):
            self.add(Service(name, function))
            return function

        return register


SERVICES = ServiceTable()
"""Every service of the local MAST, filled when the service modules are imported."""
service = SERVICES.service


def _params(params, service_name):
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ServiceError(f"{service_name}: 'params' must be an object, got {params!r}")
    return params


def run_service(service_name, params, archive):
    """
    Run one service of the local MAST.

    Parameters
    ----------
    service_name : str
        The service name (``"Mast.Caom.Cone"``...), case-insensitive.
    params : dict
        Its parameters.
    archive : mastq.emulator.caom.archive.Archive
        The archive to query (its ``catalogs`` answer the catalog services).

    Returns
    -------
    mastq.emulator.model.TableResult or mastq.emulator.model.DocumentResult

    Raises
    ------
    mastq.emulator.model.ServiceError
        For an unknown service, or missing/invalid parameters (naming them).
    """
    if not isinstance(service_name, str) or not service_name.strip():
        raise ServiceError(
            f"'service' must be a service name such as 'Mast.Caom.Cone', got {service_name!r}"
        )
    params = _params(params, service_name)
    entry = SERVICES.get(service_name)
    catalogs = getattr(archive, "catalogs", None)
    if entry is None and catalogs is not None:
        entry = catalogs.collection_service(service_name)
    if entry is None:
        raise ServiceError(
            f"Unknown service: {service_name!r}; known services include "
            f"{', '.join(SERVICES.names()[:8])}, ... and the Mast.Catalogs.* "
            "family of each catalog"
        )
    log.debug("running %s", entry.name)
    return entry.function(params, archive)
