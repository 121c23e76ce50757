"""Fixtures of the client tests: clients pointed at the session's local MAST."""

import pytest

import mastq
from mastq.catalogs import CatalogsClass
from mastq.mast import MastClass
from mastq.observations import ObservationsClass


@pytest.fixture(scope="module")
def local_mast(mast_emulator):
    """Point `mastq.conf` at the local MAST, without the persistent cache, for a module."""
    with mastq.conf.set_temp("server", mast_emulator), mastq.conf.set_temp("cache", False):
        yield mast_emulator


@pytest.fixture(scope="module")
def obs(local_mast):
    """An `ObservationsClass` of the local MAST."""
    return ObservationsClass()


@pytest.fixture(scope="module")
def cat(local_mast):
    """A `CatalogsClass` of the local MAST."""
    return CatalogsClass()


@pytest.fixture(scope="module")
def mast_door(local_mast):
    """A `MastClass` (astroquery's ``Mast``) of the local MAST."""
    return MastClass()
