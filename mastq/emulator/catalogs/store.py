"""
The catalogs of one local MAST: built on first use from the shared stellar population.

`Catalogs` holds the rows of every registered catalog (`mastq.emulator.catalogs.registry`)
for one seed and scale, and the collections users add at run time.  `Sky` is what a
catalog's builder receives: the shared `~mastq.emulator.catalogs.stars.Population` (so
positions agree across catalogs), per-catalog random generators, and the other catalogs.
"""

import copy
import functools
import logging
import threading

import numpy as np

from mastq.emulator.catalogs.gaia import GAIA_LIMIT, gaia_source_ids
from mastq.emulator.catalogs.registry import CATALOGS, CatalogDef, catalog_services, config_owner
from mastq.emulator.catalogs.stars import make_population
from mastq.emulator.catalogs.user_collections import COLLECTION_NAME, build_collection
from mastq.emulator.model import ServiceError
from mastq.emulator.services.registry import SERVICES, ServiceTable

__all__ = ["Catalogs", "Sky", "STARS_PER_SCALE"]

log = logging.getLogger(__name__)

STARS_PER_SCALE = 50_000
"""Stars of the generated population at ``scale=1`` (TIC ~ 51,500 rows, Gaia ~ 48,000)."""


def _check_centres(centres):
    try:
        pairs = [(float(ra), float(dec)) for ra, dec in centres]
    except (TypeError, ValueError):
        raise ValueError(
            f"centres: expected a sequence of (ra, dec) pairs in degrees, got {centres!r}"
        ) from None
    if any(not (np.isfinite(ra) and -90.0 <= dec <= 90.0) for ra, dec in pairs):
        raise ValueError(
            f"centres: each (ra, dec) must be finite with dec in [-90, 90] degrees, got {pairs!r}"
        )
    return tuple(pairs)


class Sky:
    """
    What a catalog builder receives: the shared population, seeds, the other catalogs.

    Parameters
    ----------
    catalogs : Catalogs
        The catalogs being built (``sky.table(name)`` builds a dependency).
    seed : int
        The seed of every draw.
    nstars : int
        Stars in the population.
    centres : tuple of (float, float)
        Where 30% of the stars cluster.
    """

    def __init__(self, catalogs, *, seed, nstars, centres):
        self._catalogs = catalogs
        self.seed, self.nstars, self.centres = seed, nstars, centres

    def rng(self, stream):
        """A generator of its own for `stream` (an int: one per catalog, fixed forever)."""
        return np.random.default_rng([self.seed, stream])

    @functools.cached_property
    def population(self):
        """The shared `~mastq.emulator.catalogs.stars.Population`."""
        return make_population(self.rng(1), self.nstars, centres=self.centres)

    @functools.cached_property
    def gaia_ids(self):
        """The Gaia ``source_id`` of each star of `population` (0 when fainter than Gaia)."""
        pop = self.population
        in_gaia = pop.photometry()["G"] < GAIA_LIMIT
        ids = np.zeros(len(pop), np.int64)
        ids[in_gaia] = gaia_source_ids(self.rng(2), pop.ra[in_gaia], pop.dec[in_gaia])
        return ids

    def table(self, name):
        """Another catalog, built if needed."""
        return self._catalogs.table(name)


