"""
The query cache: the file format (data only, checked on read), the in-memory layer,
copies, TTL and budget; failures that never cost a result; two processes and a crash.
"""

import io
import logging
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time

import mastq
from mastq.cache import QueryCache, read_table, write_table
from mastq.services import ServiceClient

ROOT = Path(__file__).resolve().parents[2]


def table(n, tag="x"):
    return Table(
        [np.arange(n), MaskedColumn([f"{tag}{i}" for i in range(n)], mask=[False] * n)],
        names=("id", "name"),
        meta={"service": "Mast.Test"},
    )


def every_kind():
    """A table with every kind of column and attribute the client produces."""
    t = Table(
        meta={
            "service": "Mast.Test",
            "params": {
                "ra": 1.5,
                "filters": [{"paramName": "x", "values": [{"min": 1, "max": 2}]}],
                "none": None,
            },
            "pages": 2,
        }
    )
    t["id"] = MaskedColumn(
        2**60 + np.arange(5, dtype=np.int64),
        mask=[0, 1, 0, 0, 0],
        description="ids",
        meta={"ucd": "meta.id", "label": "ID"},
    )
    t["logg"] = MaskedColumn(
        [4.4, np.nan, 3.0, 2.5, 1.0],
        mask=[0, 1, 0, 0, 0],
        fill_value=np.nan,
        unit=u.dex(u.cm / u.s**2),
        meta={"mast_unit": "log(cm/s**2)"},
    )
    t["flux"] = MaskedColumn(
        np.linspace(0, 1, 5),
        unit="1e-07 erg / (Angstrom s cm2)",
        fill_value=np.nan,
        format="{:.3f}",
    )
    t["mag"] = MaskedColumn([1.0, 2.0, 3.0, 4.0, 5.0], unit=u.ABmag, fill_value=np.nan)
    t["odd"] = MaskedColumn([1.0] * 5, unit=u.Unit("furlongs", parse_strict="silent"))
    t["flag"] = Column([True, False, True, False, True])
    t["pair"] = MaskedColumn(np.arange(10.0).reshape(5, 2), mask=[[0, 1]] * 5, unit="deg")
    t["name"] = MaskedColumn(["a", "héllo ✓", "", "x,y", "zz"], mask=[0, 0, 1, 0, 0])
    t["ascii"] = MaskedColumn(["HST", "JWST", "", "TESS", "K2"], mask=[0, 0, 1, 0, 0])
    t["raw"] = MaskedColumn([b"a", b"b\xff", b"", b"c", b"dd"], mask=[0, 0, 0, 1, 0])
    t["when"] = Time(
        np.ma.MaskedArray([50000.5, 50001.25, 0, 60000.125, 1], mask=[0, 0, 1, 0, 0]),
        format="mjd",
        scale="utc",
    )
    t["when"].info.description = "start"
    t["date"] = Time(
        ["2020-01-01T00:00:00.123", "2021-06-30T12:00:00"] * 2 + ["2000-01-01"],
        format="isot",
        scale="utc",
        precision=3,
    )
    return t


def assert_same(got, want, *, skip_meta=()):
    assert got.colnames == want.colnames and len(got) == len(want)
    assert {k: v for k, v in got.meta.items() if k not in skip_meta} == {
        k: v for k, v in want.meta.items() if k not in skip_meta
    }
    for name in want.colnames:
        a, b = got[name], want[name]
        assert type(a) is type(b), name
        assert a.info.description == b.info.description and a.info.meta == b.info.meta, name
        if isinstance(b, Time):
            assert (a.format, a.scale, a.precision) == (b.format, b.scale, b.precision)
            assert np.array_equal(np.asarray(a.mask), np.asarray(b.mask)), name
            keep = ~np.asarray(b.mask)
            assert np.array_equal(np.asarray(a.jd1)[keep], np.asarray(b.jd1)[keep])
            assert np.array_equal(np.asarray(a.jd2)[keep], np.asarray(b.jd2)[keep])
            continue
        assert a.dtype == b.dtype and a.unit == b.unit and a.info.format == b.info.format, name
        assert str(a.unit) == str(b.unit), name
        assert np.array_equal(
            np.asarray(a.data if hasattr(a, "mask") else a),
            np.asarray(b.data if hasattr(b, "mask") else b),
            equal_nan=a.dtype.kind == "f",
        ), name
        if isinstance(b, MaskedColumn):
            assert np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b)), name
            assert np.array_equal(a.filled(), b.filled(), equal_nan=a.dtype.kind == "f"), name


@pytest.fixture
def cache(tmp_path):
    with mastq.conf.set_temp("cache_dir", str(tmp_path)):
        yield QueryCache()


