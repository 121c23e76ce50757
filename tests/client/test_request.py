"""MashupRequest: validation, encodings, paging and cache keys."""

from urllib.parse import parse_qs

import numpy as np
import orjson
import pytest

from mastq.exceptions import InvalidQueryError
from mastq.request import MashupRequest


def test_encode_has_every_property_mast_expects():
    req = MashupRequest(
        "Mast.Caom.Cone",
        {"ra": 1.5, "dec": -2, "radius": 0.1},
        pagesize=100,
        page=2,
        cachebreaker="cb",
    )
    body = orjson.loads(req.encode())
    assert body == {
        "service": "Mast.Caom.Cone",
        "params": {"ra": 1.5, "dec": -2, "radius": 0.1},
        "format": "json",
        "pagesize": 100,
        "page": 2,
        "removenullcolumns": False,
        "timeout": 20,
        "clearcache": False,
        "cachebreaker": "cb",
    }


def test_form_and_query_round_trip():
    req = MashupRequest("Mast.Name.Lookup", {"input": "M 101 & co", "format": "json"})
    assert req.as_form() == {"request": req.encode()}
    assert parse_qs(req.as_query()) == {"request": [req.encode()]}


def test_params_are_copied_and_read_only():
    params = {"filters": [{"paramName": "x", "values": ["a"]}], "n": np.int64(3)}
    req = MashupRequest("Mast.Caom.Filtered", params)
    params["filters"].append("changed")
    assert req.params["filters"] == [{"paramName": "x", "values": ["a"]}] and req.params["n"] == 3
    with pytest.raises(TypeError):
        req.params["n"] = 4


def test_with_page_keeps_the_cachebreaker():
    req = MashupRequest("Mast.Caom.Cone", {"ra": 0})
    other = req.with_page(3)
    assert other.page == 3 and other.cachebreaker == req.cachebreaker and req.page == 1


def test_each_request_gets_its_own_cachebreaker():
    assert MashupRequest("A.B", {}).cachebreaker != MashupRequest("A.B", {}).cachebreaker


def test_cache_key_ignores_cachebreaker_and_page_unless_single_page():
    a = MashupRequest("Mast.Caom.Cone", {"ra": 1, "dec": 2}, page=1)
    b = MashupRequest("Mast.Caom.Cone", {"dec": 2, "ra": 1}, page=2)
    assert a.cache_key() == b.cache_key()
    assert a.cache_key(single_page=True) != b.cache_key(single_page=True)
    assert a.cache_key(server="http://x") != a.cache_key(server="http://y")
    assert a.cache_key() != MashupRequest("Mast.Caom.Cone", {"ra": 1, "dec": 3}).cache_key()
    assert (
        a.cache_key()
        != MashupRequest("Mast.Caom.Cone", {"ra": 1, "dec": 2}, format="csv").cache_key()
    )


def test_extra_properties_are_sent():
    req = MashupRequest("Mast.Caom.Crossmatch", {"radius": 1}, extra={"data": {"fields": []}})
    assert orjson.loads(req.encode())["data"] == {"fields": []}


@pytest.mark.parametrize(
    "field, value",
    [
        ("service", ""),
        ("service", None),
        ("params", [1]),
        ("params", {"x": object()}),
        ("format", "xml"),
        ("pagesize", 0),
        ("pagesize", 1.5),
        ("pagesize", True),
        ("page", -1),
        ("removenullcolumns", "yes"),
        ("timeout", 0),
        ("timeout", "20"),
        ("cachebreaker", ""),
        ("clearcache", 1),
        ("extra", {"colour": "red"}),
    ],
)
def test_invalid_values_name_the_field(field, value):
    kwargs = {"service": "Mast.Caom.Cone", "params": {}, field: value}
    with pytest.raises(InvalidQueryError, match=field) as info:
        MashupRequest(**kwargs)
    assert isinstance(info.value, ValueError)


def test_numpy_numbers_are_accepted_and_encoded_as_plain_json():
    request = MashupRequest(
        "Mast.Caom.Cone",
        {"ra": np.float64(1.5)},
        pagesize=np.int64(10),
        page=np.int32(2),
        timeout=np.float32(5),
    )
    assert type(request.pagesize) is int and request.pagesize == 10 and request.page == 2
    assert request.as_dict()["params"] == {"ra": 1.5}


@pytest.mark.parametrize(
    "timeout", [float("nan"), float("inf"), -float("inf"), 0, -1, True, "20", None]
)
def test_timeout_must_be_finite_and_positive(timeout):
    with pytest.raises(InvalidQueryError, match="timeout must be a finite, positive number"):
        MashupRequest("Mast.Caom.Cone", {}, timeout=timeout)


@pytest.mark.parametrize("fmt", [np.array(["json", "csv"]), None, 3, b"json", "JSON"])
def test_format_of_a_wrong_type_is_named(fmt):
    with pytest.raises(InvalidQueryError, match="format must be one of"):
        MashupRequest("Mast.Caom.Cone", {}, format=fmt)
