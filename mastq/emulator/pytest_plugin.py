"""
pytest fixtures of the local MAST, installed with mastq (entry point ``mastq_emulator``).

Any test suite in an environment where mastq is installed can use them, without a
``conftest.py``:

``mast_emulator`` (session scope)
    The root URL of one default local MAST shared by the whole session::

        def test_cone(mast_emulator):
            with mastq.conf.set_temp("server", mast_emulator):
                ...

``mast_emulator_factory`` (function scope)
    A function ``factory(config=None, **overrides) -> Emulator`` that starts a local MAST
    with its own settings (`~mastq.emulator.EmulatorConfig` and
    `~mastq.emulator.FaultConfig` fields, e.g. ``executing_polls=2``, ``p_503=0.3``,
    ``row_limit=100``); every server it started is stopped at teardown::

        def test_retries(mast_emulator_factory):
            server = mast_emulator_factory(p_503=0.5, seed=1)
            with mastq.conf.set_temp("server", server.url):
                ...

Servers started by the factory share the session's archive unless ``seed``, ``scale`` or
``dense_field`` differ from the default, so starting one is cheap.
"""

import pytest

from mastq.emulator.config import EmulatorConfig
from mastq.emulator.server import Emulator

__all__ = ["mast_emulator", "mast_emulator_factory"]


@pytest.fixture(scope="session")
def _mast_emulator_server():
    server = Emulator().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mast_emulator(_mast_emulator_server):
    """Root URL (``http://127.0.0.1:<port>``) of a default local MAST for the session."""
    return _mast_emulator_server.url


def _same_archive(config):
    default = EmulatorConfig()
    return (config.seed, config.scale, config.dense_field) == (
        default.seed,
        default.scale,
        default.dense_field,
    )


@pytest.fixture
def mast_emulator_factory(request):
    """Start local MAST servers with custom settings; all are stopped at teardown."""
    started = []

    def factory(config=None, *, archive=None, run_service=None, columns_config=None, **overrides):
        config = (config or EmulatorConfig()).replace(**overrides)
        if archive is None and _same_archive(config):
            archive = request.getfixturevalue("_mast_emulator_server").app.archive
        server = Emulator(
            config, archive=archive, run_service=run_service, columns_config=columns_config
        ).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
