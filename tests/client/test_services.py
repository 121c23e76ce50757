"""Mast.service_request end to end against a local MAST: tables, metadata, cache, threads."""

import threading
import warnings

import astropy.units as u
import numpy as np
import pytest

import mastq
from mastq.emulator.model import Field, TableResult
from mastq.emulator.server import Emulator
from mastq.exceptions import InvalidQueryError, NoResultsWarning, TransportError
from mastq.services import ServiceClient
from mastq.transport import MastTransport

FIELDS = (Field("obsid", "string"), Field("s_ra", "float"), Field("t_min", "float"),
          Field("em_resolution", "float"), Field("target", "string"),
          Field("_selected_", "boolean"))


def run_service(service, params, archive):
    n = int(params.get("n", 10))
    idx = np.arange(n)
    tag = service.rsplit(".", 1)[-1]
    return TableResult.from_arrays(FIELDS, {
        "obsid": idx.astype(np.int64) + 2**60,
        "s_ra": np.ma.MaskedArray(idx * 0.5, mask=idx % 4 == 1),
        "t_min": 50000.0 + idx,
        "em_resolution": np.where(idx % 2 == 0, -9999.0, 3.0),
        "target": np.array([f"{tag}-{i}" for i in idx]),
        "_selected_": np.ma.MaskedArray(np.zeros(n, bool), mask=True)})


def columns_config(config_id, archive):
    return {"s_ra": {"vot.unit": "deg", "vot.ucd": "pos.eq.ra"}, "obsid": {"vot.datatype": "long"},
            "t_min": {"vot.unit": "d", "unit": "MJD", "isMjd": True},
            "em_resolution": {"ignoreValue": -9999}}


@pytest.fixture
def server():
    emulator = Emulator(archive=object(), run_service=run_service, columns_config=columns_config,
                        latency=0.02).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def mast(server, tmp_path):
    with mastq.conf.set_temp("server", server.url), \
            mastq.conf.set_temp("cache_dir", str(tmp_path)):
        yield ServiceClient()


def count_requests(mast):
    sent = []
    mast.transport._session.hooks["response"].append(lambda r, *a, **k: sent.append(r.url))
    return sent


def test_table_with_units_masks_sentinels_and_meta(mast):
    table = mast.service_request("Mast.Caom.Cone", {"n": 250}, pagesize=100, cache=False)
    assert len(table) == 250 and "_selected_" not in table.colnames
    assert table["s_ra"].unit == u.deg and table["t_min"].unit == u.day
    assert table["obsid"].dtype.kind == "U" and table["obsid"][249] == str(2**60 + 249)
    assert table["s_ra"].mask.sum() == 63
    assert table["em_resolution"].mask.sum() == 125  # only where the config declares it
    assert table.meta["service"] == "Mast.Caom.Cone" and table.meta["rowsFiltered"] == 250
    assert table.meta["pages"] == 3 and table.meta["params"] == {"n": 250}


def test_times_and_single_page(mast):
    table = mast.service_request("Mast.Caom.Cone", {"n": 25}, pagesize=10, page=3, times=True)
    assert len(table) == 5 and table["t_min"][0].mjd == 50020.0
    assert table.meta["page"] == 3


def test_repeated_query_comes_from_the_cache_without_http(mast):
    first = mast.service_request("Mast.Caom.Cone", {"n": 30})
    sent = count_requests(mast)
    again = mast.service_request("Mast.Caom.Cone", {"n": 30})
    assert sent == []
    assert np.array_equal(again["obsid"], first["obsid"]) and again["s_ra"].unit == u.deg
    assert list(again["s_ra"].mask) == list(first["s_ra"].mask)
    mast.service_request("Mast.Caom.Cone", {"n": 30}, cache=False)
    assert len(sent) == 1
    assert mast.clear_cache() == 1
    mast.service_request("Mast.Caom.Cone", {"n": 30})
    assert len(sent) == 3  # the query and the columns config again


def test_cache_ttl(mast):
    mast.service_request("Mast.Caom.Cone", {"n": 3})
    sent = count_requests(mast)
    with mastq.conf.set_temp("cache_ttl", 0.0):
        mast.service_request("Mast.Caom.Cone", {"n": 3})
    assert len(sent) == 1


