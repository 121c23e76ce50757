"""The Arrow json decoder: threaded row-lines path, single-document path and fallbacks agree."""

import numpy as np
import orjson
import pytest

from mastq import arrowjson
from mastq.tables import decode_table

FIELDS = [
    {"name": "s", "type": "string"},
    {"name": "x", "type": "float"},
    {"name": "id", "type": "string"},
    {"name": "b", "type": "boolean"},
    {"name": "d", "type": "string"},
]


def make_rows(n, tricky=False):
    text = ["HST", "a,b", "}{", 'quote " q', None]
    if tricky:
        text.append('},{"s":"x"}]')
    return [
        {
            "s": text[k % len(text)],
            "x": None if k % 7 == 0 else k / 3,
            "id": 2**60 + k,
            "b": k % 2 == 0,
            "d": "2020-01-01T00:00:00",
        }
        for k in range(n)
    ]


def body(rows, order=("status", "msg", "data", "fields", "paging")):
    parts = {
        "status": "COMPLETE",
        "msg": "",
        "data": rows,
        "fields": FIELDS,
        "paging": {"page": 1, "rows": len(rows), "rowsFiltered": len(rows)},
    }
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


@pytest.mark.parametrize(
    "order",
    [
        ("status", "msg", "data", "fields", "paging"),
        ("data", "fields", "paging", "status"),
        ("status", "fields", "paging", "data"),
    ],
)
def test_threaded_and_single_document_paths_agree(order, monkeypatch):
    data = body(make_rows(3000), order)
    assert arrowjson._split(data) is not None
    assert_same(
        decoded(data, monkeypatch, threaded=True), decoded(data, monkeypatch, threaded=False)
    )


def test_separator_inside_a_string_falls_back_and_stays_exact(monkeypatch):
    rows = make_rows(500, tricky=True)
    envelope, nrows, columns = decoded(body(rows), monkeypatch, threaded=True)
    kind, values, mask = columns["s"]
    got = [None if m else str(v) for v, m in zip(values, mask, strict=True)]
    assert nrows == 500 and got == [r["s"] for r in rows]


def test_values_kinds_and_dates_left_as_text(monkeypatch):
    envelope, nrows, columns = decoded(body(make_rows(10)), monkeypatch, threaded=True)
    assert envelope["paging"]["rows"] == 10 and "data" not in envelope
    assert columns["id"][0] == "int" and columns["id"][1][3] == 2**60 + 3
    assert columns["b"][0] == "bool" and columns["d"][0] == "str"
    assert columns["d"][1][0] == "2020-01-01T00:00:00" and columns["d"][1].dtype.kind == "U"


def test_table_from_large_threaded_body(monkeypatch):
    monkeypatch.setattr(arrowjson, "_THREADED_FROM", 1)
    rows = make_rows(2000)
    table = decode_table(body(rows))
    assert len(table) == 2000 and table["id"][3] == str(2**60 + 3)  # declared string: exact
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


TEXTS = ["HST", "", None, "Ångström", "日本語 x", "plain"]


@pytest.mark.parametrize("threaded", [True, False])
def test_text_columns_are_str_built_from_arrow_buffers(monkeypatch, threaded):
    rows = [{"s": TEXTS[k % len(TEXTS)]} for k in range(3 * arrowjson._TEXT_SLICE + 5)]
    data = orjson.dumps({"status": "COMPLETE", "data": rows, "fields": [FIELDS[0]]})
    kind, values, mask = decoded(data, monkeypatch, threaded=threaded)[2]["s"]
    assert kind == "str" and values.dtype == np.dtype("U8")
    assert [None if m else str(v) for v, m in zip(values, mask, strict=True)] == [
        r["s"] for r in rows
    ]


def test_bytes_text_is_an_explicit_opt_in():
    import pyarrow as pa

    array = pa.array(TEXTS)
    assert arrowjson.text_from_arrow(array).tolist() == [t or "" for t in TEXTS]
    as_bytes = arrowjson.text_from_arrow(array, text="bytes")
    assert as_bytes.dtype.kind == "S"
    assert [v.decode() for v in as_bytes] == [t or "" for t in TEXTS]
    assert arrowjson.text_from_arrow(pa.array([], pa.string())).dtype.kind == "U"
    with pytest.raises(ValueError, match="text must be one of"):
        arrowjson.text_from_arrow(array, text="ascii")
