"""Every notebook in JupyterLab (1,280 x 900, file browser open): its widget outputs fit their boxes, no
console errors; a screenshot of each view goes to docs/screens/ (looked at by a person)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from lab_page import CURRENT, layout_problems, open_notebook, run_all_cells
from lab_server import REPO, start_lab

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
DOCS = REPO / "docs" / "screens"
WIDGET_OUTPUTS = f"{CURRENT} .jp-OutputArea-output:has(.jupyter-widgets, .mw-cov)"  # ipywidgets, anywidget


@pytest.fixture(scope="module")
def all_notebooks_lab():
    source = Path(tempfile.mkdtemp(prefix="mw-all-notebooks-"))
    for path in NOTEBOOKS:
        shutil.copy(path, source)
    server = start_lab(source)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(source, ignore_errors=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_views_fit_and_are_pictured(all_notebooks_lab, page, path):
    open_notebook(page, all_notebooks_lab, path.name)
    run_all_cells(page, timeout_ms=420_000)
    page.wait_for_timeout(2_000)  # bqplot and anywidget finish drawing
    outputs = page.locator(WIDGET_OUTPUTS)
    assert outputs.count() > 0, f"{path.name} shows no widget"
    problems = {}
    for i in range(outputs.count()):
        found = layout_problems(outputs.nth(i))
        if found:
            problems[i] = found
    shoot(page, outputs, path.stem)
    assert not problems, problems
    assert not page.errors, page.errors


def shoot(page, outputs, stem: str) -> None:
    """One PNG per widget output, taken in a tall window so that a whole dashboard fits."""
    DOCS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 3600})
    page.wait_for_timeout(1_000)
    for i in range(outputs.count()):
        output = outputs.nth(i)
        output.scroll_into_view_if_needed()
        output.screenshot(path=str(DOCS / f"{stem}_{i + 1}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
