"""The query cache: disk entries, the in-memory layer in front of them, copies, TTL, budget."""

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table

import mastq
from mastq.cache import QueryCache


def table(n, tag="x"):
    return Table([np.arange(n), MaskedColumn([f"{tag}{i}" for i in range(n)], mask=[False] * n)],
                 names=("id", "name"), meta={"service": "Mast.Test"})


@pytest.fixture
def cache(tmp_path):
    with mastq.conf.set_temp("cache_dir", str(tmp_path)):
        yield QueryCache()


def test_put_then_get_from_memory_and_from_disk(cache, tmp_path):
    cache.put("abc1", table(5))
    assert list(cache.get("abc1")["id"]) == [0, 1, 2, 3, 4]
    fresh = QueryCache()  # another process: nothing in memory, the file is there
    assert fresh.get("abc1").meta["service"] == "Mast.Test"
    (tmp_path / "abc1.pickle").unlink()
    assert cache.get("abc1") is not None  # the memory layer answers
    assert QueryCache().get("abc1") is None


def test_every_hit_is_a_private_copy(cache):
    cache.put("abc2", table(3))
    first = cache.get("abc2")
    first["id"][0] = 99
    first["name"][1] = "zz"
    again = cache.get("abc2")
    assert again["id"][0] == 0 and again["name"][1] == "x1"


def test_memory_budget_drops_the_oldest(cache):
    with mastq.conf.set_temp("cache_memory_rows", 10):
        cache.put("a1", table(6))
        cache.put("a2", table(6))
        assert [k for k in cache._memory] == ["a2"]
        cache.put("a3", table(50))  # over the budget alone: disk only
        assert [k for k in cache._memory] == ["a2"] and cache.get("a3") is not None


def test_ttl_applies_to_memory_and_clear_empties_both(cache):
    cache.put("abc3", table(2))
    assert cache.get("abc3", ttl=0.0) is None
    assert cache.get("abc3") is not None
    assert cache.clear() == 1
    assert cache.get("abc3") is None and not cache._memory


def test_keys_must_be_hex_digests(cache):
    with pytest.raises(ValueError, match="hex digest"):
        cache.get("../etc/passwd")