def test_every_kind_of_column_round_trips_exactly():
    want = every_kind()
    buffer = io.BytesIO()
    write_table(buffer, want, key="ab12")
    buffer.seek(0)
    got, _ = read_table(buffer, key="ab12")
    assert_same(got, want)
    assert got["name"][1] == "héllo ✓" and np.asarray(got["raw"])[1] == b"b\xff"
    assert got["logg"].fill_value != got["logg"].fill_value  # NaN


def test_put_then_get_from_memory_and_from_disk(cache, tmp_path):
    assert cache.put("abc1", table(5))
    assert list(cache.get("abc1")["id"]) == [0, 1, 2, 3, 4]
    fresh = QueryCache()  # another process: nothing in memory, the file is there
    assert_same(fresh.get("abc1"), table(5))
    (tmp_path / "abc1.mqt").unlink()
    assert cache.get("abc1") is not None  # the memory layer answers
    assert QueryCache().get("abc1") is None


def test_every_hit_is_a_private_copy(cache):
    cache.put("abc2", table(3))
    for source in (cache, QueryCache()):
        first = source.get("abc2")
        first["id"][0] = 99
        first["name"][1] = "zz"
        first.meta["service"] = "changed"
        again = source.get("abc2")
        assert again["id"][0] == 0 and again["name"][1] == "x1"
        assert again.meta["service"] == "Mast.Test"


def test_memory_budget_drops_the_oldest(cache):
    with mastq.conf.set_temp("cache_memory_rows", 10):
        cache.put("a1", table(6))
        cache.put("a2", table(6))
        assert [k for k in cache._memory] == ["a2"]
        cache.put("a3", table(50))  # over the budget alone: disk only
        assert [k for k in cache._memory] == ["a2"] and cache.get("a3") is not None


def test_ttl_applies_to_memory_and_disk_and_clear_empties_both(cache, tmp_path):
    cache.put("abc3", table(2))
    assert cache.get("abc3", ttl=0.0) is None
    assert cache.get("abc3") is not None
    with open(tmp_path / "abc4.mqt", "wb") as handle:
        write_table(handle, table(2), key="abc4", stored=time.time() - 3601)
    assert QueryCache().get("abc4") is None  # an hour and a second old: expired by default
    assert QueryCache().get("abc4", ttl=7200) is not None
    (tmp_path / "dead-1.tmp").write_bytes(b"half")
    assert cache.clear() == 2
    assert cache.get("abc3") is None and not cache._memory and not list(tmp_path.iterdir())


def test_default_ttl_is_one_hour():
    assert type(mastq.conf).cache_ttl.defaultvalue == 3600


def test_keys_must_be_hex_digests(cache):
    with pytest.raises(ValueError, match="hex digest"):
        cache.get("../etc/passwd")


