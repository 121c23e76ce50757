"""Long queries show progress when someone watches; everything runs in a running event loop."""

import asyncio
from pathlib import Path

import astropy.units as u
import pytest

import mastq
from mastq import progress
from mastq.observations import ObservationsClass

RADIUS = 0.05 * u.deg


@pytest.fixture
def watched(monkeypatch):
    """Pretend a terminal is watching and show bars at once."""
    monkeypatch.setattr(progress, "interactive", lambda: True)
    monkeypatch.setattr(progress, "DELAY", 0.0)


@pytest.fixture
def slow_mast(mast_emulator_factory):
    """A local MAST whose queries stay EXECUTING for two polls (no persistent cache)."""
    server = mast_emulator_factory(executing_polls=2)
    with (
        mastq.conf.set_temp("server", server.url),
        mastq.conf.set_temp("cache", False),
        mastq.conf.set_temp("poll_interval", 0.01),
    ):
        yield server.url


def test_executing_query_shows_a_progress_bar(slow_mast, watched, capsys):
    table = ObservationsClass().query_object("M101", radius=RADIUS)
    assert len(table) > 0
    assert "Mast.Caom.Cone: EXECUTING" in capsys.readouterr().err


def test_pages_show_a_progress_bar(slow_mast, watched, capsys):
    table = ObservationsClass().query_object("M101", radius=RADIUS, pagesize=5)
    assert len(table) > 10
    assert "Mast.Caom.Cone: pages" in capsys.readouterr().err


def test_conf_progress_false_is_quiet(slow_mast, watched, capsys):
    with mastq.conf.set_temp("progress", False):
        ObservationsClass().query_object("M101", radius=RADIUS)
    assert capsys.readouterr().err == ""


def test_not_interactive_is_quiet(slow_mast, capsys):
    ObservationsClass().query_object("M101", radius=RADIUS)
    assert capsys.readouterr().err == ""


def test_queries_and_downloads_run_inside_a_running_event_loop(slow_mast, tmp_path):
    """As in Jupyter, whose kernel already runs an asyncio loop."""

    async def in_loop():
        assert asyncio.get_running_loop().is_running()
        obs = ObservationsClass()
        table = obs.query_object("M101", radius=RADIUS)
        products = obs.filter_products(obs.get_product_list(table[:1]), extension="fits")
        manifest = obs.download_products(products[:2], download_dir=tmp_path, progress=False)
        return table, manifest

    loop = asyncio.new_event_loop()
    try:
        table, manifest = loop.run_until_complete(in_loop())
    finally:
        loop.close()
    assert len(table) > 0
    assert len(manifest) > 0 and set(manifest["Status"]) == {"COMPLETE"}


def test_no_asyncio_run_in_mastq():
    """A nested ``asyncio.run`` fails inside Jupyter's running loop: mastq never calls it."""
    sources = Path(mastq.__file__).parent.rglob("*.py")
    assert not [p for p in sources if "asyncio.run(" in p.read_text(encoding="utf-8")]


def test_downloads_follow_the_same_rules(slow_mast, watched, tmp_path, capsys):
    obs = ObservationsClass()
    products = obs.filter_products(
        obs.get_product_list(obs.query_object("M101", radius=RADIUS)[:1]), extension="fits"
    )
    obs.download_products(products, download_dir=tmp_path / "a")
    assert "files" in capsys.readouterr().err
    with mastq.conf.set_temp("progress", False):
        obs.download_products(products, download_dir=tmp_path / "b")
    assert capsys.readouterr().err == ""
