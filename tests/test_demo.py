"""The main job (``mastq demo``), run in-process against its embedded local MAST."""

import astropy.units as u
import numpy as np

from mastq.cli import main
from mastq.demo import run_demo


def test_run_demo_returns_tables_with_units_and_reports_them():
    lines = []
    result = run_demo("M101", radius=0.05 * u.deg, write=lines.append)
    observations = result["observations"]
    assert len(observations) > 0
    assert observations["s_ra"].unit == u.deg and observations["distance"].unit == u.arcsec
    assert (observations["distance"] <= 0.05 * 3600 + 1e-6).all()
    products = result["products"]
    assert len(products) > 0
    assert set(np.asarray(products["obsID"])) <= set(np.asarray(observations["obsid"][:3]))
    text = "\n".join(lines)
    assert "local MAST running at http://127.0.0.1:" in text and "TIC stars" in text


def test_demo_command_exit_codes(capsys):
    assert main(["demo", "--target", "M31", "--radius", "0.02"]) == 0
    assert "M31 resolves to" in capsys.readouterr().out
    assert main(["demo", "--target", "No Such Object 42"]) == 1
    assert "No Such Object 42" in capsys.readouterr().err
