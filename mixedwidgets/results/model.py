"""The fitted mixed model: an immutable record of the design and the engine's answer, with derived views.

Nothing here changes after construction; tables are computed on access (and cached).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import MixedModelError
from .icc import icc_frame, icc_at
from .ranef import ranef_frame
from .varcorr import term_covariances, varcorr_frame

PREDICTION_KINDS = ("conditional", "typical")


class MixedModelResults:
    """What every fitted mixed model offers; see LinearMixedModel and GeneralizedLinearMixedModel."""

    family = "gaussian"
    statistic_name = "t value"

    def __init__(self, *, formula: str, design, fit, data: pd.DataFrame, settings: dict,
                 data_name: str | None = None):
        self._formula = formula
        self._design = design
        self._fit = fit
        self._data = data
        self._settings = dict(settings)
        self._data_name = data_name

    # ---- what was fitted -------------------------------------------------------------------
    formula = property(lambda self: self._formula, doc="The formula as written.")
    design = property(lambda self: self._design, doc="The Design the engine saw.")
    data = property(lambda self: self._data, doc="The caller's DataFrame (never modified).")
    engine_fit = property(lambda self: self._fit, doc="The backend's plain fit record.")
    settings = property(lambda self: dict(self._settings), doc="Arguments of the fit (for refits).")
    optsummary = property(lambda self: self._fit.optsummary, doc="Optimizer, evaluations, return code.")

    @property
    def nobs(self) -> int:
        return int(self._design.y.shape[0])

    @property
    def n_dropped(self) -> int:
        return int(self._design.n_dropped)

    @property
    def ngroups(self) -> dict[str, int]:
        return {t.group: len(t.levels) for t in self._design.terms}

    # ---- estimates ---------------------------------------------------------------------------
    @cached_property
    def fixef(self) -> pd.Series:
        return pd.Series(self._fit.beta, index=list(self._design.fixed_names), name="estimate")

    @cached_property
    def vcov(self) -> pd.DataFrame:
        names = list(self._design.fixed_names)
        return pd.DataFrame(self._fit.vcov, index=names, columns=names)

    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimates, standard errors, Wald statistics and Wald intervals of the fixed effects."""
        se = np.sqrt(np.diag(self._fit.vcov))
        z = stats.norm.ppf(0.5 + level / 2)
        table = pd.DataFrame({"estimate": self._fit.beta, "std_error": se,
                              self.statistic_name.replace(" ", "_"): self._fit.beta / se,
                              "conf_low": self._fit.beta - z * se, "conf_high": self._fit.beta + z * se},
                             index=list(self._design.fixed_names))
        return self._add_p_values(table)

    def _add_p_values(self, table: pd.DataFrame) -> pd.DataFrame:
        return table

    @property
    def theta(self) -> np.ndarray:
        """Relative covariance parameters, in lme4's order (terms by number of levels, largest first)."""
        return self._fit.theta.copy()

    @property
    def sigma(self) -> float:
        return float(self._fit.sigma)

    @property
    def objective(self) -> float:
        return float(self._fit.objective)

    @property
    def loglik(self) -> float:
        return -self.objective / 2.0

    @property
    def n_parameters(self) -> int:
        return len(self._fit.beta) + len(self._fit.theta) + (1 if self.family == "gaussian" else 0)

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_parameters

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + np.log(self.nobs) * self.n_parameters

    @property
    def converged(self) -> bool:
        return bool(self._fit.convergence.converged)

    @property
    def singular(self) -> bool:
        return bool(self._fit.convergence.singular)

    @property
    def messages(self) -> list[str]:
        return list(self._fit.convergence.messages) + list(self._settings.get("warnings", ()))

    # ---- tidy tables (broom.mixed's layout) ---------------------------------------------------
    def tidy(self, conf_level: float = 0.95, ddf: str | None = None) -> pd.DataFrame:
        """broom.mixed's tidy(): effect, group, term, estimate, std_error, statistic, df, p_value,
        conf_low, conf_high; fixed effects, then variance parameters (sd__x, cor__x.y, sd__Observation)."""
        from .tidy import tidy_frame
        return tidy_frame(self, conf_level, ddf)

    def glance(self) -> pd.DataFrame:
        """broom.mixed's glance(): one row of fit statistics (stack models with pd.concat)."""
        from .tidy import glance_frame
        return glance_frame(self)

    # ---- random effects ----------------------------------------------------------------------
    @cached_property
    def varcorr(self) -> pd.DataFrame:
        return varcorr_frame(self._fit.structure, self._fit.theta, self._sigma_scale(),
                             residual=self.family == "gaussian")

    def _sigma_scale(self) -> float:
        return self.sigma if self.family == "gaussian" else 1.0

    def covariance(self, group: str) -> pd.DataFrame:
        """The covariance matrix of one grouping factor's random effects."""
        for layout, cov in zip(self._fit.structure.terms,
                               term_covariances(self._fit.structure, self._fit.theta, self._sigma_scale())):
            if layout.group == group:
                return pd.DataFrame(cov, index=list(layout.columns), columns=list(layout.columns))
        raise MixedModelError(f"no grouping factor {group!r}; the model has {sorted(self.ngroups)}")

    def ranef(self) -> pd.DataFrame:
        """Conditional modes and conditional SDs: group, term, level, condval, condsd."""
        return ranef_frame(self._fit.structure, self._design.terms, self._fit.ranef, self._fit.ranef_cov).copy()

    def icc(self) -> pd.DataFrame:
        """Intraclass correlation per grouping factor: group, icc, scale, note."""
        return icc_frame(self)

    def icc_at(self, group: str, **values: float) -> float:
        """ICC of `group` where the term's predictors take `values` (random slopes make it depend on x)."""
        return icc_at(self, group, values)

    def residual_variance(self) -> tuple[float, str]:
        """The level-1 variance used by the ICC and the scale it is on."""
        return self.sigma**2, "linear"

    def contextual_effect(self, variable: str, group: str | None = None):
        """β_between − β_within for a variable split by within()/between() or demean(), with its SE."""
        from .hybrid import contextual_effect
        return contextual_effect(self, variable, group)

    # ---- prediction --------------------------------------------------------------------------
    def _ranef_by_position(self) -> dict[int, np.ndarray]:
        return {layout.design_position: b for layout, b in zip(self._fit.structure.terms, self._fit.ranef)}

    def linear_predictor(self, newdata: pd.DataFrame | None = None, kind: str = "conditional") -> np.ndarray:
        """η = Xβ + offset (+ Zb for kind="conditional"; new levels get b = 0)."""
        if kind not in ("conditional", "typical"):
            raise MixedModelError(f"kind must be 'conditional' or 'typical' here, not {kind!r}")
        if newdata is None:
            X, offset = self._design.X, self._design.offset
            codes = [t.codes for t in self._design.terms]
            values = [np.asarray(t.values) for t in self._design.terms]
        else:
            if not isinstance(newdata, pd.DataFrame):
                raise MixedModelError("newdata must be a pandas DataFrame")
            X, codes, values, offset = self._design.model_matrices(newdata, random=kind == "conditional")
        eta = X @ self._fit.beta
        if offset is not None:
            eta = eta + offset
        if kind == "conditional":
            for position, b in self._ranef_by_position().items():
                c = np.asarray(codes[position])
                v = np.asarray(values[position]).reshape(len(eta), b.shape[1])  # not -1: 0 rows
                known = c >= 0
                eta[known] += np.einsum("ij,ij->i", v[known], b[c[known]])
        return eta

    def predict(self, newdata: pd.DataFrame | None = None, kind: str = "conditional",
                scale: str = "response") -> np.ndarray:
        """Predictions with each group's modes (conditional) or at b = 0 (typical)."""
        self._check_prediction_arguments(kind, scale)
        return self.linear_predictor(newdata, kind)

    def _check_prediction_arguments(self, kind: str, scale: str) -> None:
        if kind not in self.prediction_kinds:
            raise MixedModelError(f"kind must be one of {self.prediction_kinds}, not {kind!r}")
        if scale not in ("response", "link"):
            raise MixedModelError(f"scale must be 'response' or 'link', not {scale!r}")

    prediction_kinds = PREDICTION_KINDS

    def fitted(self) -> np.ndarray:
        return self.predict()

    def residuals(self) -> np.ndarray:
        return self._design.y - self.fitted()

    # ---- display -----------------------------------------------------------------------------
    def summary(self) -> str:
        from .summary import summary_text
        return summary_text(self)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from .html import summary_html
        return summary_html(self)


class LinearMixedModel(MixedModelResults):
    """A fitted linear mixed model (REML or ML)."""

    @property
    def reml(self) -> bool:
        return bool(self._fit.reml)

    @property
    def criterion_name(self) -> str:
        return "REML criterion" if self.reml else "-2 log-likelihood"

    def scaled_residuals(self) -> np.ndarray:
        """Residuals divided by σ (and multiplied by √weight where there are prior weights)."""
        r = self.residuals() / self.sigma
        w = self._design.weights
        return r if w is None else r * np.sqrt(w)

    def refit(self, **changes) -> "LinearMixedModel":
        """The same model fitted again with some arguments changed (e.g. reml=False)."""
        from ..api import fit
        settings = {k: v for k, v in self._settings.items() if k != "warnings"}
        return fit(self._formula, self._data, **{**settings, **changes})
