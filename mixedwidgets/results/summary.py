"""Text summary in the spirit of lme4's print(summary(fit))."""

from __future__ import annotations

from . import tables


def _aligned(columns: dict[str, list[str]], left: set[str]) -> list[str]:
    """Columns of text, left-aligned where named in `left`, right-aligned otherwise."""
    widths = {k: max([len(k)] + [len(v) for v in vals]) for k, vals in columns.items()}
    fmt = lambda k, v: v.ljust(widths[k]) if k in left else v.rjust(widths[k])
    n = len(next(iter(columns.values())))
    lines = [" ".join(fmt(k, k) for k in columns)]
    lines += [" ".join(fmt(k, vals[i]) for k, vals in columns.items()) for i in range(n)]
    return [" " + line.rstrip() for line in lines]


def _random_effects_lines(model) -> list[str]:
    table = tables.random_effects_table(model)
    if table.empty:
        return []
    columns = {"Groups": list(table.Groups), "Name": list(table.Name),
               "Variance": [f"{v:.4g}" for v in table.Variance],
               "Std.Dev.": [f"{v:.4g}" for v in table["Std.Dev."]]}
    corr = [" ".join(f"{c:5.2f}" for c in row) for row in table.Corr]
    if any(corr):
        columns["Corr"] = corr
    return _aligned(columns, left={"Groups", "Name", "Corr"})


def _fixed_effects_lines(model) -> list[str]:
    table = model.coef_table()
    cols = ["estimate", "std_error", model.statistic_name.replace(" ", "_")]
    if "p_value" in table:
        cols.append("p_value")
    shown = table[cols].rename(columns={"estimate": "Estimate", "std_error": "Std. Error",
                                         "t_value": "t value", "z_value": "z value", "p_value": "Pr(>|z|)"})
    return shown.to_string(float_format=lambda v: f"{v:.4g}").splitlines()


def summary_text(model) -> str:
    lines = [tables.title(model), f"Formula: {model.formula}"]
    data_line = f"   Data: {model.nobs} observations"
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
        lines += [f"Dispersion parameter for the {model.family.replace('_', ' ')} family "
                  f"({model.dispersion_name}): {model.dispersion:.4g}"]
    lines += ["", "Fixed effects:"]
    lines += _fixed_effects_lines(model)
    notes = tables.notes(model)
    if notes:
        lines += [""] + [f"Note: {n}" for n in notes]
    return "\n".join(lines)
