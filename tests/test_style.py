"""The code stays `ruff check` clean and `ruff format`ted (config in pyproject.toml), so
style cannot rot."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff():
    found = shutil.which("ruff")
    if found:
        return [found]
    pytest.importorskip("ruff", reason="ruff is in the test extra")
    return [sys.executable, "-m", "ruff"]


def test_ruff_check_is_clean():
    result = subprocess.run(
        [*_ruff(), "check", "--no-cache", "mastq", "tests", "bench", "docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = subprocess.run(
        [*_ruff(), "format", "--check", "--no-cache", "mastq", "tests", "bench", "docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
