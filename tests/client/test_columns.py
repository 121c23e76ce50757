"""Column metadata: config ids, unit spellings, ColumnsConfig, the config store."""

import threading
from pathlib import Path

import astropy.units as u
import pytest

from mastq.columns import ColumnsConfig, ConfigStore, config_id, parse_unit
from mastq.exceptions import ProtocolError

DATA = Path(__file__).parent.parent / "data"


@pytest.mark.parametrize("service, expected", [
    ("Mast.Caom.Cone", "Mast.Caom.Cone"),
    ("Mast.Caom.Filtered", "Mast.Caom.Cone"),
    ("Mast.Caom.Filtered.Position", "Mast.Caom.Cone"),
    ("Mast.Catalogs.Filtered.Tic.Rows", "Mast.Catalogs.Tess.Cone"),
    ("Mast.Catalogs.Tic.Cone", "Mast.Catalogs.Tess.Cone"),
    ("Mast.Catalogs.Filtered.Ctl.Position", "Mast.Catalogs.Tess.Cone"),
    ("Mast.Catalogs.Filtered.DiskDetective.Position", "Mast.Catalogs.Dd.Cone"),
    ("Mast.Catalogs.Filtered.GaiaDR3.Position", "Mast.Catalogs.GaiaDR3.Cone"),
    ("Mast.Hsc.Db.v3", "Mast.Hsc.Db.v3"),
    ("Mast.Name.Lookup", None),
    ("Mast.Caom.All", None),
])
def test_config_id(service, expected):
    assert config_id(service) == expected


@pytest.mark.parametrize("spelling, unit", [
    ("deg", u.deg), ("d", u.day), ("MJD", u.day), ("arcsec", u.arcsec), ("nm", u.nm),
    ("s", u.s), ("sec", u.s), ("mas/year", u.mas / u.yr), ("parsec", u.pc), ("K", u.K),
    ("solar units", None), ("cgs", None), ("ICRS Shape", None), ("", None), (None, None),
])
def test_parse_unit(spelling, unit):
    assert parse_unit(spelling) == unit


def test_caom_config():
    config = ColumnsConfig.from_json((DATA / "columnsconfig.json").read_bytes(),
                                     config_id="Mast.Caom.Cone")
    assert config["s_ra"].unit == u.deg and config["s_ra"].ucd == "pos.eq.ra;meta.main"
    assert config["t_min"].unit == u.day and config["t_min"].is_mjd
    assert config["t_obs_release"].unit == u.day and config["t_obs_release"].unit_string == "MJD"
    assert config["em_resolution"].ignore_value == -9999
    assert config["s_ra"].ignore_value is None
    assert config["obs_collection"].separator == ";"
    assert "s_ra" in config and len(config) == 51


def test_tic_config_keeps_unknown_spellings():
    config = ColumnsConfig.from_json((DATA / "ticcolumns.json").read_bytes())
    assert config["logg"].unit is None and config["logg"].unit_string == "cgs"
    # "solar units" is read by column: radius, mass and luminosity of the Sun
    assert config["mass"].unit == u.M_sun and config["mass"].unit_string == "solar units"
    assert config["e_rad"].unit == u.R_sun and config["lum"].unit == u.L_sun
    assert config["pmRA"].unit == u.mas / u.yr


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
    assert [type_name(t) for t in ("char", "decimal", "bigint", "boolean", "date", "blob")] == \
        ["string", "float", "integer", "boolean", "string", "blob"]


def test_get_metadata_data_types_come_from_the_one_table(obs):
    meta = obs.get_metadata("observations")
    types = dict(zip(meta["Column Name"], meta["Data Type"], strict=True))
    assert types["s_ra"] == "float" and types["calib_level"] == "integer"
    assert types["obs_collection"] == "string"