def test_no_rows_warns(mast):
    with pytest.warns(NoResultsWarning):
        table = mast.service_request("Mast.Caom.Cone", {"n": 0}, cache=False)
    assert len(table) == 0 and table["obsid"].dtype.kind == "U"  # declared string


def test_no_rows_warns_from_the_cache_too(mast):
    with pytest.warns(NoResultsWarning):
        mast.service_request("Mast.Caom.Cone", {"n": 0})
    sent = count_requests(mast)
    with pytest.warns(NoResultsWarning):
        table = mast.service_request("Mast.Caom.Cone", {"n": 0})
    assert len(table) == 0 and sent == []


class FlakyColumnsTransport(MastTransport):
    """A real transport whose first columnsconfig fetch fails as an outage would."""

    def __init__(self):
        super().__init__()
        self.config_failures = 1

    def columns_config(self, config_id, *, deadline=None):
        if self.config_failures:
            self.config_failures -= 1
            raise TransportError("MAST answered HTTP 404 NOT FOUND", status_code=404)
        return super().columns_config(config_id, deadline=deadline)


def test_a_table_without_its_column_metadata_is_not_cached(server, tmp_path):
    with mastq.conf.set_temp("server", server.url), \
            mastq.conf.set_temp("cache_dir", str(tmp_path)):
        mast = ServiceClient(transport=FlakyColumnsTransport())
        bare = mast.service_request("Mast.Caom.Cone", {"n": 5})
        again = mast.service_request("Mast.Caom.Cone", {"n": 5})
        cached = mast.service_request("Mast.Caom.Cone", {"n": 5})
    assert bare["s_ra"].unit is None  # the query still answers, without units
    assert again["s_ra"].unit == u.deg and cached["s_ra"].unit == u.deg
    assert len(list(tmp_path.glob("*.mqt"))) == 1


def test_unknown_request_property_names_it(mast):
    with pytest.raises(InvalidQueryError, match="colour"):
        mast.service_request("Mast.Caom.Cone", {"n": 1}, colour="red")


def test_two_threads_two_services_each_get_their_own_result(mast):
    results, errors = {}, []

    def run(service, n):
        try:
            results[service] = mast.service_request(service, {"n": n}, pagesize=50,
                                                     cache=False)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    jobs = [("Mast.Caom.Cone", 170), ("Mast.Catalogs.Tic.Cone", 233)]
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for service, n in jobs:
        table = results[service]
        assert len(table) == n and table.meta["service"] == service
        assert set(t.split("-")[0] for t in table["target"]) == {service.rsplit(".", 1)[-1]}


def test_no_rows_warning_points_at_the_callers_line(mast):
    with pytest.warns(NoResultsWarning) as record:
        mast.service_request("Mast.Caom.Cone", {"n": 0}, cache=False)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = mast.service_request("Mast.Caom.Cone", {"n": 0}, cache=False, warn_empty=False)
    assert len(table) == 0


class CountingTransport(MastTransport):
    """A real transport that counts its columnsconfig fetches."""

    def __init__(self):
        super().__init__()
        self.configs = []

    def columns_config(self, config_id, *, deadline=None):
        self.configs.append(config_id)
        return super().columns_config(config_id, deadline=deadline)


def test_document_answers_name_lookup_and_extjs_histograms(local_mast):
    client = ServiceClient()
    found = client.document("Mast.Name.Lookup", {"input": "M101", "format": "json"})
    assert found["resolvedCoordinate"][0]["canonicalName"] == "M 101"
    histograms = client.document("Mast.Caom.All", {}, format="extjs")
    assert any(c.get("text") == "obs_collection" for c in histograms["Columns"])


def test_criteria_columns_come_from_the_one_columns_config_store(local_mast):
    transport = CountingTransport()
    client = ServiceClient(transport=transport)
    entries = client.column_entries("Mast.Catalogs.Tess.Cone")
    assert entries["Tmag"]["type"] == "numeric"  # from Mast.Catalogs.All.Tic's histograms
    assert client.column_entries("Mast.Catalogs.Tess.Cone") is entries
    client.service_request("Mast.Catalogs.Tic.Cone", {"ra": 210.8, "dec": 54.35,
                                                      "radius": 0.01}, warn_empty=False)
    caom = client.column_entries("Mast.Caom.Cone")
    assert caom is client.columns_config("Mast.Caom.Cone").entries
    assert transport.configs == ["Mast.Catalogs.Tess.Cone", "Mast.Caom.Cone"]
