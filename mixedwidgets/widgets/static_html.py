"""Static HTML fallbacks shown where no live kernel renders widgets (nbconvert, GitHub)."""

from __future__ import annotations

import numpy as np

from .html_util import esc, fmt, tag
from .ranef_data import CaterpillarData
from .varcomp_html import CELL, CELL_LEFT, varcomp_html

MAX_ROWS = 10


def caterpillar_table_html(data: CaterpillarData) -> str:
    """The lowest and highest conditional modes as a small table."""
    n = len(data.labels)
    picks = list(range(min(n, MAX_ROWS)))
    if n > 2 * MAX_ROWS:
        picks = picks[: MAX_ROWS // 2] + [-1] + list(range(n - MAX_ROWS // 2, n))
    elif n > MAX_ROWS:
        picks = list(range(n))
    head = "".join(tag("th", esc(h), style=CELL) for h in ["Level", "Mode", "Lower", "Upper"])
    rows = []
    for i in picks:
        if i < 0:
            rows.append(tag("tr", tag("td", "…", colspan="4", style=CELL_LEFT)))
            continue
        strong = bool(data.excludes_zero[i])
        style = CELL + (";color:#d62728;font-weight:600" if strong else "")
        rows.append(tag("tr", tag("td", esc(data.labels[i]), style=CELL_LEFT)
                        + "".join(tag("td", fmt(v), style=style)
                                  for v in (data.condval[i], data.lower[i], data.upper[i]))))
    caption = (f"Conditional modes of {esc(data.term)} for {esc(data.group)} "
               f"({int(round(100 * data.level))}% intervals; red: interval excludes 0)")
    return tag("div", tag("b", caption) + tag("table", tag("tr", head) + "".join(rows),
                                              style="border-collapse:collapse"))


def model_summary_html(model) -> str:
    """The results object's own HTML summary, or its escaped text summary."""
    html = getattr(model, "_repr_html_", None)
    if callable(html):
        return html()
    return tag("pre", esc(model.summary()))


def dashboard_html(model, caterpillar: CaterpillarData | None) -> str:
    """Summary, variance components and the first caterpillar as one static page fragment."""
    parts = [model_summary_html(model), varcomp_html(model)]
    if caterpillar is not None and np.size(caterpillar.labels):
        parts.append(caterpillar_table_html(caterpillar))
    return tag("div", "".join(parts), class_="mw-static")