class Planted:
    """Loading a pickle of this creates ``marker``: the proof that code would run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_cache_holds_data_and_never_loads_a_pickle(cache, tmp_path, caplog):
    cache.put("abc5", every_kind())
    stored = (tmp_path / "abc5.mqt").read_bytes()
    assert stored.startswith(b"MASTQTBL") and b"\x80\x04\x95" not in stored[:64]
    marker = tmp_path / "executed"
    (tmp_path / "abc6.mqt").write_bytes(pickle.dumps(Planted(str(marker))))
    with caplog.at_level(logging.WARNING, logger="mastq.cache"):
        assert QueryCache().get("abc6") is None
    assert not marker.exists() and not (tmp_path / "abc6.mqt").exists()
    assert "damaged" in caplog.text


def damage_payload(data):
    data[-3] ^= 0x40
    return data


DAMAGE = {
    "payload byte flipped": damage_payload,
    "header byte flipped": lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:],
    "truncated": lambda d: d[: len(d) // 2],
    "truncated header": lambda d: d[:30],
    "trailing bytes": lambda d: d + b"x",
    "empty": lambda d: b"",
    "other version": lambda d: d[:8] + bytes([9]) + d[9:],
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_entry_is_dropped_and_logged(cache, tmp_path, caplog, damage):
    cache.put("abc7", every_kind())
    path = tmp_path / "abc7.mqt"
    path.write_bytes(bytes(DAMAGE[damage](bytearray(path.read_bytes()))))
    with caplog.at_level(logging.WARNING, logger="mastq.cache"):
        assert QueryCache().get("abc7") is None
    assert not path.exists() and "damaged" in caplog.text


def test_an_entry_under_another_key_is_not_served(cache, tmp_path):
    cache.put("abc8", table(3))
    os.replace(tmp_path / "abc8.mqt", tmp_path / "abc9.mqt")
    assert QueryCache().get("abc9") is None and not (tmp_path / "abc9.mqt").exists()


def test_a_table_that_cannot_be_stored_exactly_is_not_cached(cache, tmp_path, caplog):
    odd = table(3)
    odd.meta["pair"] = (1, 2)  # JSON would give back a list
    with caplog.at_level(logging.WARNING, logger="mastq.cache"):
        assert cache.put("abca", odd) is False
    assert "not plain JSON" in caplog.text and not list(tmp_path.iterdir())
    assert cache.get("abca") is None


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_an_unusable_cache_folder_logs_and_returns_the_table(tmp_path, caplog, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    folder = blocker if where == "a file" else blocker / "queries"
    cache = QueryCache(folder)
    with caplog.at_level(logging.WARNING, logger="mastq.cache"):
        assert cache.put("abcb", table(4)) is False
    assert "unusable" in caplog.text
    assert len(cache.get("abcb")) == 4 and QueryCache(folder).get("abcb") is None


def run_python(code, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_a_full_disk_logs_and_returns_the_table(mast_emulator, tmp_path):
    # A real write failure: the child may not write files beyond 4 kB (EFBIG, as ENOSPC).
    result = run_python(
        """
        import resource, signal, sys
        import mastq
        from mastq.services import ServiceClient
        client = ServiceClient()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        with mastq.conf.set_temp("server", sys.argv[1]), \\
                mastq.conf.set_temp("cache_dir", sys.argv[2]):
            table = client.service_request("Mast.Caom.Cone",
                                           {"ra": 210.8, "dec": 54.35, "radius": 0.2})
        print(len(table), table.meta["from_cache"])
        """,
        mast_emulator,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["213", "False"]
    assert "result not kept in the query cache" in result.stderr
    assert not list(tmp_path.iterdir())  # no partial entry, no temporary file left


SHARER = """
    import sys
    import numpy as np
    from astropy.table import Table
    from mastq.cache import QueryCache
    folder, start, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    def make(v):
        return Table({"v": np.full(100_000, v), "s": np.full(100_000, str(v) * 40)},
                     meta={"v": v})

    served = 0
    for i in range(rounds):
        QueryCache(folder).put("abcd", make((start + i) % 3))
        got = QueryCache(folder).get("abcd")  # a fresh cache: from the file alone
        if got is not None:
            v = got.meta["v"]
            assert (got["v"] == v).all() and (got["s"] == str(v) * 40).all(), "mixed entry"
            served += 1
    print(served)
"""


def test_two_processes_sharing_one_cache_never_see_a_corrupt_entry(tmp_path):
    children = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(SHARER), str(tmp_path), str(start), "25"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for start in (0, 1)
    ]
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        assert int(out) == 25  # every read found a whole, checked entry
        assert "damaged" not in err


WRITER = """
    import sys
    import numpy as np
    from astropy.table import Table
    from mastq.cache import QueryCache
    cache = QueryCache(sys.argv[1])
    i = 0
    while True:
        i += 1
        cache.put("abce", Table({"v": np.full(2_000_000, i % 2)}, meta={"v": i % 2}))
