"""Data and hypothesis strategies shared by the robustness tests (fuzzing and numerics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

# --- a fixed small data set every generated formula is fitted to ---------------------------------------


def formula_frame(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """40 rows: g (5 levels) crossed with h (4), a factor f, 0/1 b, counts c in 0..5, odd names."""
    rng = np.random.default_rng(seed)
    g = np.arange(n) % 5
    h = (np.arange(n) // 5) % 4
    x = rng.normal(size=n)
    eta = 0.5 * x + rng.normal(size=5)[g]
    return pd.DataFrame(
        {
            "y": eta + rng.normal(size=n),
            "x": x,
            "z": rng.normal(size=n),
            "g": [f"g{k}" for k in g],
            "h": h,
            "f": pd.Categorical(rng.choice(list("abc"), n)),
            "b": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int),
            "c": rng.poisson(np.exp(eta / 2)).clip(0, 5),
            "w": rng.uniform(0.5, 2, n),
            "my col": rng.normal(size=n),
        }
    )


# --- formulas: well-formed ones, and ones with random edits --------------------------------------------

PREDICTORS = [
    "x",
    "z",
    "f",
    "`my col`",
    "log(w)",
    "I(x**2)",
    "C(f)",
    "x:z",
    "x*z",
    "0",
    "1",
    "-1",
    "np.exp(x)",
    "within(x, g)",
    "between(x, g)",
    "offset(z)",
    "b",
    "c",
    "g",
    "poly(x, 2)",
    "center(x)",
    "scale(z)",
    "log(x)",
    "x + x",
    "(x + z)",
    "f:x",
    "I(x > 0)",
    "h",
    "missing",
]
RANDOM_EXPRESSIONS = ["1", "x", "1 + x", "0 + x", "x + z", "f", "0 + f", "`my col`", "z", "1 + b"]
GROUPS = ["g", "h", "g:h", "g/h", "f", "h/g", "g:f", "b"]
RESPONSES = {
    "gaussian": ["y", "log(w)", "`my col`", "I(y*2)"],
    "binomial": ["b", "cbind(c, 5 - c)", "cbind(b, 1 - b)"],
    "poisson": ["c", "b"],
}
ANY_RESPONSE = sorted({r for rs in RESPONSES.values() for r in rs} | {"f", "x", "missing", "bb"})
EDITS = list("()|~+-*:/`,. 1xg") + ["||", "(1|g)", "\n", "é", "'", '"', "[", "]", "{", "}", "\\", "#", "%"]


@st.composite
def random_term(draw) -> str:
    expression = draw(st.sampled_from(RANDOM_EXPRESSIONS + ["missing", ""]))
    bar = draw(st.sampled_from(["|", "|", "||"]))
    return f"({expression} {bar} {draw(st.sampled_from(GROUPS + ['x', 'y', 'missing']))})"


@st.composite
def edited(draw, text: str) -> str:
    """``text`` with one or two characters inserted, deleted or replaced."""
    for _ in range(draw(st.integers(1, 2))):
        position = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(EDITS))
        tail = text[position:] if kind == "insert" else text[position + 1 :]
        text = text[:position] + ("" if kind == "delete" else piece) + tail
    return text


@st.composite
def formula_text(draw) -> str:
    """Formula-like text: lme4 syntax with wrong names, subtractions and random edits."""
    fixed = draw(st.lists(st.sampled_from(PREDICTORS), max_size=3))
    random = draw(st.lists(random_term(), min_size=draw(st.sampled_from([0, 1, 1, 1])), max_size=2))
    ops = [draw(st.sampled_from([" + "] * 8 + [" - "])) for _ in fixed + random]
    terms = fixed + random
    rhs = "".join((op if i else "") + term for i, (op, term) in enumerate(zip(ops, terms))) or "1"
    text = f"{draw(st.sampled_from(ANY_RESPONSE))} ~ {rhs}"
    return draw(edited(text)) if draw(st.integers(0, 3)) == 0 else text


@st.composite
def model_spec(draw) -> tuple[str, str, int]:
    """A well-formed (formula, family, nagq) on formula_frame(): a response of the right kind."""
    family = draw(st.sampled_from(["gaussian", "gaussian", "binomial", "poisson"]))
    fixed = draw(st.lists(st.sampled_from(PREDICTORS[:-1]), max_size=3))
    random = [
        f"({draw(st.sampled_from(RANDOM_EXPRESSIONS))} {draw(st.sampled_from(['|', '|', '||']))} "
        f"{draw(st.sampled_from(GROUPS))})"
        for _ in range(draw(st.integers(1, 2)))
    ]
    nagq = draw(st.sampled_from([1, 1, 1, 5])) if family != "gaussian" else 1
    return f"{draw(st.sampled_from(RESPONSES[family]))} ~ {' + '.join(fixed + random)}", family, nagq


# --- random data frames ----------------------------------------------------------------------------------

SPECIAL = [0.0, 1.0, -1.0, 1e8, 1e-8, -1e8, 1e300, 5e-324, np.nan, np.inf, -np.inf, 0.5, 2.0, 3.0]
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from(SPECIAL), st.integers(-3, 10).map(float)
)
LABELS = st.one_of(
    st.sampled_from(["a", "b", "c", "d", "<img>", "a b", ""]), st.none(), st.integers(0, 3), st.just(np.nan)
)
RESPONSE_KINDS = {
    "float": FLOATS,
    "int01": st.integers(0, 1),
    "count": st.integers(0, 8),
    "str": st.sampled_from(["a", "b", "<b>"]),
    "bool": st.booleans(),
}


@st.composite
def random_frame(draw) -> pd.DataFrame:
    """0 to 30 rows of y, x, g, h with NaN, infinities, extreme scales, odd and missing labels."""
    n = draw(st.integers(0, 30))
    kind = draw(st.sampled_from([*RESPONSE_KINDS, "constant"]))
    if kind == "constant":
        y = [draw(FLOATS)] * n
    else:
        y = draw(st.lists(RESPONSE_KINDS[kind], min_size=n, max_size=n))
    x = np.asarray(draw(st.lists(FLOATS, min_size=n, max_size=n)), dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        x = x * draw(st.sampled_from([1.0, 1e8, 1e-8, 1e150, 1e-150]))
    return pd.DataFrame(
        {
            "y": pd.Series(y, dtype=object) if kind == "str" else y,
            "x": x,
            "g": pd.Series(draw(st.lists(LABELS, min_size=n, max_size=n)), dtype=object),
            "h": draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)),
        }
    )
