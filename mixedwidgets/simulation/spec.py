"""Reading the true values a user gives to mw.simulate: fixed effects and variance components."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import MixedModelError

CORRELATION_KEY = "corr"
TOLERANCE = 1e-10


def fixed_vector(fixed, fixed_names: tuple[str, ...]) -> np.ndarray:
    """The fixed effects as a vector in the design's column order (all names required)."""
    if not isinstance(fixed, (Mapping, pd.Series)):
        raise MixedModelError(
            "fixed must be a dict of fixed-effect values by column name, e.g. "
            f"{{{', '.join(repr(n) + ': ...' for n in fixed_names)}}}"
        )
    given = dict(fixed)
    unknown = [name for name in given if name not in fixed_names]
    if unknown:
        raise MixedModelError(
            f"fixed effect {unknown[0]!r} is not a column of the model; its columns are "
            f"{', '.join(repr(n) for n in fixed_names)}"
        )
    missing = [name for name in fixed_names if name not in given]
    if missing:
        raise MixedModelError(
            f"no value for fixed effect(s) {', '.join(repr(n) for n in missing)}; give every column "
            f"of the model: {', '.join(repr(n) for n in fixed_names)}"
        )
    return np.array([_number(given[name], f"fixed effect {name!r}") for name in fixed_names])


def _number(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MixedModelError(f"{what} must be a number, not {value!r}") from None
    if not np.isfinite(number):
        raise MixedModelError(f"{what} must be finite, not {value!r}")
    return number


def term_covariances(random, terms) -> dict[str, np.ndarray]:
    """One covariance matrix per grouping factor, in the order of each term's columns."""
    if not isinstance(random, Mapping):
        raise MixedModelError(
            "random must be a dict by grouping factor, e.g. {'g': {'(Intercept)': 0.5}} (SDs) or "
            "{'g': [[0.25]]} (a covariance matrix)"
        )
    groups = [t.group for t in terms]
    unknown = [g for g in random if g not in groups]
    if unknown:
        raise MixedModelError(
            f"random effects given for {unknown[0]!r}, but the formula's grouping factors are "
            f"{', '.join(repr(g) for g in groups)}"
        )
    missing = [g for g in groups if g not in random]
    if missing:
        raise MixedModelError(f"no variance components given for grouping factor {missing[0]!r}")
    return {t.group: covariance_for_term(random[t.group], t) for t in terms}


def covariance_for_term(spec, term) -> np.ndarray:
    """A covariance matrix from a matrix/DataFrame, or from a dict of SDs (and 'corr')."""
    where = f"the random effects of {term.group!r} ({', '.join(term.columns)})"
    if isinstance(spec, Mapping):
        cov = _from_sds(spec, term.columns, where)
    elif isinstance(spec, pd.DataFrame):
        cov = _from_frame(spec, term.columns, where)
    else:
        cov = _from_matrix(spec, len(term.columns), where)
    _check_covariance(cov, term, where)
    return cov


def _from_sds(spec: Mapping, columns: tuple[str, ...], where: str) -> np.ndarray:
    sds = {k: v for k, v in spec.items() if k != CORRELATION_KEY}
    unknown = [k for k in sds if k not in columns]
    missing = [c for c in columns if c not in sds]
    if unknown or missing:
        raise MixedModelError(
            f"{where}: give one SD per column ({', '.join(repr(c) for c in columns)})"
            + (f"; {unknown[0]!r} is not one of them" if unknown else "")
        )
    sd = np.array([_number(sds[c], f"the SD of {c!r}") for c in columns])
    if (sd < 0).any():
        raise MixedModelError(f"{where}: SDs must be non-negative")
    corr = _correlations(spec.get(CORRELATION_KEY), columns, where)
    return corr * np.outer(sd, sd)


def _correlations(spec, columns: tuple[str, ...], where: str) -> np.ndarray:
    q = len(columns)
    corr = np.eye(q)
    if spec is None:
        return corr
    if not isinstance(spec, Mapping):
        if q != 2:
            raise MixedModelError(f"{where}: with {q} columns give correlations as a dict {{(a, b): r, ...}}")
        spec = {(columns[0], columns[1]): spec}
    for pair, value in spec.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(p in columns for p in pair)):
            raise MixedModelError(f"{where}: correlation key {pair!r} must be a pair of its columns")
        r = _number(value, f"the correlation of {pair!r}")
        if abs(r) > 1 or pair[0] == pair[1]:
            raise MixedModelError(f"{where}: the correlation of {pair!r} must be in [-1, 1] between two columns")
        i, j = columns.index(pair[0]), columns.index(pair[1])
        corr[i, j] = corr[j, i] = r
    return corr


def _from_frame(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> np.ndarray:
    if set(frame.index) != set(columns) or set(frame.columns) != set(columns):
        raise MixedModelError(f"{where}: the covariance DataFrame must be labelled by {list(columns)}")
    return frame.loc[list(columns), list(columns)].to_numpy(dtype=np.float64)


def _from_matrix(spec, q: int, where: str) -> np.ndarray:
    try:
        cov = np.array(spec, dtype=np.float64)
    except (TypeError, ValueError):
        raise MixedModelError(f"{where}: give a covariance matrix or a dict of SDs, not {spec!r}") from None
    if cov.shape != (q, q):
        raise MixedModelError(
            f"{where}: the covariance matrix must be {q}×{q}, got shape {cov.shape}; for SDs write "
            "a dict like {'(Intercept)': 0.5}"
        )
    return cov


def _check_covariance(cov: np.ndarray, term, where: str) -> None:
    if not np.isfinite(cov).all():
        raise MixedModelError(f"{where}: the covariance matrix has non-finite values")
    if not np.allclose(cov, cov.T, atol=TOLERANCE, rtol=0):
        raise MixedModelError(f"{where}: the covariance matrix must be symmetric")
    if np.linalg.eigvalsh(cov).min() < -TOLERANCE * max(1.0, np.abs(cov).max()):
        raise MixedModelError(f"{where}: the covariance matrix is not positive semi-definite")
    block_of = {c: k for k, block in enumerate(term.blocks) for c in block}
    for i in range(cov.shape[0]):
        for j in range(i):
            if block_of[i] != block_of[j] and cov[i, j] != 0:
                raise MixedModelError(
                    f"{where}: {term.columns[j]!r} and {term.columns[i]!r} are uncorrelated in the "
                    "formula (||), so their covariance must be 0"
                )


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """L with L L' = cov (works for singular covariance matrices too)."""
    values, vectors = np.linalg.eigh(cov)
    return vectors * np.sqrt(np.clip(values, 0.0, None))
