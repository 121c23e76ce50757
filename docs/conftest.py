"""
Examples of the documentation pages run against the local MAST.

Every example in docs/*.rst runs (pytest-doctestplus, ``--doctest-rst``) with
`mastq.conf.server` and `mastq.conf.catalogs_server` pointed at the session's local MAST (the
``mast_emulator`` fixture of `mastq.emulator.pytest_plugin`) and the persistent query
cache in a temporary folder.
"""

import pytest

import mastq


@pytest.fixture(autouse=True)
def _doctests_on_local_mast(mast_emulator, tmp_path):
    with (
        mastq.conf.set_temp("server", mast_emulator),
        mastq.conf.set_temp("catalogs_server", mast_emulator),
        mastq.conf.set_temp("cache_dir", str(tmp_path / "cache")),
    ):
        yield


collect_ignore = ["conf.py"]  # the Sphinx configuration, not a module with examples
