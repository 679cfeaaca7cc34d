"""Degrees of freedom for a fitted linear mixed model: the t table of the fixed effects and the F tests
of its terms, by Satterthwaite's method (lmerTest's default), Kenward–Roger (pbkrtest) or asymptotic
(z and χ²/q, infinite df).

`LmmInference` works on the design and the backend's fit record; the curvature of the deviance and the
Kenward–Roger adjustment are computed once, on first use, and kept.
"""

from __future__ import annotations

import warnings
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from ..backend.threads import single_blas_thread as one_blas_thread
from ..errors import MixedModelError, MixedModelWarning
from . import satterthwaite as satt
from .contrasts import term_contrasts
from .kenward_roger import (
    KenwardRogerAdjustment,
    kenward_roger_adjustment,
    kenward_roger_ddf,
    kenward_roger_f_test,
)
from .varpar import VarianceCurvature, variance_curvature, variance_problem

#: accepted spellings of each method, and the name shown with the results (as lmerTest's summary)
DDF_ALIASES = {
    "satterthwaite": "satterthwaite",
    "kenward-roger": "kenward-roger",
    "kenward_roger": "kenward-roger",
    "kr": "kenward-roger",
    "asymptotic": "asymptotic",
    "wald": "asymptotic",
    "z": "asymptotic",
}
DDF_TITLES = {
    "satterthwaite": "Satterthwaite's method",
    "kenward-roger": "Kenward-Roger's method",
    "asymptotic": "asymptotic (z) tests, infinite df",
}
ANOVA_TYPES = {1: 1, 3: 3, "1": 1, "3": 3, "I": 1, "III": 3}
COEF_COLUMNS = ["estimate", "std_error", "df", "t_value", "p_value", "conf_low", "conf_high"]
ANOVA_COLUMNS = ["sum_sq", "mean_sq", "num_df", "den_df", "f_value", "p_value"]


def ddf_method(ddf) -> str:
    """The canonical name of a df method ("satterthwaite", "kenward-roger", "asymptotic")."""
    key = str(ddf).strip().lower().replace(" ", "-") if isinstance(ddf, str) else None
    if key not in DDF_ALIASES:
        raise MixedModelError(f"ddf must be 'satterthwaite', 'kenward-roger' or 'asymptotic', not {ddf!r}")
    return DDF_ALIASES[key]


def anova_type(kind) -> int:
    if isinstance(kind, bool) or kind not in ANOVA_TYPES:
        raise MixedModelError(f"type must be 1 (sequential) or 3 (marginal, as lmerTest), not {kind!r}")
    return ANOVA_TYPES[kind]


def check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise MixedModelError(f"level must be a number between 0 and 1, such as 0.95, not {level!r}")
    return float(level)


#: what the numerical derivatives of a degenerate fit's deviance can raise
NUMERICAL_FAILURES = (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, OverflowError)


