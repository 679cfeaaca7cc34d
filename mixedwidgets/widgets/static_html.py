"""Static HTML of the views, shown where no live kernel renders widgets (nbconvert, GitHub, a saved page).

Everything from the model or the data is escaped; pictures are inline SVG from `pictures.py`.
"""

from __future__ import annotations

from html import escape

import numpy as np

from ..results.html import R_NAMES
from ..results.number_format import format_coef_columns, format_r
from .html_util import esc, tag
from .ranef_data import CaterpillarData
from .varcomp_html import CELL, CELL_LEFT

MAX_ROWS = 10
FONT = "font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;line-height:1.4"


def caterpillar_table_html(data: CaterpillarData) -> str:
    """The first and last groups of the caterpillar (in its order) as a small table."""
    n = len(data.labels)
    picks = list(range(n))
    if n > 2 * MAX_ROWS:
        picks = list(range(MAX_ROWS // 2)) + [-1] + list(range(n - MAX_ROWS // 2, n))
    head = "".join(tag("th", esc(h), style=CELL) for h in [data.group, "Conditional mode", "Lower", "Upper"])
    columns = [format_r(v, 4) for v in (data.condval, data.lower, data.upper)]
    rows = []
    for i in picks:
        if i < 0:
            rows.append(tag("tr", tag("td", "…", colspan="4", style=CELL_LEFT)))
            continue
        rows.append(
            tag(
                "tr",
                tag("td", esc(data.labels[i]), style=CELL_LEFT)
                + "".join(tag("td", esc(col[i]), style=CELL) for col in columns),
            )
        )
    caption = (
        f"Conditional modes of {esc(data.term)} for {esc(data.group)} ({round(100 * data.level)}% prediction intervals)"
    )
    return tag(
        "div",
        tag("b", caption) + tag("table", tag("tr", head) + "".join(rows), style="border-collapse:collapse"),
        style=FONT,
    )


def fixed_effects_html(model, ddf: str | None = None) -> str:
    """The coefficient table (t tests with the `ddf` method for LMMs), formatted as R's printCoefmat does."""
    table = model.coef_table(ddf=ddf)
    p_name = "Pr(>|t|)" if "t_value" in table.columns else "Pr(>|z|)"
    names = [p_name if c == "p_value" else R_NAMES.get(str(c), str(c)) for c in table.columns]
    texts = format_coef_columns({n: table[c].to_numpy(float) for n, c in zip(names, table.columns)})
    head = tag("th", "", style=CELL_LEFT) + "".join(tag("th", esc(n), style=CELL) for n in names)
    body = "".join(
        tag(
            "tr",
            tag("td", esc(name), style=CELL_LEFT) + "".join(tag("td", esc(texts[n][i]), style=CELL) for n in names),
        )
        for i, name in enumerate(table.index)
    )
    return tag(
        "div",
        tag("div", tag("b", "Fixed effects"), style="margin-bottom:2px")
        + tag(
            "table",
            tag("thead", tag("tr", head)) + tag("tbody", body),
            class_="mw-fixef-table",
            style="border-collapse:collapse;margin:4px 0",
        ),
        class_="mw-fixef",
        style=FONT + ";max-width:100%;overflow-x:auto",
    )


def header_html(model, title: str) -> str:
    """Title, formula, data and fit statistics on two lines."""
    from ..results import tables

    stats = tables.fit_statistics(model)
    figures = "; ".join(f"{esc(k)} {esc(v)}" for k, v in zip(stats.index, format_r(stats.to_numpy(float), 6)))
    groups = ", ".join(f"{esc(g)}: {n}" for g, n in model.ngroups.items())
    name = getattr(model, "data_name", None)
    data = (f"data {tag('code', esc(name))}, " if name else "") + f"{model.nobs} observations; {groups} groups"
    return tag(
        "div",
        tag(
            "div",
            esc(title) + ": " + tag("code", esc(model.formula)),
            style="font-size:14px;font-weight:600;overflow-wrap:anywhere",
        )
        + tag("div", data + "; " + figures, style="color:#555;overflow-wrap:anywhere"),
        class_="mw-header",
        style=FONT,
    )


def section_html(title: str, body: str) -> str:
    return tag(
        "div",
        tag("div", esc(title), style="font-size:13px;font-weight:600;margin:12px 0 4px") + body,
        class_="mw-section",
    )


def page_html(title: str, body: str) -> str:
    """A whole self-contained HTML page (no script, no external file)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        f'<body style="margin:16px;max-width:1000px;{FONT}">{body}</body></html>\n'
    )


def model_summary_html(model) -> str:
    """The results object's own HTML summary, or its escaped text summary."""
    html = getattr(model, "_repr_html_", None)
    if callable(html):
        return html()
    return tag("pre", esc(model.summary()))


def has_rows(data: CaterpillarData | None) -> bool:
    return data is not None and bool(np.size(data.labels))
