"""
The documentation builds without a warning (``sphinx-build -W``), offline.

The examples of the pages and docstrings run as doctests (``--doctest-rst``, see
docs/conftest.py and mastq/conftest.py); this checks that the pages themselves build:
every automodapi target imports, every cross-reference and toctree entry resolves.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytest.importorskip("sphinx_astropy", reason="sphinx-astropy is in the test extra")


@pytest.mark.docs
def test_docs_build_without_warnings(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("MASTQ_DOCS_INTERSPHINX", None)  # offline: no inventories to fetch
    # A copy of the sources: automodapi writes its stub pages (api/) next to them, and
    # stubs left by an older build must not hide (or cause) a warning.
    source = tmp_path / "docs"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("api", "_build"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(source),
            str(tmp_path / "html"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "html" / "index.html").exists()


def test_every_public_module_is_in_the_api_reference():
    import pkgutil

    import mastq

    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. automodapi:: (\S+)$", api, re.M))
    modules = {
        f"mastq.{m.name}"
        for m in pkgutil.iter_modules(mastq.__path__)
        if not m.name.startswith("_") and m.name != "conftest"
    }
    assert modules - documented == set()


def test_every_conf_item_is_on_the_configuration_page():
    import mastq

    page = (DOCS / "configuration.rst").read_text(encoding="utf-8")
    items = [
        name
        for name, value in vars(mastq.Conf).items()
        if isinstance(value, mastq._config.ConfigItem)
    ]
    assert len(items) > 10
    assert [name for name in items if f"``{name}``" not in page] == []


@pytest.mark.parametrize(
    "name", ["parse", "paging", "polling", "download", "many_targets", "crossmatch"]
)
def test_performance_page_shows_the_benchmark_plots(name):
    page = (DOCS / "performance.rst").read_text(encoding="utf-8")
    assert f"_static/bench_{name}.png" in page
    assert (DOCS / "_static" / f"bench_{name}.png").stat().st_size > 1000


def test_bench_plots_reads_the_committed_benchmark_output():
    import importlib.util

    spec = importlib.util.spec_from_file_location("plots", ROOT / "bench" / "plots.py")
    plots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plots)
    runs = (DOCS / "_static" / "bench_results.txt").read_text(encoding="utf-8").split("# run ")
    figures = plots.best_of([plots.parse_results(run) for run in runs if run.strip()])
    assert {"parse", "paging", "polling", "download", "many_targets", "crossmatch"} <= set(figures)
    assert figures["paging"]["mastq"] > 0 and figures["parse"]["astroquery"] > 0
