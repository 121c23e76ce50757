"""
A catalog is one declaration: a toy catalog registered here is served over HTTP with its
cone, filtered, count and histogram services and its columns config, all derived.
"""

import json

import numpy as np
import pytest
import requests

from mastq.emulator.catalogs import CATALOGS, CatalogDef, register, unregister
from mastq.emulator.catalogs.table import CatalogTable
from mastq.emulator.model import Field
from mastq.emulator.services import SERVICES

TOY_FIELDS = (
    Field("toy_id", "int"),
    Field("ra", "float"),
    Field("dec", "float"),
    Field("mag", "float"),
)


def _build_toy(sky):
    pop = sky.population
    first = np.arange(200)
    return CatalogTable(
        TOY_FIELDS,
        {"toy_id": first + 1, "ra": pop.ra[first], "dec": pop.dec[first], "mag": pop.vmag[first]},
    )


def _toy_columns():
    return {
        "toy_id": {"text": "Toy ID", "vot.datatype": "int"},
        "mag": {"text": "Magnitude", "vot.datatype": "double", "vot.unit": "mag"},
    }


@pytest.fixture
def toy():
    definition = register(
        CatalogDef("Toy", build=_build_toy, columns=_toy_columns, histograms=True)
    )
    yield definition
    unregister("Toy")


def _invoke(url, service, params):
    request = {"service": service, "params": params, "format": "json", "pagesize": 1000, "page": 1}
    answer = requests.post(
        f"{url}/api/v0/invoke", data={"request": json.dumps(request)}, timeout=30
    )
    answer.raise_for_status()
    return answer.json()


def test_toy_catalog_is_served_from_one_declaration(toy, mast_emulator_factory):
    server = mast_emulator_factory(seed=7, scale=0.05)
    table = server.app.archive.catalogs.table("Toy")
    ra, dec = float(table.ra[0]), float(table.dec[0])
    cone = _invoke(server.url, "Mast.Catalogs.Toy.Cone", {"ra": ra, "dec": dec, "radius": 0.01})
    assert [f["name"] for f in cone["fields"]] == ["toy_id", "ra", "dec", "mag", "distance"]
    assert cone["data"][0]["toy_id"] == 1 and cone["data"][0]["distance"] < 1e-6
    filters = [{"paramName": "mag", "values": [{"min": -5, "max": 12}]}]
    count = _invoke(
        server.url, "Mast.Catalogs.Filtered.Toy", {"columns": "COUNT_BIG(*)", "filters": filters}
    )
    rows = _invoke(
        server.url, "Mast.Catalogs.Filtered.Toy.Rows", {"columns": "*", "filters": filters}
    )
    assert int(count["data"][0]["Column1"]) == len(rows["data"]) > 0
    assert all(row["mag"] <= 12 for row in rows["data"])
    config = requests.post(
        f"{server.url}/portal/Mashup/Mashup.asmx/columnsconfig",
        data={"colConfigId": "Mast.Catalogs.Toy.Cone"},
        timeout=30,
    )
    assert config.json()["mag"]["vot.unit"] == "mag"


def test_unregistering_forgets_every_derived_service(toy):
    names = toy.service_handlers()
    assert "Mast.Catalogs.Filtered.Toy.Position.Rows" in names
    assert "Mast.Catalogs.All.Toy" in names
    unregister("Toy")
    assert "toy" not in CATALOGS
    assert all(SERVICES.get(name) is None for name in names)


def test_a_name_is_registered_once(toy):
    with pytest.raises(ValueError, match="already registered"):
        register(CatalogDef("Toy", build=_build_toy, columns=_toy_columns))