"""


def test_a_writer_killed_mid_write_leaves_nothing_that_is_served(tmp_path):
    caught_mid_write = 0
    for _ in range(5):
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), str(tmp_path)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            deadline = time.monotonic() + 60
            while (
                not any(p.suffix == ".tmp" and p.stat().st_size > 0 for p in tmp_path.iterdir())
                and time.monotonic() < deadline
            ):
                time.sleep(0.001)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        caught_mid_write += any(p.suffix == ".tmp" for p in tmp_path.iterdir())
        got = QueryCache(tmp_path).get("abce")
        if got is not None:
            assert len(got) == 2_000_000 and (got["v"] == got.meta["v"]).all()
        if caught_mid_write:
            break
    assert caught_mid_write  # the kill did land inside a write
    assert QueryCache(tmp_path).clear() <= 1 and not list(tmp_path.iterdir())


CONE = {"ra": 210.8, "dec": 54.35, "radius": 0.2}


@pytest.fixture
def client_of(tmp_path):
    """``client_of(identity="")``: a new ServiceClient caching in ``tmp_path``."""
    with mastq.conf.set_temp("cache_dir", str(tmp_path)), mastq.conf.set_temp("cache", True):
        yield lambda identity="": ServiceClient(identity=identity)


def sent_by(client):
    sent = []
    client.transport._session.hooks["response"].append(lambda r, *a, **k: sent.append(r.url))
    return sent


@pytest.mark.parametrize(
    "service, times", [("Mast.Caom.Cone", True), ("Mast.Catalogs.Tic.Cone", False)]
)
def test_a_client_result_comes_back_from_disk_exactly(mast_emulator, client_of, service, times):
    with mastq.conf.set_temp("server", mast_emulator):
        fresh = client_of().service_request(service, CONE, times=times)
        other = client_of()  # another process: nothing in memory
        sent = sent_by(other)
        hit = other.service_request(service, CONE, times=times)
    assert sent == [] and len(hit) == len(fresh) > 0
    assert_same(hit, fresh, skip_meta=("from_cache",))
    assert any(isinstance(col, Time) for col in hit.itercols()) == times


def test_meta_says_where_and_when_the_result_was_fetched(mast_emulator, client_of):
    with mastq.conf.set_temp("server", mast_emulator):
        client = client_of()
        fresh = client.service_request("Mast.Caom.Cone", CONE)
        from_memory = client.service_request("Mast.Caom.Cone", CONE)
        from_disk = client_of().service_request("Mast.Caom.Cone", CONE)
    assert fresh.meta["server"] == mast_emulator and fresh.meta["service"] == "Mast.Caom.Cone"
    assert fresh.meta["params"] == CONE and fresh.meta["from_cache"] is False
    fetched = datetime.fromisoformat(fresh.meta["fetched"])
    assert fetched.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - fetched) < timedelta(minutes=1)
    for hit in (from_memory, from_disk):
        assert hit.meta["from_cache"] is True and hit.meta["fetched"] == fresh.meta["fetched"]


def test_never_shared_across_servers_or_identities(mast_emulator, mast_emulator_factory, client_of):
    second = mast_emulator_factory().url
    with mastq.conf.set_temp("server", mast_emulator):
        client_of().service_request("Mast.Caom.Cone", CONE)
        anonymous = client_of()
        sent = sent_by(anonymous)
        anonymous.service_request("Mast.Caom.Cone", CONE)
        assert sent == []
        logged_in = client_of(identity="9f86d081")
        sent = sent_by(logged_in)
        assert logged_in.service_request("Mast.Caom.Cone", CONE).meta["from_cache"] is False
        assert any("invoke" in url for url in sent)
    with mastq.conf.set_temp("server", second):
        elsewhere = client_of()
        table = elsewhere.service_request("Mast.Caom.Cone", CONE)
    assert table.meta["from_cache"] is False and table.meta["server"] == second


def test_credentials_in_the_server_url_stay_out_of_meta_and_files(
    mast_emulator, client_of, tmp_path
):
    with_password = mast_emulator.replace("http://", "http://astronomer:s3cr3t-pw@")
    with mastq.conf.set_temp("server", with_password):
        table = client_of().service_request("Mast.Caom.Cone", CONE)
        again = client_of().service_request("Mast.Caom.Cone", CONE)
    assert table.meta["server"] == mast_emulator and again.meta["from_cache"] is True
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    data = files[0].read_bytes()
    assert b"s3cr3t" not in data and b"astronomer" not in data


def test_a_damaged_entry_is_fetched_again(mast_emulator, client_of, tmp_path, caplog):
    with mastq.conf.set_temp("server", mast_emulator):
        fresh = client_of().service_request("Mast.Caom.Cone", CONE, times=True)
        (entry,) = tmp_path.iterdir()
        entry.write_bytes(damage_payload(bytearray(entry.read_bytes())))
        client = client_of()
        sent = sent_by(client)
        with caplog.at_level(logging.WARNING, logger="mastq.cache"):
            again = client.service_request("Mast.Caom.Cone", CONE, times=True)
    assert any("invoke" in url for url in sent) and "damaged" in caplog.text
    assert again.meta["from_cache"] is False
    assert_same(again, fresh, skip_meta=("fetched",))
    assert QueryCache().get(next(tmp_path.iterdir()).stem) is not None  # stored afresh


def test_an_unusable_cache_folder_never_costs_a_result(mast_emulator, tmp_path, caplog):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with (
        mastq.conf.set_temp("server", mast_emulator),
        mastq.conf.set_temp("cache_dir", str(blocker / "queries")),
        mastq.conf.set_temp("cache", True),
        caplog.at_level(logging.WARNING, logger="mastq.cache"),
    ):
        table = ServiceClient().service_request("Mast.Caom.Cone", CONE)
    assert len(table) == 213 and table.meta["from_cache"] is False
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # one, saying why
    assert "unusable" in caplog.text and "Not a directory" in caplog.text


def test_a_missing_cache_folder_is_made_on_first_write(tmp_path):
    folder = tmp_path / "not" / "yet" / "there"
    assert QueryCache(folder).put("abcf", table(2)) and (folder / "abcf.mqt").is_file()
    assert len(QueryCache(folder).get("abcf")) == 2


def test_identity_must_be_a_string():
    with pytest.raises(TypeError, match="identity must be a str"):
        ServiceClient(identity=b"token")