class LmmInference:
    """t and F tests of a fitted LMM's fixed effects with a choice of denominator df."""

    def __init__(self, design, fit):
        self._design = design
        self._fit = fit

    @cached_property
    def curvature(self) -> VarianceCurvature:
        """Satterthwaite's ingredients: A = cov(θ, σ) and ∂vcov(β)/∂(θ, σ)."""
        problem = variance_problem(self._design, self._fit.reml)
        curvature = variance_curvature(problem, self._fit.theta, self._fit.sigma)
        for note in curvature.notes:  # lmerTest warns the same way
            warnings.warn(note, MixedModelWarning, stacklevel=3)
        return curvature

    def _usable_curvature(self) -> VarianceCurvature | None:
        """The curvature, or None (with a warning) where the deviance cannot be differentiated numerically,
        as in degenerate fits whose factorization breaks down next to the estimates."""
        try:
            return self.curvature
        except (*NUMERICAL_FAILURES, MixedModelError) as exc:  # variance_curvature says why, and the way out
            warnings.warn(
                f"{exc}. The df and p-values of the t and F tests are missing (NaN); the fit may be degenerate.",
                MixedModelWarning,
                stacklevel=4,
            )
            return None

    @cached_property
    def kenward_roger(self) -> KenwardRogerAdjustment:
        if not self._fit.reml:
            raise MixedModelError(
                "Kenward-Roger's method is only available for REML fits (as in lmerTest and "
                "pbkrtest); refit with reml=True, or use ddf='satterthwaite'"
            )
        with one_blas_thread():
            return kenward_roger_adjustment(
                self._design, self._fit.structure, self._fit.theta, self._fit.sigma, self._fit.vcov
            )

    @property
    def notes(self) -> tuple[str, ...]:
        return self.curvature.notes

    def coef_table(self, ddf: str = "satterthwaite", level: float = 0.95) -> pd.DataFrame:
        """estimate, std_error, df, t_value, p_value, conf_low, conf_high per fixed effect."""
        method, level = ddf_method(ddf), check_level(level)
        beta = np.asarray(self._fit.beta)
        if method == "kenward-roger":
            adj = self.kenward_roger
            se = np.sqrt(np.diag(adj.vcov_adjusted))
            df = np.array([kenward_roger_ddf(adj, row)[0] for row in np.eye(len(beta))])
        elif method == "satterthwaite" and self._usable_curvature() is not None:
            tests = satt.coefficient_tests(self.curvature, beta)
            se, df = np.array([t.std_error for t in tests]), np.array([t.df for t in tests])
        elif method == "satterthwaite":
            se, df = np.sqrt(np.diag(self._fit.vcov)), np.full(len(beta), np.nan)
        else:
            se, df = np.sqrt(np.diag(self._fit.vcov)), np.full(len(beta), np.inf)
        return t_table(beta, se, df, level, list(self._design.fixed_names))

    def anova(self, data: pd.DataFrame, ddf: str = "satterthwaite", type=3) -> pd.DataFrame:
        """One F test per fixed-effect term (type 3: marginal as lmerTest; type 1: sequential)."""
        method, kind = ddf_method(ddf), anova_type(type)
        contrasts = term_contrasts(self._design, data, kind)
        rows = {label: self._f_row(L, method) for label, L in contrasts.items()}
        table = pd.DataFrame.from_dict(rows, orient="index", columns=ANOVA_COLUMNS)
        table["num_df"] = table["num_df"].astype("Int64")
        return table

    def _f_row(self, L: np.ndarray, method: str) -> list:
        beta, sigma = np.asarray(self._fit.beta), float(self._fit.sigma)
        if method == "kenward-roger":
            kr = kenward_roger_f_test(self.kenward_roger, beta, L)
            if kr is None:
                return [np.nan] * 6
            mean_sq = kr.f_unscaled * sigma**2
            return _f_cells(mean_sq * kr.num_df, mean_sq, kr.num_df, kr.den_df, kr.f_value)
        if method == "satterthwaite" and self._usable_curvature() is None:
            return [np.nan] * 6
        if method == "satterthwaite":
            test = satt.f_test(self.curvature, beta, L, sigma)
        else:
            test = wald_f_test(np.asarray(self._fit.vcov), beta, L, sigma)
        if test is None:
            return [np.nan] * 6
        return _f_cells(test.sum_sq, test.mean_sq, test.num_df, test.den_df, test.f_value)


def _f_cells(sum_sq, mean_sq, num_df, den_df, f_value) -> list:
    p = stats.f.sf(f_value, num_df, den_df) if np.isfinite(den_df) else stats.chi2.sf(f_value * num_df, num_df)
    return [sum_sq, mean_sq, num_df, den_df, f_value, p]


def wald_f_test(vcov: np.ndarray, beta: np.ndarray, L: np.ndarray, sigma: float) -> satt.FTest | None:
    """Lβ = 0 by the Wald statistic over its rank (infinite denominator df: χ²_q / q)."""
    L = np.atleast_2d(L)
    if L.shape[0] == 0:
        return None
    values, vectors = np.linalg.eigh(L @ vcov @ L.T)
    keep = values > satt.RANK_TOLERANCE * max(values.max(), 0.0)
    q = int(keep.sum())
    if q == 0:
        return None
    f_value = float(np.sum((vectors[:, keep].T @ L @ beta) ** 2 / values[keep]) / q)
    return satt.FTest(f_value * sigma**2 * q, f_value * sigma**2, q, np.inf, f_value)


def t_table(beta: np.ndarray, se: np.ndarray, df: np.ndarray, level: float, names: list[str]) -> pd.DataFrame:
    """The coefficient table from estimates, standard errors and df (df = inf gives z tests)."""
    t = beta / se
    p = 2 * stats.t.sf(np.abs(t), df)
    half = stats.t.ppf(0.5 + level / 2, df) * se
    return pd.DataFrame(
        {
            "estimate": beta,
            "std_error": se,
            "df": df,
            "t_value": t,
            "p_value": p,
            "conf_low": beta - half,
            "conf_high": beta + half,
        },
        index=names,
    )[COEF_COLUMNS]
