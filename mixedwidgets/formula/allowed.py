"""The whitelist: which functions and attributes a formula expression may use.

A formula is data, not code. An expression inside a formula may read data columns and call
the functions named here; nothing else (see docs/formulas.md). The evaluation context of the
design layer is built from these same names, so what is checked is what runs.
"""

from __future__ import annotations

import numpy as np

# numpy's element-wise math, callable as np.NAME or numpy.NAME (ufuncs: positional inputs only)
NUMPY_UFUNCS = (
    "abs", "absolute", "fabs", "sign", "negative", "reciprocal", "square", "sqrt", "cbrt",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "power", "float_power",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg",
    "floor", "ceil", "trunc", "rint", "minimum", "maximum", "fmin", "fmax",
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "fmod",
    "isnan", "isfinite", "isinf", "logical_and", "logical_or", "logical_not", "logical_xor",
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
)  # fmt: skip
# other numpy functions, with the most positional arguments each may take (no out=)
NUMPY_FUNCTIONS = {"round": 2, "around": 2, "clip": 3, "where": 3}
NUMPY_CONSTANTS = ("pi", "e", "inf", "nan")
NUMPY_MODULES = ("np", "numpy")

# formulaic's transforms and contrasts (stateful ones remember their parameters for new data)
FORMULAIC_FUNCTIONS = (
    "I", "Q", "C", "poly", "scale", "center", "standardize", "bs", "cr", "cs", "cc", "lag",
    "Treatment", "Sum", "Helmert", "Poly", "Diff",
)  # fmt: skip
CONTRASTS = ("treatment", "sum", "helmert", "poly", "diff", "custom")

# R idioms and short math names (implemented in design/rfunctions.py)
R_FUNCTIONS = (
    "factor", "as_factor", "as_numeric", "as_double", "as_integer", "as_logical", "relevel",
    "log", "log2", "log10", "log1p", "exp", "expm1", "sqrt", "abs", "sign",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "floor", "ceiling", "ceil", "trunc", "round", "pmin", "pmax", "ifelse",
)  # fmt: skip
HYBRID_FUNCTIONS = ("within", "between")
# helpers the translation inserts for R's logical operators (!, &, |)
LOGICAL_HELPERS = {"r_not": "!", "r_and": "&", "r_or": "|", "r_paren": "()"}

FUNCTIONS = frozenset(FORMULAIC_FUNCTIONS + R_FUNCTIONS + HYBRID_FUNCTIONS + tuple(LOGICAL_HELPERS))

# R functions often found in lme4 scripts that cannot be supported, with what to write instead
UNSUPPORTED_R_FUNCTIONS = {
    "c": "R's c(...) vector: write a Python list, like ['a', 'b']",
    "is.na": "is.na(x): write np.isnan(x)",
    "cut": "cut(x, ...): make the column with pandas first, data.assign(x_cut=pd.cut(data['x'], ...))",
    "interaction": "interaction(a, b): write a:b",
    "paste": "paste(...): make the column with pandas first (data.assign(...))",
    "ns": "ns(x, df): use formulaic's natural spline cr(x, df=...) (its knots differ from R's ns)",
    "mean": "mean(x): write center(x) for x minus its mean",
    "sd": "sd(x): write scale(x) for x divided by its standard deviation",
    "exp10": "exp10(x): write 10 ** x",
    "offset": "offset(...) must stand on its own as a term: + offset(log(exposure))",
}


def numpy_call_limit(name: str) -> int | None:
    """Most positional arguments np.NAME may take, or None if it is not allowed."""
    if name in NUMPY_UFUNCS:
        return int(getattr(np, name).nin)
    return NUMPY_FUNCTIONS.get(name)
