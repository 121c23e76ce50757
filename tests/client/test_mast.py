"""astroquery's ``Mast`` door: document services, unknown services, bad service names, caches."""

import astroquery.exceptions as aq_exceptions
import pytest

import mastq
from mastq.cache import QueryCache
from mastq.catalogs import CatalogsClass
from mastq.exceptions import InvalidQueryError, NoResultsWarning, RemoteServiceError
from mastq.mast import MastClass
from mastq.observations import ObservationsClass
from mastq.services import ServiceClient

M101 = {"ra": 210.802429, "dec": 54.34875}


def test_name_lookup_through_service_request_is_a_table_of_resolved_coordinates(mast_door):
    table = mast_door.service_request("Mast.Name.Lookup", {"input": "M101", "format": "json"})
    assert len(table) == 1
    assert {"searchString", "resolver", "canonicalName", "ra", "decl"} <= set(table.colnames)
    assert table["canonicalName"][0] == "M 101" and table["resolver"][0] == "SIMBAD"
    assert (
        table["ra"][0] == pytest.approx(M101["ra"]) and table.meta["service"] == "Mast.Name.Lookup"
    )
    every = mast_door.service_request(
        "Mast.Name.Lookup", {"input": "M101", "format": "json", "resolveAll": True}
    )
    assert list(every["resolver"]) == ["SIMBAD", "NED"]


def test_name_lookup_of_nothing_warns_and_is_empty(mast_door):
    with pytest.warns(NoResultsWarning, match="Mast.Name.Lookup"):
        table = mast_door.service_request("Mast.Name.Lookup", {"input": "NoSuchObject42"})
    assert len(table) == 0


def test_mast_query_runs_document_services_too(mast_door):
    table = mast_door.mast_query("Mast.Name.Lookup", input="Vega", format="json")
    assert table["canonicalName"][0] == "* alf Lyr"


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.service_request("Mast.Nope.Cone", {"ra": 1, "dec": 2, "radius": 0.1}),
        lambda m: m.mast_query("Mast.Nope.Cone", ra=1, dec=2, radius=0.1),
        lambda m: m.mast_query("Mast.Catalogs.Filtered.Nope", columns="*", Tmag=(1, 2)),
        lambda m: m.service_request_async("Mast.Nope.Cone", {"ra": 1}),
    ],
)
def test_an_unknown_service_is_reported_as_unknown_by_the_server(mast_door, call):
    with pytest.raises(RemoteServiceError, match="Unknown service") as caught:
        call(mast_door)
    assert "criterion" not in str(caught.value)
    assert isinstance(caught.value, aq_exceptions.RemoteServiceError)


@pytest.mark.parametrize("service", [None, "", 42, ["Mast.Caom.Cone"]])
def test_a_service_that_is_not_a_name_is_a_clear_error(mast_door, service):
    for call in (
        lambda: mast_door.mast_query(service),
        lambda: mast_door.service_request(service, {}),
        lambda: mast_door.service_request_async(service, {}),
    ):
        with pytest.raises(InvalidQueryError, match="service must be the name of a MAST"):
            call()


def test_clear_cache_of_every_public_instance(local_mast, tmp_path):
    client = ServiceClient(cache=QueryCache(str(tmp_path)))
    params = {**M101, "radius": 0.02}
    for instance in (
        ObservationsClass(client=client),
        CatalogsClass(client=client),
        MastClass(client=client),
    ):
        client.service_request("Mast.Caom.Cone", params, cache=True)
        assert instance.clear_cache() == 1
        assert instance.clear_cache() == 0
    for instance in (mastq.Observations, mastq.Catalogs, mastq.Mast):
        assert callable(instance.clear_cache)


@pytest.mark.parametrize("instance", ["Observations", "Catalogs", "Mast"])
def test_tab_completion_shows_only_public_names(instance):
    names = dir(getattr(mastq, instance))
    assert names and all(not name.startswith("_") for name in names)
    assert {"resolve_object", "clear_cache"} <= set(names)


def test_astroquery_warning_filters_apply_to_mastq_queries(mast_door):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", aq_exceptions.NoResultsWarning)
        table = mast_door.service_request(
            "Mast.Caom.Cone", {"ra": 0.0, "dec": -89.9, "radius": 0.0001}
        )
    assert len(table) == 0


def test_local_name_lookup_takes_lists_and_rejects_unknown_resolvers(mast_door):
    both = mast_door.service_request(
        "Mast.Name.Lookup", {"input": ["M101", "Vega"], "resolver": "NED"}
    )
    assert list(both["searchString"]) == ["M101", "Vega"]
    assert list(both["resolver"]) == ["NED", "NED"]
    with pytest.raises(RemoteServiceError, match="unknown resolver 'VizieR'"):
        mast_door.service_request("Mast.Name.Lookup", {"input": "M101", "resolver": "VizieR"})
