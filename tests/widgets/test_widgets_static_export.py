"""Outside a live kernel (nbconvert, GitHub) the dashboard falls back to escaped static HTML."""

from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")
nbconvert = pytest.importorskip("nbconvert")

REPO = Path(__file__).resolve().parents[2]
CODE = """import mixedwidgets as mw
data = mw.datasets.load("sleepstudy")
subject = data["Subject"].astype(str)
data["Subject"] = subject.where(subject != "308", "<img src=x onerror=alert(1)>")
m = mw.fit("Reaction ~ Days + (Days | Subject)", data)
mw.explore(m)"""


@pytest.fixture(scope="module")
def exported():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CODE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", store_widget_state=False, resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    return nb, body


def test_output_carries_a_static_html_fallback(exported):
    nb, _ = exported
    data = nb.cells[0].outputs[-1]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert 'class="mw-varcomp-table"' in data["text/html"]


def test_exported_page_shows_the_tables_with_escaped_levels(exported):
    _, body = exported
    assert 'class="mw-varcomp-table"' in body and "Residual" in body
    assert "Conditional modes of (Intercept) for Subject" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<img src=x" not in body
