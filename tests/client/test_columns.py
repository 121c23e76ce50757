"""Column metadata: config ids, unit spellings, ColumnsConfig, the config store."""

import threading
from pathlib import Path

import astropy.units as u
import pytest

from mastq.columns import SOLAR_DENSITY, ColumnsConfig, ConfigStore, config_id, parse_unit
from mastq.exceptions import ProtocolError

DATA = Path(__file__).parent.parent / "data"


@pytest.mark.parametrize(
    "service, expected",
    [
        ("Mast.Caom.Cone", "Mast.Caom.Cone"),
        ("Mast.Caom.Filtered", "Mast.Caom.Cone"),
        ("Mast.Caom.Filtered.Position", "Mast.Caom.Cone"),
        ("Mast.Catalogs.Filtered.Tic.Rows", "Mast.Catalogs.Tess.Cone"),
        ("Mast.Catalogs.Tic.Cone", "Mast.Catalogs.Tess.Cone"),
        ("Mast.Catalogs.Filtered.Ctl.Position", "Mast.Catalogs.Tess.Cone"),
        ("Mast.Catalogs.Filtered.DiskDetective.Position", "Mast.Catalogs.Dd.Cone"),
        ("Mast.Catalogs.Filtered.GaiaDR3.Position", "Mast.Catalogs.GaiaDR3.Cone"),
        ("Mast.Hsc.Db.v3", "Mast.Hsc.Db.v3"),
        ("Mast.Tic.Crossmatch", "Mast.Catalogs.Tess.Cone"),
        ("Mast.Catalogs.Filtered.GaiaDR2", "Mast.Catalogs.GaiaDR2.Cone"),
        ("Mast.Catalogs.Filtered.Unknown.Position", "Mast.Catalogs.Unknown.Cone"),
        ("Mast.Catalogs.DiskDetective.Cone", "Mast.Catalogs.Dd.Cone"),
        ("Mast.Name.Lookup", None),
        ("Mast.Caom.All", None),
    ],
)
def test_config_id(service, expected):
    assert config_id(service) == expected


