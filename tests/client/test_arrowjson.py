"""The Arrow json decoder: threaded row-lines path, single-document path and fallbacks agree."""

import numpy as np
import orjson
import pytest

from mastq import arrowjson
from mastq.tables import json_to_table

FIELDS = [{"name": "s", "type": "string"}, {"name": "x", "type": "float"},
          {"name": "id", "type": "string"}, {"name": "b", "type": "boolean"},
          {"name": "d", "type": "string"}]


def make_rows(n, tricky=False):
    text = ["HST", "a,b", "}{", "quote \" q", None]
    if tricky:
        text.append('},{"s":"x"}]')
    return [{"s": text[k % len(text)], "x": None if k % 7 == 0 else k / 3,
             "id": 2**60 + k, "b": k % 2 == 0, "d": "2020-01-01T00:00:00"} for k in range(n)]


def body(rows, order=("status", "msg", "data", "fields", "paging")):
    parts = {"status": "COMPLETE", "msg": "", "data": rows, "fields": FIELDS,
             "paging": {"page": 1, "rows": len(rows), "rowsFiltered": len(rows)}}
    return orjson.dumps({k: parts[k] for k in order})


def decoded(data, monkeypatch, *, threaded):
    monkeypatch.setattr(arrowjson, "_THREADED_FROM", 1 if threaded else 1 << 40)
    return arrowjson.decode(data)


def assert_same(a, b):
    assert a[0] == b[0] and a[1] == b[1] and a[2].keys() == b[2].keys()
    for name, (kind, values, mask) in a[2].items():
        other = b[2][name]
        assert kind == other[0], name
        if values is not None:
            assert np.array_equal(values, other[1], equal_nan=kind == "float"), name
        assert (mask is None and other[2] is None) or np.array_equal(mask, other[2]), name


@pytest.mark.parametrize("order", [("status", "msg", "data", "fields", "paging"),
                                   ("data", "fields", "paging", "status"),
                                   ("status", "fields", "paging", "data")])
def test_threaded_and_single_document_paths_agree(order, monkeypatch):
    data = body(make_rows(3000), order)
    assert arrowjson._split(data) is not None
    assert_same(decoded(data, monkeypatch, threaded=True),
                decoded(data, monkeypatch, threaded=False))


def test_separator_inside_a_string_falls_back_and_stays_exact(monkeypatch):
    rows = make_rows(500, tricky=True)
    envelope, nrows, columns = decoded(body(rows), monkeypatch, threaded=True)
    kind, values, mask = columns["s"]
    got = [None if m else v.decode() for v, m in zip(values, mask, strict=True)]
    assert nrows == 500 and got == [r["s"] for r in rows]


def test_values_kinds_and_dates_left_as_text(monkeypatch):
    envelope, nrows, columns = decoded(body(make_rows(10)), monkeypatch, threaded=True)
    assert envelope["paging"]["rows"] == 10 and "data" not in envelope
    assert columns["id"][0] == "int" and columns["id"][1][3] == 2**60 + 3
    assert columns["b"][0] == "bool" and columns["d"][0] == "str"
    assert columns["d"][1][0] == b"2020-01-01T00:00:00"


def test_table_from_large_threaded_body(monkeypatch):
    monkeypatch.setattr(arrowjson, "_THREADED_FROM", 1)
    rows = make_rows(2000)
    table = json_to_table(body(rows))
    assert len(table) == 2000 and table["id"].dtype == np.int64
    assert table["x"].mask.sum() == sum(r["x"] is None for r in rows)
    assert list(table["s"][:4]) == ["HST", "a,b", "}{", 'quote " q']


def test_answers_without_rows():
    envelope, nrows, columns = arrowjson.decode(b'{"status":"EXECUTING","msg":""}')
    assert envelope["status"] == "EXECUTING" and nrows is None and columns == {}
    envelope, nrows, columns = arrowjson.decode(body([]))
    assert nrows == 0 and columns == {}


def test_unreadable_bodies_raise_arrow_decode_error():
    with pytest.raises(arrowjson.ArrowDecodeError):
        arrowjson.decode(b'{"data": [{"a": 1}, {"a": "x"}]}')
