"""Text summary in the spirit of lme4's print(summary(fit))."""

from __future__ import annotations

import math

from . import tables
from .number_format import format_coef_columns, format_r


def _aligned(columns: dict[str, list[str]], left: set[str]) -> list[str]:
    """Columns of text, left-aligned where named in `left`, right-aligned otherwise."""
    widths = {k: max([len(k)] + [len(v) for v in vals]) for k, vals in columns.items()}
    fmt = lambda k, v: v.ljust(widths[k]) if k in left else v.rjust(widths[k])
    n = len(next(iter(columns.values())))
    lines = [" ".join(fmt(k, k) for k in columns)]
    lines += [" ".join(fmt(k, vals[i]) for k, vals in columns.items()) for i in range(n)]
    return [" " + line.rstrip() for line in lines]


def _correlation_text(value) -> str:
    """A correlation, or blanks where none exists or it is undefined (never 'nan')."""
    return " " * 5 if value is None or math.isnan(value) else f"{value:5.2f}"


def _random_effects_lines(model) -> list[str]:
    table = tables.random_effects_table(model)
    if table.empty:
        return []
    columns = {
        "Groups": list(table.Groups),
        "Name": list(table.Name),
        "Variance": format_r(table.Variance, 4),
        "Std.Dev.": format_r(table["Std.Dev."], 4),
    }
    corr = [" ".join(_correlation_text(c) for c in row).rstrip() for row in table.Corr]
    if any(corr):
        columns["Corr"] = corr
    return _aligned(columns, left={"Groups", "Name", "Corr"})


def _fixed_effects_lines(model, ddf: str | None) -> list[str]:
    table = model.coef_table(ddf=ddf)
    cols = ["estimate", "std_error"] + (["df"] if "df" in table else [])
    cols.append(model.statistic_name.replace(" ", "_"))
    if "p_value" in table:
        cols.append("p_value")
    p_name = "Pr(>|t|)" if "df" in table else "Pr(>|z|)"
    shown = table[cols].rename(
        columns={
            "estimate": "Estimate",
            "std_error": "Std. Error",
            "t_value": "t value",
            "z_value": "z value",
            "p_value": p_name,
        }
    )
    texts = format_coef_columns({name: shown[name].to_numpy(float) for name in shown.columns})
    return _aligned({"": [str(i) for i in shown.index], **texts}, left={""})


def summary_text(model, ddf: str | None = None) -> str:
    lines = [tables.title(model, ddf), f"Formula: {model.formula}"]
    name = getattr(model, "data_name", None)
    data_line = f"   Data: {name} ({model.nobs} observations)" if name else f"   Data: {model.nobs} observations"
    if model.n_dropped:
        data_line += f" ({model.n_dropped} rows with missing values dropped)"
    lines += [data_line, ""]
    stats = tables.fit_statistics(model)
    lines += ["  ".join(f"{k:>14}" for k in stats.index), "  ".join(f"{v:>14.2f}" for v in stats.values), ""]
    q = tables.scaled_residual_quantiles(model)
    lines += ["Scaled residuals:", "  ".join(f"{k:>8}" for k in q.index), "  ".join(f"{v:>8.4f}" for v in q.values), ""]
    lines += ["Random effects:"] + _random_effects_lines(model)
    groups = ", ".join(f"{g}, {n}" for g, n in model.ngroups.items())
    lines += [f"Number of obs: {model.nobs}, groups: {groups}"]
    if getattr(model, "dispersion", None) is not None:
        lines += [
            f"Dispersion parameter for the {model.family.replace('_', ' ')} family "
            f"({model.dispersion_name}): {model.dispersion:.4g}"
        ]
    lines += ["", "Fixed effects:"]
    lines += _fixed_effects_lines(model, ddf)
    notes = tables.notes(model)
    if notes:
        lines += [""] + [f"Note: {n}" for n in notes]
    return "\n".join(lines)
