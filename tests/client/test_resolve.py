"""Name resolution as astroquery.mast 0.4.11: shapes, resolvers, batching, errors."""

import warnings

import astropy.units as u
import pytest
from astropy.coordinates import SkyCoord

from mastq.catalogs import CatalogsClass
from mastq.exceptions import InputWarning, InvalidQueryError, ResolverError
from mastq.observations import ObservationsClass
from mastq.services import ServiceClient
from mastq.transport import MastTransport

M101 = SkyCoord(210.802429, 54.34875, unit="deg")
VEGA = SkyCoord(279.234735, 38.783689, unit="deg")


class RecordingTransport(MastTransport):
    """A real transport that remembers the service and params of each invoke request."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def invoke(self, request, **kwargs):
        self.sent.append((request.service, dict(request.params)))
        return super().invoke(request, **kwargs)

    def lookups(self):
        return [params for service, params in self.sent if service == "Mast.Name.Lookup"]


@pytest.fixture
def recorded(local_mast):
    transport = RecordingTransport()
    return transport, ObservationsClass(client=ServiceClient(transport=transport))


@pytest.fixture
def aq_resolver(mast_emulator, monkeypatch):
    """astroquery's resolve_object, its fixed SANTA URL routed to the local MAST."""
    utils = pytest.importorskip("astroquery.mast.utils")
    monkeypatch.setenv("HTTP_PROXY", mast_emulator)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("http_proxy", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return utils.resolve_object


def _shape(value):
    """The shape of a resolve_object answer: types and keys, positions rounded."""
    if isinstance(value, SkyCoord):
        return ("SkyCoord", round(value.ra.deg, 5), round(value.dec.deg, 5))
    assert isinstance(value, dict)
    return {key: _shape(item) for key, item in value.items()}


@pytest.mark.parametrize("names", ["M101", ["M101"], ["M101", "Vega"], ("m 101", "NGC 1068")])
@pytest.mark.parametrize("resolve_all", [False, True])
@pytest.mark.parametrize("resolver", [None, "NED", "simbad"])
def test_every_combination_answers_as_astroquery(obs, aq_resolver, names, resolve_all, resolver):
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = obs.resolve_object(names, resolver=resolver, resolve_all=resolve_all)
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = aq_resolver(names, resolver=resolver, resolve_all=resolve_all)
    assert _shape(ours) == _shape(theirs)
    assert [w.category.__name__ for w in ours_warned] == [
        w.category.__name__ for w in theirs_warned
    ]


def test_one_name_is_a_skycoord_and_resolve_all_a_dict_by_resolver(obs):
    assert obs.resolve_object("M101").separation(M101).arcsec < 1e-6
    both = obs.resolve_object("M101", resolve_all=True)
    assert list(both) == ["SIMBAD", "NED"]
    assert all(c.separation(M101).arcsec < 1e-6 for c in both.values())


def test_a_list_of_names_is_one_lookup_and_a_dict_by_name(recorded):
    transport, obs = recorded
    found = obs.resolve_object(["M101", "Vega", "NGC 1068"])
    assert list(found) == ["M101", "Vega", "NGC 1068"]
    assert found["Vega"].separation(VEGA).arcsec < 1e-6
    assert transport.lookups() == [
        {"input": ["M101", "Vega", "NGC 1068"], "format": "json", "resolveAll": False}
    ]
    nested = obs.resolve_object(["M101", "Vega"], resolve_all=True)
    assert {name: list(by) for name, by in nested.items()} == {
        "M101": ["SIMBAD", "NED"],
        "Vega": ["SIMBAD", "NED"],
    }


def test_the_resolver_is_sent_as_mast_names_it(recorded):
    transport, obs = recorded
    obs.resolve_object("M101", resolver="ned")
    assert transport.lookups()[-1] == {
        "input": "M101",
        "format": "json",
        "resolveAll": False,
        "resolver": "NED",
    }
    with pytest.warns(InputWarning, match="ignored when resolve_all"):
        obs.resolve_object("M101", resolver="NED", resolve_all=True)
    assert transport.lookups()[-1] == {"input": "M101", "format": "json", "resolveAll": True}


def test_unknown_resolver_and_unknown_names_raise_naming_both(obs):
    with pytest.raises(
        ResolverError,
        match=r"'M101'.*resolver must be one of SIMBAD, NED.*"
        r"'VizieR'",
    ):
        obs.resolve_object("M101", resolver="VizieR")
    with pytest.raises(ResolverError, match=r"'NoSuchObject42'.*resolver 'NED'"):
        obs.resolve_object("NoSuchObject42", resolver="NED")
    with pytest.raises(ResolverError, match=r"'NoSuchObject42'.*MAST default order"):
        obs.resolve_object("NoSuchObject42")
    with pytest.raises(ResolverError, match="none of the names"), pytest.warns(InputWarning):
        obs.resolve_object(["Nope1", "Nope2"])


def test_an_unresolved_name_among_several_is_left_out_with_a_warning(obs):
    with pytest.warns(InputWarning, match="'Nope1'"):
        found = obs.resolve_object(["M101", "Nope1"])
    assert list(found) == ["M101"]


@pytest.mark.parametrize("bad", [None, "", 42, [], ["M101", ""], [1, 2]])
def test_objectname_must_be_names(obs, bad):
    with pytest.raises(InvalidQueryError, match="objectname"):
        obs.resolve_object(bad)


def test_resolver_reaches_every_named_query(recorded, local_mast):
    transport, obs = recorded
    radius = 0.05 * u.deg
    rows = obs.query_object("M101", radius=radius, resolver="NED")
    assert obs.query_object_count("M101", radius=radius, resolver="NED") == len(rows)
    criteria = obs.query_criteria(
        objectname="M101", radius=radius, resolver="NED", obs_collection="HST"
    )
    assert obs.query_criteria_count(
        objectname="M101", radius=radius, resolver="NED", obs_collection="HST"
    ) == len(criteria)
    assert len(transport.lookups()) == 4
    assert all(params.get("resolver") == "NED" for params in transport.lookups())
    cat = CatalogsClass(client=ServiceClient(transport=transport))
    stars = cat.query_object("M101", radius=radius, catalog="Tic", resolver="SIMBAD")
    assert len(stars) > 0 and transport.lookups()[-1]["resolver"] == "SIMBAD"
    with pytest.raises(ResolverError, match="'M101'.*'Gaia'"):
        cat.query_criteria("Tic", objectname="M101", resolver="Gaia", Tmag=(None, 12))


def test_resolver_without_objectname_is_rejected(obs):
    with pytest.raises(InvalidQueryError, match="resolver"):
        obs.query_criteria(obs_collection="HST", resolver="NED")
    with pytest.raises(InvalidQueryError, match="resolver applies to objectname"):
        obs.query_criteria(coordinates=M101, resolver="NED", obs_collection="HST")


def test_a_tic_name_with_a_resolver_is_checked_against_the_tic_entry(recorded, aq_resolver):
    transport, obs = recorded
    ours = obs.resolve_object("TIC 307210830", resolver="SIMBAD")
    assert (
        transport.lookups()[-1]["resolveAll"] is True and "resolver" not in transport.lookups()[-1]
    )
    assert _shape(ours) == _shape(aq_resolver("TIC 307210830", resolver="SIMBAD"))
    every = obs.resolve_object("TIC 307210830", resolve_all=True)
    assert list(every) == ["TIC", "SIMBAD", "NED"]
