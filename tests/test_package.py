"""The package surface: configuration read at call time and the exception hierarchy."""

import warnings

import pytest
from astropy.utils.exceptions import AstropyWarning

import mastq
from mastq import exceptions


def test_conf_set_temp_is_seen_and_restored():
    before = mastq.conf.server
    with mastq.conf.set_temp("server", "http://127.0.0.1:1"):
        assert mastq.conf.server == "http://127.0.0.1:1"
    assert mastq.conf.server == before


@pytest.mark.parametrize("name", [n for n in exceptions.__all__ if n != "warn_user"])
def test_every_exported_class_is_an_error_or_warning(name):
    obj = getattr(exceptions, name)
    assert issubclass(obj, (exceptions.MastqError, exceptions.MastqWarning))


def test_error_carries_context_in_message():
    err = exceptions.RemoteServiceError(
        "query failed",
        service="Mast.Caom.Cone",
        url="http://x/api/v0/invoke",
        status_code=200,
        server_message="Unknown parameter: rad",
    )
    text = str(err)
    assert "Mast.Caom.Cone" in text and "Unknown parameter: rad" in text
    assert err.service == "Mast.Caom.Cone" and err.status_code == 200


def test_invalid_query_is_a_value_error_and_warnings_are_astropy_warnings():
    assert issubclass(exceptions.InvalidQueryError, ValueError)
    assert issubclass(exceptions.QueryDeadlineError, TimeoutError)
    with pytest.warns(AstropyWarning):
        warnings.warn("nothing matched", exceptions.NoResultsWarning, stacklevel=1)


def test_public_names_are_astroquery_style_instances():
    from mastq import Catalogs, CatalogsClass, Mast, MastClass, Observations, ObservationsClass

    assert isinstance(Observations, ObservationsClass) and isinstance(Catalogs, CatalogsClass)
    assert isinstance(Mast, MastClass) and callable(Mast.service_request)
    assert set(mastq.__all__) <= set(dir(mastq))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        mastq.Nope  # noqa: B018


def _astroquery_namesakes():
    import astroquery.exceptions as aq

    return sorted(name for name in exceptions.__all__ if isinstance(getattr(aq, name, None), type))


@pytest.mark.parametrize("name", _astroquery_namesakes())
def test_each_class_with_an_astroquery_namesake_subclasses_it(name):
    import astroquery.exceptions as aq

    assert issubclass(getattr(exceptions, name), getattr(aq, name))


def test_astroquery_namesakes_cover_what_mastq_raises_and_warns():
    import astroquery.exceptions as aq

    assert {
        "InvalidQueryError",
        "RemoteServiceError",
        "ResolverError",
        "NoResultsWarning",
        "MaxResultsWarning",
        "InputWarning",
        "AuthenticationWarning",
    } <= set(_astroquery_namesakes())
    assert issubclass(exceptions.QueryDeadlineError, aq.TimeoutError)
    assert issubclass(exceptions.AuthenticationError, aq.LoginError)
    assert issubclass(exceptions.TruncatedResultWarning, aq.MaxResultsWarning)
    with pytest.raises(aq.InvalidQueryError):
        raise exceptions.InvalidQueryError("bad radius")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", aq.NoResultsWarning)
        exceptions.warn_user("nothing matched", exceptions.NoResultsWarning)
