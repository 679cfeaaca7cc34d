"""HTML rendering of a fitted model for notebooks; every string that may come from data is escaped."""

from __future__ import annotations

from html import escape

import numpy as np

from . import tables
from .number_format import format_coef_columns, format_r

R_NAMES = {
    "estimate": "Estimate",
    "std_error": "Std. Error",
    "t_value": "t value",
    "z_value": "z value",
    "p_value": "Pr(>|z|)",
    "conf_low": "lower",
    "conf_high": "upper",
}

_STYLE = (
    "<style>.mw-summary table{border-collapse:collapse;margin:4px 0 10px}"
    ".mw-summary th,.mw-summary td{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}"
    ".mw-summary th:first-child,.mw-summary td:first-child{text-align:left}"
    ".mw-note{color:#8a5300}</style>"
)


def _cell(value, tag: str = "td") -> str:
    if isinstance(value, (float, np.floating)):
        text = "" if np.isnan(value) else f"{value:.4g}"
    else:
        text = "" if value is None else str(value)
    return f"<{tag}>{escape(text)}</{tag}>"


def _table(header, rows) -> str:
    head = "".join(_cell(h, "th") for h in header)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _correlation(value) -> str | None:
    """A correlation with two decimals; nothing where none exists or it is undefined (never 'nan')."""
    return None if value is None or value != value else f"{value:.2f}"


def random_effects_html(model) -> str:
    table = tables.random_effects_table(model)
    width = max([len(c) for c in table.Corr] + [0])
    header = ["Groups", "Name", "Variance", "Std.Dev."] + (["Corr"] + [""] * (width - 1) if width else [])
    variances, sds = format_r(table.Variance, 4), format_r(table["Std.Dev."], 4)
    rows = [
        [r.Groups, r.Name, variances[i], sds[i]] + [_correlation(c) for c in r.Corr] + [None] * (width - len(r.Corr))
        for i, (_, r) in enumerate(table.iterrows())
    ]
    return _table(header, rows)


def fixed_effects_html(model, ddf: str | None = None) -> str:
    table = model.coef_table(ddf=ddf)
    p_name = "Pr(>|t|)" if "t_value" in table.columns else "Pr(>|z|)"
    names = [p_name if c == "p_value" else R_NAMES.get(str(c), str(c)) for c in table.columns]
    texts = format_coef_columns({n: table[c].to_numpy(float) for n, c in zip(names, table.columns)})
    rows = [[name] + [texts[n][i] for n in names] for i, name in enumerate(table.index)]
    return _table([""] + names, rows)


def summary_html(model, ddf: str | None = None) -> str:
    stats = tables.fit_statistics(model)
    groups = ", ".join(f"{g}: {n}" for g, n in model.ngroups.items())
    parts = [
        _STYLE,
        '<div class="mw-summary">',
        f"<b>{escape(tables.title(model, ddf))}</b><br>",
        f"<code>{escape(model.formula)}</code><br>",
        (f"data: {escape(str(model.data_name))}; " if getattr(model, "data_name", None) else "")
        + f"{model.nobs} observations; groups: {escape(groups)}"
        + (f"; {model.n_dropped} rows with missing values dropped" if model.n_dropped else "")
        + "<br>",
        _table(list(stats.index), [list(stats.values)]),
        "<b>Random effects</b>",
        random_effects_html(model),
    ]
    if getattr(model, "dispersion", None) is not None:
        parts.append(f"Dispersion parameter ({escape(model.dispersion_name)}): {model.dispersion:.4g}<br>")
    parts += [
        "<b>Fixed effects</b>",
        fixed_effects_html(model, ddf),
    ]
    parts += [f'<div class="mw-note">Note: {escape(n)}</div>' for n in tables.notes(model)]
    parts.append("</div>")
    return "".join(parts)
