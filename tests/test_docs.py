"""
The documentation builds without a warning (``sphinx-build -W``), offline.

The examples of the pages and docstrings run as doctests (``--doctest-rst``, see
docs/conftest.py and mastq/conftest.py); this checks that the pages themselves build:
every automodapi target imports, every cross-reference and toctree entry resolves.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytest.importorskip("sphinx_astropy", reason="sphinx-astropy is in the test extra")


@pytest.mark.docs
def test_docs_build_without_warnings(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("MASTQ_DOCS_INTERSPHINX", None)  # offline: no inventories to fetch
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "html" / "index.html").exists()
