"""The command line: ``python -m mixedwidgets fit DATA FORMULA [options]``.

Reads a CSV or Parquet file, fits the model with mw.fit and prints its summary, or with --json one
JSON object (formula, family, nobs, fit statistics, fixed effects with SEs, variance components as
varcorr, convergence notes). Numbers in the JSON are the API's own floats (Python's shortest
round-trip repr); a missing value (NaN) is null. A user mistake prints one line to stderr and exits
with status 2; warnings go to stderr, one line each; stdout holds the result only.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .backend.family import FAMILY_NAMES as FAMILIES
from .errors import MixedModelError
from .fitting import fit

USAGE_ERROR = 2
LINKS = ("identity", "logit", "probit", "cloglog", "log", "inverse")
DDF_METHODS = ("satterthwaite", "kenward-roger", "asymptotic")
CSV_SUFFIXES = (".csv", ".txt", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


class UsageError(Exception):
    """A mistake on the command line (bad option, unreadable file): one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage and exits; we want one line and status 2
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mixedwidgets", description="Fit lme4-style mixed models from the shell.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = commands.add_parser("fit", help="fit one model and print its summary (or JSON)")
    p.add_argument("data", help="a .csv or .parquet file")
    p.add_argument("formula", help="lme4 formula, e.g. 'Reaction ~ Days + (Days | Subject)'")
    p.add_argument("--family", default="gaussian", type=str.lower, choices=FAMILIES)
    p.add_argument("--link", type=str.lower, choices=LINKS, help="default: the family's usual link")
    p.add_argument("--ml", action="store_true", help="maximum likelihood instead of REML (Gaussian models)")
    p.add_argument("--nagq", type=int, default=1, help="adaptive Gauss-Hermite nodes (GLMMs; default 1: Laplace)")
    p.add_argument("--weights", metavar="COL", help="a column of prior weights")
    p.add_argument(
        "--ddf",
        type=str.lower,
        choices=DDF_METHODS,
        help="denominator df of the fixed effects' tests (Gaussian models; GLMMs: asymptotic only)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    return parser


def read_table(path: str) -> pd.DataFrame:
    """A DataFrame from a CSV or Parquet file; UsageError naming the problem otherwise."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"no such file: {path}")
    name = file.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        try:
            import pyarrow  # noqa: F401  (pandas reads Parquet through it)
        except ImportError:
            raise UsageError("reading Parquet needs pyarrow: pip install pyarrow (or give a CSV file)") from None
        return pd.read_parquet(file)
    if name.endswith(CSV_SUFFIXES):
        try:
            return pd.read_csv(file)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise UsageError(f"could not read {path} as CSV: {_one_line(exc)}") from None
    raise UsageError(f"{path}: give a .csv or .parquet file")


def fit_from_arguments(args: argparse.Namespace, data: pd.DataFrame):
    if args.nagq < 1:
        raise UsageError(f"--nagq must be a whole number ≥ 1, not {args.nagq}")
    if args.weights is not None and args.weights not in data.columns:
        raise UsageError(f"--weights: {args.weights!r} is not a column of the data")
    if args.ddf not in (None, "asymptotic") and args.family != "gaussian":
        raise UsageError(
            f"--ddf {args.ddf} applies to Gaussian (linear) mixed models only; GLMMs use z tests (--ddf asymptotic)"
        )
    weights = None if args.weights is None else data[args.weights]
    return fit(
        args.formula, data, reml=not args.ml, family=args.family, nagq=args.nagq, weights=weights, link=args.link
    )


def coefficient_table(model, ddf: str | None) -> pd.DataFrame:
    """coef_table(ddf=...) where the installed version has it; the plain table otherwise."""
    if ddf is not None and "ddf" in inspect.signature(model.coef_table).parameters:
        return model.coef_table(ddf=ddf)
    return model.coef_table()


def _number(value):
    """A JSON-ready value: the same float (None for NaN/inf); ints, bools, strings and None unchanged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of JSON-ready values (missing labels such as var2 become None)."""
    return [{key: _number(value) for key, value in row.items()} for row in frame.to_dict(orient="records")]


def model_json(model, ddf: str | None = None) -> dict:
    """Everything the --json output holds, as plain Python values."""
    table = coefficient_table(model, ddf).reset_index(names="term")
    glance = model.glance().iloc[0]
    statistics = {name: _number(glance[name]) for name in glance.index}
    statistics["objective"] = _number(model.objective)
    statistics["nobs"] = int(glance["nobs"])
    statistics["df_residual"] = int(glance["df_residual"])
    return {
        "formula": model.formula,
        "family": model.family,
        "link": getattr(model, "link", "identity"),
        "method": ("REML" if model.reml else "ML")
        if model.family == "gaussian"
        else ("Laplace" if model.nagq == 1 else f"AGQ({model.nagq})"),
        "nobs": model.nobs,
        "n_dropped": model.n_dropped,
        "ngroups": dict(model.ngroups),
        "fit": statistics,
        "dispersion": _number(getattr(model, "dispersion", None)),
        "fixed_effects": _records(table),
        "ddf": ddf if ddf is not None and "df" in table.columns else None,
        "varcorr": _records(model.varcorr),
        "converged": model.converged,
        "singular": model.singular,
        "messages": list(model.messages),
    }


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _run(argv: Sequence[str] | None, stdout, stderr) -> int:
    args = build_parser().parse_args(argv)
    data = read_table(args.data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit_from_arguments(args, data)
        output = json.dumps(model_json(model, args.ddf), allow_nan=False) if args.json else model.summary()
    for warning in caught:
        print(f"warning: {_one_line(warning.message)}", file=stderr)
    if args.ddf is not None and "ddf" not in inspect.signature(model.coef_table).parameters:
        print(
            f"warning: this version of mixedwidgets has no coef_table(ddf=...); --ddf {args.ddf} not applied",
            file=stderr,
        )
    print(output, file=stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit status (0 fine, 2 a user error)."""
    try:
        return _run(argv, sys.stdout, sys.stderr)
    except (UsageError, MixedModelError) as exc:
        print(f"mixedwidgets: error: {_one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR


def main_exit() -> None:
    """The `mixedwidgets` console script."""
    sys.exit(main())
