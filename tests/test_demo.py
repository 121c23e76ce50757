"""The main job (``mastq demo``), run in-process against its embedded local MAST."""

from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits

from mastq.cli import main
from mastq.demo import run_demo


def test_run_demo_searches_filters_and_downloads(tmp_path):
    lines = []
    result = run_demo(
        "M101", radius=0.05 * u.deg, download_dir=tmp_path, files=2, write=lines.append
    )
    observations = result["observations"]
    assert len(observations) > 0
    assert observations["s_ra"].unit == u.deg and observations["distance"].unit == u.arcsec
    assert (observations["distance"] <= 0.05 * 3600 + 1e-6).all()
    products = result["products"]
    assert len(products) > 0
    assert set(np.asarray(products["obsID"])) <= set(np.asarray(observations["obsid"][:3]))
    science = result["science"]
    assert 0 < len(science) < len(products)
    assert set(science["productType"]) == {"SCIENCE"}
    assert all(str(name).endswith(".fits") for name in science["productFilename"])
    manifest = result["manifest"]
    assert list(manifest["Status"]) == ["COMPLETE", "COMPLETE"]
    for path in manifest["Local Path"]:
        assert Path(path).is_relative_to(tmp_path)
        with fits.open(path) as hdus:
            assert len(hdus) >= 1
    text = "\n".join(lines)
    assert "local MAST running at http://127.0.0.1:" in text and "TIC stars" in text
    assert f"the files are in {tmp_path.resolve()}" in text


def test_demo_command_exit_codes(capsys, tmp_path):
    assert main(["demo", "--target", "M31", "--radius", "0.02", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "M31 resolves to" in out and str(tmp_path.resolve()) in out
    assert any(tmp_path.rglob("*.fits"))
    assert main(["demo", "--target", "No Such Object 42"]) == 1
    assert "No Such Object 42" in capsys.readouterr().err
