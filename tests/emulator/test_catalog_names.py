"""
Catalog identifiers resolve as names in the local MAST: ``Mast.Name.Lookup`` and the
resolver endpoint astroquery calls (``/Santa-war/query``), to the catalog row's position.
"""

import numpy as np
import pytest
import requests

from mastq.emulator.catalogs.identifiers import EPIC_BASE
from tests.emulator.test_astroquery_compat import (
    direct,
    resolver_via_emulator,  # noqa: F401 (fixture)
)


@pytest.fixture(scope="module")
def served(mast_emulator):
    """The default local MAST's catalogs (same seed and scale as the session server)."""
    from mastq.emulator.catalogs import Catalogs
    from mastq.emulator.services.names import OBJECTS

    return Catalogs(seed=0, centres=[(o.ra, o.dec) for o in OBJECTS])


def _identifiers(served):
    tic, gaia = served.table("Tic"), served.table("GaiaDR3")
    kic_rows = np.flatnonzero(~np.ma.getmaskarray(tic.columns["KIC"]))
    star = np.asarray(tic.columns["objType"].codes) == 0
    epic_rows = np.flatnonzero(star & (np.abs(np.asarray(tic.columns["eclat"])) < 10.0))
    return [
        (f"TIC {tic.columns['ID'][5]}", tic.ra[5], tic.dec[5]),
        (f"KIC {tic.columns['KIC'][kic_rows[0]]}", tic.ra[kic_rows[0]], tic.dec[kic_rows[0]]),
        (f"EPIC {EPIC_BASE + 3}", tic.ra[epic_rows[3]], tic.dec[epic_rows[3]]),
        (f"Gaia DR3 {gaia.columns['source_id'][7]}", gaia.ra[7], gaia.dec[7]),
    ]


def test_identifiers_resolve_in_name_lookup_and_resolver(mast_emulator, served):
    for name, ra, dec in _identifiers(served):
        answer = direct(mast_emulator, "Mast.Name.Lookup", {"input": name, "format": "json"})
        entry = answer["resolvedCoordinate"][0]
        assert (entry["canonicalName"], entry["ra"], entry["decl"]) == (name, ra, dec)
        santa = requests.get(
            f"{mast_emulator}/Santa-war/query",
            params={"name": name.lower(), "outputFormat": "json", "resolveAll": "true"},
            timeout=30,
        ).json()
        resolvers = [e["resolver"] for e in santa["resolvedCoordinate"]]
        expected = (["TIC"] if name.startswith("TIC") else []) + ["SIMBAD", "NED"]
        assert resolvers == expected
        assert all((e["ra"], e["decl"]) == (ra, dec) for e in santa["resolvedCoordinate"])


@pytest.mark.parametrize(
    "name", ["TIC 1", "KIC 12", f"EPIC {EPIC_BASE - 1}", "Gaia DR3 99999999999999999", "Gaia DR4 1"]
)
def test_unknown_identifiers_do_not_resolve(mast_emulator, name):
    answer = direct(mast_emulator, "Mast.Name.Lookup", {"input": name, "format": "json"})
    assert answer["resolvedCoordinate"] == []


@pytest.mark.usefixtures("resolver_via_emulator")
def test_astroquery_resolves_a_tic_id(served):
    from astroquery.mast import utils

    name, ra, dec = _identifiers(served)[0]
    coordinates = utils.resolve_object(name)
    assert np.isclose(coordinates.ra.deg, ra) and np.isclose(coordinates.dec.deg, dec)
