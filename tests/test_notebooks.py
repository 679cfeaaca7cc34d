"""Every notebook in notebooks/ runs top to bottom without an error, and is stored without outputs."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{ANSI.sub('', str(error))}", pytrace=False)
    without = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if WIDGET in out.get("data", {}) and not has_picture(out["data"])
    ]
    assert not without, f"{path.name}: widget outputs without a static picture in cells {without}"


WIDGET = "application/vnd.jupyter.widget-view+json"


def has_picture(data: dict) -> bool:
    """A static SVG/PNG beside the widget view (what GitHub, nbviewer and exported HTML show)."""
    html = str(data.get("text/html", ""))
    return "image/svg+xml" in data or "image/png" in data or "<svg" in html or "<img" in html


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code)


def test_there_are_worked_examples():
    names = {p.name for p in NOTEBOOKS}
    for number in ("02", "03", "04", "05", "06", "07"):
        assert any(name.startswith(number + "_") for name in names), f"notebook {number}_... is missing"
