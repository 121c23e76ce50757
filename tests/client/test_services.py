"""Mast.service_request end to end against a local MAST: tables, metadata, cache, threads."""

import threading
import warnings

import astropy.units as u
import numpy as np
import pytest

import mastq
from mastq.emulator.model import Field, TableResult
from mastq.emulator.server import Emulator
from mastq.exceptions import InvalidQueryError, MastqWarning, NoResultsWarning
from mastq.services import ServiceClient
from mastq.transport import MastTransport

FIELDS = (
    Field("obsid", "string"),
    Field("s_ra", "float"),
    Field("t_min", "float"),
    Field("em_resolution", "float"),
    Field("target", "string"),
    Field("_selected_", "boolean"),
)


def run_service(service, params, archive):
    n = int(params.get("n", 10))
    idx = np.arange(n)
    tag = service.rsplit(".", 1)[-1]
    return TableResult.from_arrays(
        FIELDS,
        {
            "obsid": idx.astype(np.int64) + 2**60,
            "s_ra": np.ma.MaskedArray(idx * 0.5, mask=idx % 4 == 1),
            "t_min": 50000.0 + idx,
            "em_resolution": np.where(idx % 2 == 0, -9999.0, 3.0),
            "target": np.array([f"{tag}-{i}" for i in idx]),
            "_selected_": np.ma.MaskedArray(np.zeros(n, bool), mask=True),
        },
    )


def columns_config(config_id, archive):
    return {
        "s_ra": {"vot.unit": "deg", "vot.ucd": "pos.eq.ra"},
        "obsid": {"vot.datatype": "long"},
        "t_min": {"vot.unit": "d", "unit": "MJD", "isMjd": True},
        "em_resolution": {"ignoreValue": -9999},
    }


@pytest.fixture
def server():
    emulator = Emulator(
        archive=object(), run_service=run_service, columns_config=columns_config, latency=0.02
    ).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def mast(server, tmp_path):
    with mastq.conf.set_temp("server", server.url), mastq.conf.set_temp("cache_dir", str(tmp_path)):
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


def failing_columns_config(failures):
    """A ``columns_config`` whose first ``failures`` answers are not a JSON object."""
    left = [failures]

    def answer(config_id, archive):
        if left[0]:
            left[0] -= 1
            return ["not", "a", "columns", "config"]
        return columns_config(config_id, archive)

    return answer


def start_server(failures):
    return Emulator(
        archive=object(), run_service=run_service, columns_config=failing_columns_config(failures)
    ).start()


def test_column_metadata_is_retried_like_any_request(tmp_path):
    server = start_server(failures=2)
    try:
        with (
            mastq.conf.set_temp("server", server.url),
            mastq.conf.set_temp("retries", 3),
            mastq.conf.set_temp("retry_backoff", 0.01),
        ):
            table = ServiceClient().service_request("Mast.Caom.Cone", {"n": 5}, cache=False)
    finally:
        server.stop()
    assert table["s_ra"].unit == u.deg and "units_missing" not in table.meta


def test_a_table_without_its_column_metadata_says_so_warns_and_is_not_cached(tmp_path):
    server = start_server(failures=3)  # retries=2: three failed answers exhaust them
    try:
        with (
            mastq.conf.set_temp("server", server.url),
            mastq.conf.set_temp("retries", 2),
            mastq.conf.set_temp("retry_backoff", 0.01),
            mastq.conf.set_temp("cache_dir", str(tmp_path)),
        ):
            mast = ServiceClient()
            with pytest.warns(MastqWarning, match="units and descriptions are missing"):
                bare = mast.service_request("Mast.Caom.Cone", {"n": 5})
            again = mast.service_request("Mast.Caom.Cone", {"n": 5})
            cached = mast.service_request("Mast.Caom.Cone", {"n": 5})
    finally:
        server.stop()
    assert bare["s_ra"].unit is None and len(bare) == 5  # the query still answers
    assert (
        bare.meta["units_missing"] is True and "Mast.Caom.Cone" in bare.meta["units_missing_reason"]
    )
    assert again["s_ra"].unit == u.deg and cached["s_ra"].unit == u.deg
    assert "units_missing" not in again.meta  # the bare table was not cached
    assert len(list(tmp_path.glob("*.mqt"))) == 1


def test_unknown_request_property_names_it(mast):
    with pytest.raises(InvalidQueryError, match="colour"):
        mast.service_request("Mast.Caom.Cone", {"n": 1}, colour="red")


def test_two_threads_two_services_each_get_their_own_result(mast):
    results, errors = {}, []

    def run(service, n):
        try:
            results[service] = mast.service_request(service, {"n": n}, pagesize=50, cache=False)
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

    def columns_config(self, config_id, *, deadline=None, settings=None):
        self.configs.append(config_id)
        return super().columns_config(config_id, deadline=deadline, settings=settings)


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
    client.service_request(
        "Mast.Catalogs.Tic.Cone", {"ra": 210.8, "dec": 54.35, "radius": 0.01}, warn_empty=False
    )
    caom = client.column_entries("Mast.Caom.Cone")
    assert caom is client.columns_config("Mast.Caom.Cone").entries
    assert transport.configs == ["Mast.Catalogs.Tess.Cone", "Mast.Caom.Cone"]
