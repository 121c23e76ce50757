"""The getting-started notebook (docs/getting_started.ipynb) runs, offline, on the local MAST."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")
nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")
pytest.importorskip("ipykernel", reason="ipykernel is in the test extra")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "getting_started.ipynb"


def _text(cell):
    return "".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for output in cell.get("outputs", [])
    )


def test_getting_started_notebook_runs(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if one fails
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "http://127.0.0.1:" in _text(code[0])
    assert 'Unit("deg")' in _text(code[2]) and 'Unit("s")' in _text(code[2])
    assert "COMPLETE" in _text(code[5])
    assert "'https://mast.stsci.edu'" in _text(code[-1])
