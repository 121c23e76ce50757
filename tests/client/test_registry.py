"""The catalog registry: names, releases, derived services; a toy catalog end to end."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

import mastq
from mastq import registry
from mastq.catalogs import CatalogsClass
from mastq.columns import config_id
from mastq.emulator import Archive
from mastq.emulator.catalogs import CatalogDef
from mastq.emulator.catalogs import register as serve
from mastq.emulator.catalogs import unregister as unserve
from mastq.emulator.catalogs.table import CatalogTable
from mastq.emulator.model import Field
from mastq.exceptions import InvalidQueryError


@pytest.mark.parametrize(
    "catalog, version, cone",
    [
        ("Hsc", None, "Mast.Hsc.Db.v3"),
        ("hsc", 2, "Mast.Hsc.Db.v2"),
        ("HSC", "v2", "Mast.Hsc.Db.v2"),
        ("Gaia", None, "Mast.Catalogs.GaiaDR2.Cone"),
        ("gaia", 1, "Mast.Catalogs.GaiaDR1.Cone"),
        ("Gaia", "DR3", "Mast.Catalogs.GaiaDR3.Cone"),
        ("GaiaDR3", None, "Mast.Catalogs.GaiaDR3.Cone"),
        ("gaiadr2", 2, "Mast.Catalogs.GaiaDR2.Cone"),
        ("Tess", None, "Mast.Catalogs.Tic.Cone"),
        ("dd", None, "Mast.Catalogs.DiskDetective.Cone"),
        ("Galex", None, "Mast.Galex.Catalog"),
        ("Plato", 1, "Mast.Catalogs.Plato.Cone"),
        ("PanSTARRS", None, None),
    ],
)
def test_names_and_releases(catalog, version, cone):
    assert registry.lookup(catalog, version=version).cone_service == cone


def test_derived_services_and_config_ids():
    tic = registry.lookup("Tic")
    assert (
        tic.filtered_service(position=True, rows=True) == "Mast.Catalogs.Filtered.Tic.Position.Rows"
    )
    assert tic.filtered_service(position=False) == "Mast.Catalogs.Filtered.Tic"
    assert (
        registry.lookup("DiskDetective").filtered_service(position=True, rows=True)
        == "Mast.Catalogs.Filtered.DiskDetective.Position"
    )  # no .Rows variant
    assert tic.config_id == registry.lookup("Ctl").config_id == "Mast.Catalogs.Tess.Cone"
    assert registry.histogram_service_of("Mast.Catalogs.Tess.Cone") == "Mast.Catalogs.All.Tic"
    assert (
        registry.histogram_service_of("Mast.Catalogs.Dd.Cone") == "Mast.Catalogs.All.DiskDetective"
    )
    assert registry.histogram_service_of("Mast.Caom.Cone") is None
    assert registry.lookup("Hsc", version=2).matches_service == "Mast.HscMatches.Db.v2"
    assert registry.key_column_of("Mast.Catalogs.Filtered.GaiaDR3.Position") == "source_id"
    assert registry.key_column_of("Mast.Caom.Filtered") is None
    assert config_id("Mast.Catalogs.Filtered.Ctl.Position.Rows") == "Mast.Catalogs.Tess.Cone"
    assert config_id("Mast.Hsc.Db.v2") == "Mast.Hsc.Db.v2"


@pytest.mark.parametrize(
    "catalog, version, words",
    [
        ("Mast.Catalogs.Tic", None, "unknown catalog"),
        ("Tic Cat", None, "unknown catalog"),
        ("Ticc", None, "did you mean 'Tic'"),
        ("", None, "catalog must be a catalog name"),
        (3, None, "catalog must be a catalog name"),
        ("Gaia", 4, "must be one of [1, 2, 3]"),
        ("Tic", 2, "none (it has no releases)"),
        ("GaiaDR1", 3, "contradicts"),
    ],
)
def test_bad_names_and_versions(catalog, version, words):
    with pytest.raises(InvalidQueryError) as info:
        registry.lookup(catalog, version=version)
    assert words in str(info.value)


def test_releases_are_values():
    assert registry.lookup("hsc") == registry.lookup("Hsc", version=3)
    assert len({registry.lookup("Hsc"), registry.lookup("HSC", version="v3")}) == 1
    with pytest.raises(TypeError):
        registry.lookup("Hsc").catalog.cone_params["nr"] = 1  # read-only


def test_no_criteria_services_for_cone_only_catalogs():
    with pytest.raises(InvalidQueryError, match="takes no criteria"):
        registry.lookup("Galex").filtered_service(position=True)


def test_list_catalogs_says_what_exists():
    table = CatalogsClass.list_catalogs()
    rows = {row["name"]: row for row in table}
    assert set(rows) == {
        "Hsc",
        "Galex",
        "Gaia",
        "Tic",
        "Ctl",
        "DiskDetective",
        "Plato",
        "PanSTARRS",
    }
    assert rows["Gaia"]["versions"] == "1, 2, 3" and rows["Gaia"]["default_version"] == "2"
    assert rows["Hsc"]["default_version"] == "3" and not rows["Hsc"]["criteria"]
    assert rows["PanSTARRS"]["criteria"] and rows["Tic"]["criteria"]


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"name": "Two Words"}, "plain word"),
        ({"versions": (1, 2), "default_version": 3}, "default_version"),
        ({"cap": "nr"}, "cap"),
        ({"service_name": None}, "criteria need a service_name"),
    ],
)
def test_a_bad_declaration_is_refused(bad, words):
    fields = dict(name="Toy", description="toy", service_name="Toy")
    with pytest.raises(ValueError, match=words):
        registry.Catalog(**dict(fields, **bad))


def test_a_name_is_registered_once():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.Catalog("Tess", "again", service_name="Tess2"))


# A toy catalog: one declaration on each side ------------------------------------------

TOY_FIELDS = (
    Field("toy_id", "int"),
    Field("ra", "float"),
    Field("dec", "float"),
    Field("mag", "float"),
)


def _build_toy(sky):
    first = np.arange(300)
    return CatalogTable(
        TOY_FIELDS,
        {
            "toy_id": first + 1,
            "ra": sky.population.ra[first],
            "dec": sky.population.dec[first],
            "mag": sky.population.vmag[first],
        },
    )


def _toy_columns():
    return {
        "toy_id": {"text": "Toy ID", "vot.datatype": "int"},
        "ra": {"vot.datatype": "double", "vot.unit": "deg"},
        "dec": {"vot.datatype": "double", "vot.unit": "deg"},
        "mag": {"text": "Magnitude", "vot.datatype": "double", "vot.unit": "mag"},
    }


@pytest.fixture
def toy(mast_emulator_factory):
    serve(CatalogDef("Toy", build=_build_toy, columns=_toy_columns))  # the local MAST's side
    registry.register(
        registry.Catalog("Toy", "a toy catalog", service_name="Toy", key="toy_id")
    )  # the client's side
    try:
        url = mast_emulator_factory().url
        with mastq.conf.set_temp("server", url), mastq.conf.set_temp("cache", False):
            yield CatalogsClass()
    finally:
        registry.unregister("Toy")
        unserve("Toy")


def test_a_toy_catalog_from_one_declaration_on_each_side(toy):
    rows = toy.query_criteria("Toy", mag=(None, 30))
    assert len(rows) == 300 and rows["mag"].unit == u.mag and rows["ra"].unit == u.deg
    centre = SkyCoord(rows["ra"][0] * u.deg, rows["dec"][0] * u.deg)
    cone = toy.query_region(centre, radius=1, catalog="toy")
    assert rows["toy_id"][0] in np.asarray(cone["toy_id"])
    assert toy.query_region_count(centre, radius=1, catalog="Toy") == len(cone)
    limit = float(np.median(np.asarray(cone["mag"])))
    bright = toy.query_criteria("Toy", coordinates=centre, radius=1, mag=(None, limit))
    assert 0 < len(bright) < len(cone) and np.all(bright["mag"] <= limit)
    assert toy.query_criteria_count("Toy", coordinates=centre, radius=1, mag=(None, limit)) == len(
        bright
    )
    assert "Toy" in toy.list_catalogs()["name"]
    registry.unregister("Toy")
    assert "Toy" not in toy.list_catalogs()["name"]
    assert registry.lookup("Toy").key is None  # now only a name MAST may serve


def test_an_undeclared_name_is_served_as_mast_names_catalogs(mast_emulator_factory):
    # astroquery sends Mast.Catalogs.<name>.Cone for any name: a local MAST's collection
    archive = Archive()
    archive.add_collection(
        "MyStars", Table({"ra": [150.0, 150.01], "dec": [2.0, 2.01], "flux": [1.5, 2.5] * u.mJy})
    )
    server = mast_emulator_factory(archive=archive)
    with mastq.conf.set_temp("server", server.url), mastq.conf.set_temp("cache", False):
        cat = CatalogsClass()
        stars = cat.query_region("150 2", radius=1 * u.arcmin, catalog="MyStars")
        assert len(stars) == 2 and stars["flux"].unit == u.mJy
        assert len(cat.query_criteria("MyStars", flux=(2, 3))) == 1
    assert registry.lookup("MyStars").cone_service == "Mast.Catalogs.MyStars.Cone"


def test_a_unit_no_one_knows_is_warned_of_once(mast_emulator_factory):
    def columns():
        return dict(_toy_columns(), mag={"vot.datatype": "double", "vot.unit": "furlongs"})

    serve(CatalogDef("Odd", build=_build_toy, columns=columns))
    try:
        url = mast_emulator_factory().url
        with mastq.conf.set_temp("server", url), mastq.conf.set_temp("cache", False):
            cat = CatalogsClass()
            with pytest.warns(u.UnitsWarning, match=r"Mast.Catalogs.Odd.Cone.*mag \('furlongs'\)"):
                first = cat.query_criteria("Odd", mag=(None, 30))
            again = cat.query_criteria("Odd", mag=(None, 30))  # once per config: silent
        assert first["mag"].unit is None and again["mag"].meta["mast_unit"] == "furlongs"
        assert first["ra"].unit == u.deg
    finally:
        unserve("Odd")


def test_crossmatch_services_come_from_the_registry():
    from mastq import registry

    assert registry.lookup("Tic").crossmatch_service == "Mast.Tic.Crossmatch"
    assert registry.lookup("Gaia", version=3).crossmatch_service == "Mast.GaiaDR3.Crossmatch"
    assert registry.lookup("Gaia").crossmatch_service is None  # DR2: MAST crossmatches DR3 only
    assert registry.lookup("Tic").catalog.separation == "dstArcSec"
    assert registry.release_of("Mast.Tic.Crossmatch").catalog.name == "Tic"


def test_a_catalog_without_server_crossmatch_says_which_have_one(cat, local_mast):
    from astropy.table import Table

    from mastq.exceptions import InvalidQueryError

    with pytest.raises(InvalidQueryError, match="Tic.*Ctl|no server-side crossmatch"):
        cat.crossmatch(Table({"ra": [1.0], "dec": [2.0]}), catalog="Plato", radius=0.01)