class Catalogs:
    """
    The catalogs of a local MAST, each built on first use.

    Parameters
    ----------
    seed : int, optional
        Seed of the generated catalogs (the same seed gives the same rows).
    scale : float, optional
        Size factor: ``scale=1`` makes 50,000 stars.
    centres : sequence of (float, float), optional
        ``(ra, dec)`` in degrees of well-known targets; 30% of the stars cluster around
        them (Gaussian, sigma 0.25 deg), the rest spread over the sphere.

    Raises
    ------
    ValueError
        If `seed`, `scale` or `centres` is not valid.
    """

    def __init__(self, *, seed=0, scale=1.0, centres=()):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        if not (isinstance(scale, (int, float)) and np.isfinite(scale) and scale > 0):
            raise ValueError(f"scale: expected a positive number, got {scale!r}")
        nstars = max(1, int(round(STARS_PER_SCALE * scale)))
        self._sky = Sky(self, seed=int(seed), nstars=nstars, centres=_check_centres(centres))
        self._built = {}
        self._build_lock = threading.RLock()
        self._collections = {}
        self._collection_services = ServiceTable()
        self._lock = threading.Lock()

    @property
    def catalogs(self):
        """These catalogs (so `Catalogs` can stand in for a whole archive)."""
        return self

    def table(self, name):
        """
        The rows of a catalog, by name (``"Tic"``, ``"GaiaDR3"`` or a user's collection).

        Parameters
        ----------
        name : str
            The catalog name, case-insensitive.

        Returns
        -------
        CatalogTable or None
            None when no catalog has that name.
        """
        key = name.lower()
        with self._lock:
            if key in self._collections:
                return self._collections[key][1]
        definition = CATALOGS.get(key)
        if definition is None:
            return None
        with self._build_lock:
            if key not in self._built:
                self._built[key] = definition.build(self._sky)
                log.debug("built %s: %d rows", definition.name, self._built[key].nrows)
            return self._built[key]

    def handle(self, service, params):
        """
        Answer one catalog service request.

        Parameters
        ----------
        service : str
            The service name, e.g. ``"Mast.Catalogs.Filtered.Tic.Position.Rows"``.
        params : dict
            The request ``params``.

        Returns
        -------
        TableResult or None
            None when `service` is not a service of a known catalog.

        Raises
        ------
        mastq.emulator.model.ServiceError
            Naming the missing or invalid parameter.
        """
        entry = SERVICES.get(service)
        if entry is None or entry.catalog is None:
            entry = self.collection_service(service)
        if entry is None:
            return None
        if not isinstance(params, dict):
            raise ServiceError(f"{service}: params must be an object, got {type(params).__name__}")
        return entry.function(params, self)

    def collection_service(self, service):
        """The `~mastq.emulator.services.registry.Service` of a user's collection, or None."""
        with self._lock:
            return self._collection_services.get(service)

    def columns_config(self, config_id):
        """
        The columns config (column metadata) of a catalog.

        Parameters
        ----------
        config_id : str
            ``Mast.Catalogs.<Name>.Cone`` or another id the catalog declares
            (``Mast.Catalogs.Tess.Cone`` for the TIC).

        Returns
        -------
        dict or None
            A new dict (column -> properties), None when the id is not a catalog's.
        """
        definition = config_owner(config_id)
        if definition is not None:
            return definition.columns()
        with self._lock:
            for name, _, config in self._collections.values():
                if f"mast.catalogs.{name.lower()}.cone" == (config_id or "").strip().lower():
                    return copy.deepcopy(config)
        return None

    def add_collection(self, name, table):
        """
        Serve a user's table as ``Mast.Catalogs.<name>.Cone`` and ``Filtered.<name>[...]``.

        Parameters
        ----------
        name : str
            The collection name: a letter then letters, digits or ``_``; not a built-in
            catalog.  Adding a name again replaces the collection.
        table : astropy.table.Table
            The sources, with ``ra``/``dec`` (or ``RA``/``DEC``, ``s_ra``/``s_dec``) in
            degrees; masked values are served as null.

        Raises
        ------
        ValueError
            If `name` is not valid or taken by a built-in catalog, or `table` is not
            valid (see `mastq.emulator.catalogs.user_collections.build_collection`).
        """
        if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
            raise ValueError(
                f"name: expected a letter followed by letters, digits or '_', got {name!r}"
            )
        if name.lower() in CATALOGS or name.lower() in ("filtered", "all"):
            raise ValueError(
                f"name: {name!r} is a built-in catalog or reserved word; choose another name"
            )
        catalog, config = build_collection(table)
        definition = CatalogDef(
            name, build=None, columns=lambda: copy.deepcopy(config), histograms=True
        )
        with self._lock:
            self._collections[name.lower()] = (name, catalog, config)
            for entry in catalog_services(definition, lambda archive: catalog):
                self._collection_services.remove(entry.name)
                self._collection_services.add(entry)
        log.info("added collection %s (%d rows)", name, catalog.nrows)
