#!/usr/bin/env python3
"""Random R expressions: our column names and values against R's model.matrix (needs R).

Draws random expressions (columns, numbers, + - * / ^ %% %/%, comparisons, & | !, unary minus,
math functions), writes each as ``I(expr)`` in a formula, and compares the column name and the
values with R's ``model.matrix`` on the same small data. Prints the mismatches; exit status 1 if any.

    python tools/check_formula_names_random.py [--count N] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula

R_SCRIPT = """
d <- read.csv(commandArgs(TRUE)[1]); ex <- readLines(commandArgs(TRUE)[2])
out <- lapply(ex, function(e) tryCatch({
  mm <- model.matrix(as.formula(paste("~", e)), d)
  list(name = colnames(mm)[-1], values = unname(mm[, -1, drop = FALSE][, ncol(mm) - 1]))
}, error = function(err) list(error = conditionMessage(err))))
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA))
"""


def random_expression(rng: np.random.Generator, depth: int = 0) -> str:
    if depth > 2 or rng.random() < 0.3:
        return str(rng.choice(["x", "z", "k", "2", "0.5", "10", "3L", "1e-3", "1e5"]))
    kind = rng.integers(0, 5)
    a, b = random_expression(rng, depth + 1), random_expression(rng, depth + 1)
    if kind == 0:
        return f"{a} {rng.choice(['+', '-', '*', '/'])} {b}"
    if kind == 1:
        return f"({a})^{rng.choice(['2', '3', '-1', '0.5'])}"
    if kind == 2:
        return f"-{a}" if rng.random() < 0.5 else f"({a}) {rng.choice(['%%', '%/%'])} {rng.choice(['2', '3'])}"
    if kind == 3:
        return f"{rng.choice(['log', 'exp', 'sqrt', 'abs', 'floor', 'sign'])}(abs({a}) + 1)"
    return f"({a}) * 0 + {b}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(np.random.SeedSequence().entropy % 2**31))
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    data = pd.DataFrame(
        {
            "x": rng.uniform(0.5, 3, 30).round(3),
            "z": rng.normal(0, 2, 30).round(3),
            "k": rng.integers(0, 6, 30),
            "y": rng.normal(size=30),
            "g": np.repeat(list("abcde"), 6),
        }
    )
    expressions = sorted({f"I({random_expression(rng)})" for _ in range(args.count)})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data.to_csv(folder / "d.csv", index=False)
        (folder / "e.txt").write_text("\n".join(expressions) + "\n")
        (folder / "s.R").write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(folder / "s.R"), str(folder / "d.csv"), str(folder / "e.txt")],
            capture_output=True,
            text=True,
            check=True,
        )
    answers = json.loads(done.stdout)
    bad = refused = 0
    for expression, answer in zip(expressions, answers, strict=True):
        r_values = np.asarray(answer.get("values", []), dtype=float)
        if "error" in answer or r_values.size == 0 or not np.isfinite(r_values).all() or np.ptp(r_values) == 0:
            continue  # R cannot evaluate it, infinite values (lmer fails too), or a constant (lmer drops it)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                design = build_design(parse_formula(f"y ~ {expression} + (1 | g)"), data)
            name, values = design.fixed_names[-1], design.X[:, -1]
        except Exception as exc:  # noqa: BLE001 (report every kind of failure)
            name, values = f"ERROR {exc}".splitlines()[0], None
        r_name = answer["name"][-1] if isinstance(answer["name"], list) else answer["name"]
        same_values = values is not None and np.allclose(values, r_values, rtol=1e-10, atol=1e-12)
        if name == "(Intercept)":
            continue  # e.g. 1e10 + x: dropped as collinear with the intercept by the design's rank check
        if "add parentheses" in name:
            refused += 1  # a * b %% c: R and Python disagree on the order, so we ask for parentheses
        elif name != r_name or not same_values:
            bad += 1
            print(f"{expression}\n    ours {name!r}  R {r_name!r}  values equal: {same_values}")
    print(f"seed {args.seed}: {len(expressions)} expressions, {bad} mismatches, {refused} refused as ambiguous")
    return int(bad > 0)


if __name__ == "__main__":
    sys.exit(main())