@pytest.mark.parametrize(
    "spelling, unit",
    [
        ("deg", u.deg),
        ("d", u.day),
        ("MJD", u.day),
        ("arcsec", u.arcsec),
        ("nm", u.nm),
        ("s", u.s),
        ("sec", u.s),
        ("mas/year", u.mas / u.yr),
        ("parsec", u.pc),
        ("K", u.K),
        ("solar units", None),
        ("cgs", None),
        ("ICRS Shape", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_unit(spelling, unit):
    assert parse_unit(spelling) == unit


def test_caom_config():
    config = ColumnsConfig.from_json(
        (DATA / "columnsconfig.json").read_bytes(), config_id="Mast.Caom.Cone"
    )
    assert config["s_ra"].unit == u.deg and config["s_ra"].ucd == "pos.eq.ra;meta.main"
    assert config["t_min"].unit == u.day and config["t_min"].is_mjd
    assert config["t_obs_release"].unit == u.day and config["t_obs_release"].unit_string == "MJD"
    assert config["em_resolution"].ignore_value == -9999
    assert config["s_ra"].ignore_value is None
    assert config["obs_collection"].separator == ";"
    assert "s_ra" in config and len(config) == 51


def test_tic_config_every_unit_mapped():
    config = ColumnsConfig.from_json(
        (DATA / "ticcolumns.json").read_bytes(), config_id="Mast.Catalogs.Tess.Cone"
    )
    # "cgs" of a surface gravity is the log of cm / s2
    assert config["logg"].unit == u.dex(u.cm / u.s**2) and config["logg"].unit_string == "cgs"
    assert config["e_logg"].unit == u.dex(u.cm / u.s**2)
    # "solar units" is read by column: radius, mass, luminosity and density of the Sun
    assert config["mass"].unit == u.M_sun and config["mass"].unit_string == "solar units"
    assert config["e_rad"].unit == u.R_sun and config["lum"].unit == u.L_sun
    assert config["rho"].unit.to(u.g / u.cm**3) == pytest.approx(1.41, abs=0.01)
    assert u.Unit(config["rho"].unit.to_string()) == SOLAR_DENSITY  # reads back (cache, FITS)
    assert config["pmRA"].unit == u.mas / u.yr
    assert config.unmapped == ()
    config.warn_unmapped()  # nothing to say: no warning (pytest turns warnings into errors)


def test_unmapped_units_are_listed_in_one_warning_per_config():
    config = ColumnsConfig(
        {
            "a": {"unit": "furlongs per fortnight"},
            "b": {"unit": "cgs"},
            "c": {"unit": "deg"},
            "d": {"unit": "NULL"},
            "e": {},
        },
        config_id="Toy",
    )
    assert config.unmapped == (("a", "furlongs per fortnight"), ("b", "cgs"))
    with pytest.warns(u.UnitsWarning, match=r"'Toy'.*a \('furlongs per fortnight'\), b"):
        config.warn_unmapped()
    config.warn_unmapped()  # once per config: the second call is silent


def test_error_columns_take_their_values_unit():
    config = ColumnsConfig(
        {
            name: {"unit": spelling}
            for name, spelling in [
                ("logg", "cgs"),
                ("eneg_logg", "cgs"),
                ("epos_logg", "cgs"),
                ("e_rho", "solar units"),
                ("epos_rho", "solar units"),
                ("eneg_mass", "solar units"),
            ]
        }
    )
    assert config["eneg_logg"].unit == config["epos_logg"].unit == u.dex(u.cm / u.s**2)
    assert config["e_rho"].unit == config["epos_rho"].unit == SOLAR_DENSITY
    assert config["eneg_mass"].unit == u.M_sun and config.unmapped == ()


@pytest.mark.parametrize(
    "spelling, unit",
    [
        ("log(cm.s**-2)", u.dex(u.cm / u.s**2)),
        ("mas.yr**-1", u.mas / u.yr),
        ("electron.s**-1", u.electron / u.s),
        ("km.s**-1", u.km / u.s),
        ("dex", u.dex),
        ("mag", u.mag),
        ("%", u.percent),
        ("NULL", None),
    ],
)
def test_parse_catalog_spellings(spelling, unit):
    assert parse_unit(spelling) == unit


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]"])
def test_bad_config_is_a_protocol_error(body):
    with pytest.raises(ProtocolError):
        ColumnsConfig.from_json(body, config_id="X")


def test_store_fetches_once_under_concurrency():
    store, calls, barrier = ConfigStore(), [], threading.Barrier(4)

    def fetch():
        calls.append(1)
        return ColumnsConfig({"a": {"vot.unit": "deg"}})

    def worker():
        barrier.wait()
        assert store.get(("srv", "id"), fetch)["a"].unit == u.deg

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1


def test_store_retries_after_a_failed_fetch():
    store = ConfigStore()

    def broken():
        raise ProtocolError("no")

    with pytest.raises(ProtocolError):
        store.get("k", broken)
    assert len(store.get("k", lambda: ColumnsConfig({}))) == 0


def test_one_table_of_declared_types():
    from mastq.columns import DECLARED_KINDS, declared_kind, type_name

    assert set(DECLARED_KINDS.values()) == {"float", "int", "bool", "str", "time"}
    for name in ("float", "double", "real", "numeric", "decimal"):
        assert declared_kind(name) == declared_kind(name.upper()) == "float"
    for name in ("int", "integer", "long", "short", "bigint", "smallint"):
        assert declared_kind(name) == "int"
    assert declared_kind("boolean") == "bool" and declared_kind("char") == "str"
    assert declared_kind("date") == "time" and declared_kind("mystery") is None
    assert declared_kind(None, "str") == "str"
    assert [type_name(t) for t in ("char", "decimal", "bigint", "boolean", "date", "blob")] == [
        "string",
        "float",
        "integer",
        "boolean",
        "string",
        "blob",
    ]


def test_get_metadata_data_types_come_from_the_one_table(obs):
    meta = obs.get_metadata("observations")
    types = dict(zip(meta["Column Name"], meta["Data Type"], strict=True))
    assert types["s_ra"] == "float" and types["calib_level"] == "integer"
    assert types["obs_collection"] == "string"
