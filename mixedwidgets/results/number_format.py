"""Numbers formatted as R prints them: `format(x, digits)` and the columns of `printCoefmat`.

R formats a column together: each value needs enough decimals to show `digits` significant digits
(trailing zeros of that rounding dropped), and the column takes the largest need, so 612.1 and 35.07
print as "612.10" and "35.07". Fixed notation is used unless scientific notation is narrower.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

MACHINE_EPS = float(np.finfo(float).eps)


def _significant(x: float, digits: int) -> tuple[int, int]:
    """(number of significant digits needed, power of ten) of |x| rounded to `digits` digits."""
    mantissa, exponent = f"{abs(x):.{digits - 1}e}".split("e")
    return max(1, len(mantissa.replace(".", "").rstrip("0"))), int(exponent)


def format_r(values: Iterable[float], digits: int = 4, width: bool = False) -> list[str]:
    """R's `format(values, digits = digits)` (NaN shown as "NA"); padded to one width when `width`."""
    numbers = [float(v) for v in values]
    finite = [x for x in numbers if math.isfinite(x)]
    nonzero = [(*_significant(x, digits), x < 0) for x in finite if x != 0]
    if not nonzero:
        texts = [_special(x) if not math.isfinite(x) else "0" for x in numbers]
        return _pad(texts) if width else texts
    decimals = max(max(0, nsig - power - 1) for nsig, power, _ in nonzero)
    left = max(neg + max(1, power + 1) for _, power, neg in nonzero)
    fixed_width = left + (decimals + 1 if decimals else 0)
    mantissa = max(nsig for nsig, _, _ in nonzero)
    big_exponent = any(power >= 100 or power <= -99 for _, power, _ in nonzero)
    negative = any(x < 0 for x in finite)
    sci_width = negative + (mantissa > 1) + (mantissa - 1) + 4 + 1 + big_exponent
    if fixed_width <= sci_width:
        texts = [f"{x:.{decimals}f}" if math.isfinite(x) else _special(x) for x in numbers]
    else:
        texts = [f"{x:.{mantissa - 1}e}" if math.isfinite(x) else _special(x) for x in numbers]
    return _pad(texts) if width else texts


def format_one(value: float, digits: int = 4) -> str:
    """One number as R's `format(value, digits = digits)`."""
    return format_r([value], digits)[0]


def _special(x: float) -> str:
    if math.isnan(x):
        return "NA"
    return "Inf" if x > 0 else "-Inf"


def _pad(texts: list[str]) -> list[str]:
    size = max((len(t) for t in texts), default=0)
    return [t.rjust(size) for t in texts]


def format_estimates(
    estimates: Iterable[float], std_errors: Iterable[float], digits: int = 4
) -> tuple[list[str], list[str]]:
    """Estimate and standard-error columns as printCoefmat formats them (rounded together, then format)."""
    est, se = np.asarray(list(estimates), float), np.asarray(list(std_errors), float)
    both = np.abs(np.concatenate([est, se]))
    both = both[np.isfinite(both) & (both != 0)]
    decimals = max(1, digits - (1 + math.floor(math.log10(both.min())))) if both.size else digits
    texts = format_r(np.concatenate([np.round(est, decimals), np.round(se, decimals)]), digits)
    return texts[: est.size], texts[est.size :]


def format_statistic(values: Iterable[float], digits: int = 4) -> list[str]:
    """t or z values as printCoefmat formats them (rounded to digits − 1 decimals, then format)."""
    decimals = max(1, min(5, digits - 1))
    return format_r(np.round(np.asarray(list(values), float), decimals), digits)


def format_p_values(values: Iterable[float], digits: int = 4) -> list[str]:
    """p-values as printCoefmat shows them: R's format.pval with digits − 1 digits. Values from 1e-4 up
    (1e-3 up when one digit is asked for) are formatted together, smaller ones together, and those below
    machine epsilon as "< 2e-16" (the space dropped when everything is short, as R does)."""
    shown = max(1, min(5, digits - 1))
    numbers = [float(v) for v in values]
    tiny = [x < MACHINE_EPS for x in numbers]
    exponents = [math.floor(math.log10(x)) if x > 0 else -50 for x in numbers]
    fixed = [e >= -3 or (e == -4 and shown > 1) for e in exponents]
    out = [""] * len(numbers)
    for group in (True, False):
        picks = [i for i in range(len(numbers)) if not tiny[i] and fixed[i] == group]
        for i, text in zip(picks, format_r([numbers[i] for i in picks], shown)):
            out[i] = text
    if any(tiny):
        out = _tiny_p_values(out, tiny, shown)
    return out


def _tiny_p_values(out: list[str], tiny: list[bool], shown: int) -> list[str]:
    eps_digits = max(1, shown - 2)
    others = [t for t, small in zip(out, tiny) if not small]
    if others:
        width = max(len(t) for t in others)
        if eps_digits > 1 and eps_digits + 6 > width:
            eps_digits = max(1, width - 7)
        sep = "" if eps_digits == 1 and width <= 6 else " "
    else:
        sep = "" if eps_digits == 1 else " "
    text = "<" + sep + format_one(MACHINE_EPS, eps_digits)
    return [text if small else t for t, small in zip(out, tiny)]


def format_coef_columns(columns: dict[str, Iterable[float]], digits: int = 4) -> dict[str, list[str]]:
    """A coefficient table's columns (named as R names them) formatted as printCoefmat formats them:
    "Estimate" with "Std. Error", "t value"/"z value" as statistics, "Pr(>|t|)"/"Pr(>|z|)" as p-values,
    any other column (df, bounds) by R's `format(x, digits)`."""
    out = {name: format_r(values, digits) for name, values in columns.items()}
    if "Estimate" in columns and "Std. Error" in columns:
        out["Estimate"], out["Std. Error"] = format_estimates(columns["Estimate"], columns["Std. Error"], digits)
    for name, values in columns.items():
        if name.endswith(" value"):
            out[name] = format_statistic(values, digits)
        elif name.startswith("Pr("):
            out[name] = format_p_values(values, digits)
    return out
