"""
Bad input on the command line, drawn by hypothesis: every wrong argument of the ``mastq``
query commands ends in one ``mastq: error: ...`` line (or argparse's usage error) with
exit code 2, never a traceback, and sends no invoke request to the local MAST.
"""

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mastq
from mastq.cli import main
from mastq.emulator import Emulator

quick = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class CountingApp:
    """WSGI middleware counting the invoke requests a local MAST gets."""

    def __init__(self, app):
        self.app, self.invokes = app, 0

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").endswith("/invoke"):
            self.invokes += 1
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def counted():
    server = Emulator().start()
    counter = CountingApp(server.app)
    server._server.app = counter  # the werkzeug server's WSGI app
    with mastq.conf.set_temp("cache", False):
        yield server.url, counter
    server.stop()


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, err.getvalue()


def refused(counted, argv):
    url, counter = counted
    before = counter.invokes
    code, err = run([*argv, "--server", url])
    assert code == 2, (argv, code, err)
    assert "Traceback" not in err and err.strip(), argv
    assert err.strip().splitlines()[-1].startswith(("mastq: error:", "usage:", "mastq ")), err
    assert counter.invokes == before, f"{argv} sent an invoke request"


not_a_number = st.sampled_from(
    ["abc", "nan", "inf", "-inf", "1e400", "", "--", "1,2", "NaN", "12h99m", "∞", "0x10", "None"]
)
bad_radius = st.sampled_from(
    ["3 furlongs", "-1arcmin", "nan", "inf deg", "3kg", "1e400deg", "abc", ""]
)


@quick
@given(ra=not_a_number, dec=st.one_of(not_a_number, st.sampled_from(["91", "-90.5", "200"])))
def test_search_with_a_position_that_is_not_one_is_refused(counted, ra, dec):
    refused(counted, ["search", ra, dec])


@quick
@given(radius=bad_radius)
def test_a_radius_that_is_not_an_angle_is_refused(counted, radius):
    refused(counted, ["search", "10.68", "41.27", "--radius", radius])


@quick
@given(
    criterion=st.sampled_from(
        [
            "no_equals",
            "=value",
            "not_a_column=1",
            "t_exptime=abc..",
            "t_exptime=5..1",
            "obs_collection=",
            "t_min=..",
            "s_ra=x..y",
        ]
    )
)
def test_criteria_that_cannot_be_valid_are_refused(counted, criterion):
    refused(counted, ["search", "--criteria", criterion])


@quick
@given(
    command=st.sampled_from(["search", "count", "catalog"]),
    extra=st.sampled_from(
        [
            ["--output", "table.unknownext"],
            ["--radius"],
            ["--catalog", "No Such Catalog!"],
            ["--nope"],
        ]
    ),
)
def test_bad_options_are_refused(counted, command, extra):
    refused(counted, [command, "10.68", "41.27", *extra])
