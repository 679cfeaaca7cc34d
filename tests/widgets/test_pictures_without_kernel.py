"""A notebook executed without a browser (nbclient): every widget output also carries a static picture."""

from pathlib import Path

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[2]
CELLS = [
    "import mixedwidgets as mw\nsleep = mw.datasets.load('sleepstudy')\ncbpp = mw.datasets.load('cbpp')",
    "lmm = mw.fit('Reaction ~ Days + (Days | Subject)', sleep)\nmw.explore(lmm)",
    (
        "glmm = mw.fit('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, family='binomial')\n"
        "mw.explore(glmm)"
    ),
    "%load_ext mixedwidgets",
    "%%mixedmodel --data sleep --out fit\nReaction ~ Days + (Days | Subject)",
    (
        "from mixedwidgets.widgets import (RanefInspector, VarianceTable, CovariancePanel, CovarianceExplorer,\n"
        "                                  MarginalCurves)\n"
        "display(RanefInspector(lmm), VarianceTable(lmm), CovariancePanel(lmm), CovarianceExplorer(lmm),\n"
        "        MarginalCurves(glmm))"
    ),
]
WIDGET = "application/vnd.jupyter.widget-view+json"


def has_picture(data: dict) -> bool:
    html = str(data.get("text/html", ""))
    return "image/svg+xml" in data or "image/png" in data or "<svg" in html or "<img" in html


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    ).execute()
    return nb


def widget_outputs(cell) -> list[dict]:
    return [
        o["data"]
        for o in cell.outputs
        if o.get("output_type") in ("display_data", "execute_result") and WIDGET in o.get("data", {})
    ]


@pytest.mark.parametrize(
    "index, count",
    [(1, 1), (2, 1), (4, 1), (5, 5)],
    ids=["explore LMM", "explore GLMM", "%%mixedmodel", "single views"],
)
def test_every_widget_output_carries_a_picture(executed, index, count):
    outputs = widget_outputs(executed.cells[index])
    assert len(outputs) == count
    for data in outputs:
        assert has_picture(data), sorted(data)
        if "image/svg+xml" in data:
            assert data["image/svg+xml"].lstrip().startswith("<svg")


def test_the_magic_shows_one_output_holding_each_table_once(executed):
    outputs = [o for o in executed.cells[4].outputs if o.get("output_type") in ("display_data", "execute_result")]
    assert len(outputs) == 1
    html = outputs[0]["data"]["text/html"]
    assert html.count('class="mw-varcomp-table"') == 1 and html.count('class="mw-fixef-table"') == 1
    assert "Data: sleep" in outputs[0]["data"]["text/plain"]
