"""A fitted GLMM: conditional (subject-specific) and marginal (population-averaged) answers side by side."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from ..backend.fit_record import GlmmFit
from ..errors import MixedModelError
from ..names import INTERCEPT
from .marginal import delta_method_se, marginal_coefficients_at, marginal_means_at, rows_of_design, rows_of_newdata
from .model import MixedModelResults

_LATENT_RESIDUAL = {
    "logit": (np.pi**2 / 3, "latent (logit)"),
    "probit": (1.0, "latent (probit)"),
    "cloglog": (np.pi**2 / 6, "latent (cloglog)"),
}
_RATIO_NAME = {"logit": "odds ratio", "log": "rate ratio"}


class GeneralizedLinearMixedModel(MixedModelResults):
    """A binomial, Poisson, negative-binomial or Gamma mixed model fitted by maximum likelihood (Laplace or
    adaptive quadrature)."""

    _fit: GlmmFit
    statistic_name = "z value"
    prediction_kinds = ("conditional", "typical", "marginal")
    criterion_name = "-2 log-likelihood"

    @property
    def link(self) -> str:
        return self._fit.family.link.name

    @property
    def nagq(self) -> int:
        return int(self._fit.nagq)

    def _engine_notes(self) -> list[str]:
        if self._fit.vcov_source == "hessian":
            return []
        return [
            "Standard errors of the fixed effects come from R_X (the Hessian of the deviance was not "
            "usable); they ignore the uncertainty in the variance components."
        ]

    @property
    def dispersion(self) -> float | None:
        """The estimated dispersion parameter: θ of the negative binomial (variance μ + μ²/θ), the
        shape of the Gamma (variance μ²/shape); None for binomial and Poisson models, which have none."""
        value = getattr(self._fit.family, "dispersion", None)
        return None if value is None else float(value)

    @property
    def dispersion_name(self) -> str | None:
        """'theta' or 'shape' (None without a dispersion parameter)."""
        return getattr(self._fit.family, "dispersion_name", None)

    @property
    def n_parameters(self) -> int:
        return len(self._fit.beta) + len(self._fit.theta) + (self.dispersion is not None)

    def _add_p_values(self, table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        table["p_value"] = 2 * stats.norm.sf(np.abs(table["z_value"]))
        return table

    def residual_variance(self) -> tuple[float, str]:
        if self.link in _LATENT_RESIDUAL:
            return _LATENT_RESIDUAL[self.link]
        if self.link != "log":
            raise MixedModelError(
                f"the ICC of a {self.family} model with the {self.link} link has no latent "
                "scale; refit with the log link"
            )
        if self.family == "gamma":  # lognormal approximation (Nakagawa, Johnson & Schielzeth 2017)
            assert self.dispersion is not None
            return float(np.log1p(1.0 / self.dispersion)), "approximate (Gamma, lognormal approximation)"
        # Poisson and negative binomial, log link: lognormal approximation (Nakagawa et al. 2017)
        tau2 = sum(float(np.trace(self.covariance(g).to_numpy()[:1, :1])) for g in self.ngroups)
        beta0 = self.fixef.get(INTERCEPT, float(np.mean(self._design.X @ self._fit.beta)))
        lam = np.exp(beta0 + tau2 / 2)
        if self.family == "negative_binomial":
            assert self.dispersion is not None
            return (
                float(np.log1p(1.0 / lam + 1.0 / self.dispersion)),
                "approximate (negative binomial, lognormal approximation)",
            )
        return float(np.log1p(1.0 / lam)), "approximate (Poisson, lognormal approximation)"

    # ---- predictions -----------------------------------------------------------------------------
    def predict(
        self, newdata: pd.DataFrame | None = None, kind: str = "conditional", scale: str = "response"
    ) -> np.ndarray:
        """conditional (with the groups' modes), typical (b = 0) or marginal (averaged over b)."""
        self._check_prediction_arguments(kind, scale)
        link = self._fit.family.link
        if kind == "marginal":
            mean = marginal_means_at(self._rows(newdata), self._fit.structure, link, self._fit.theta, self._fit.beta)
            return link.link(mean) if scale == "link" else mean
        eta = self.linear_predictor(newdata, kind)
        return eta if scale == "link" else link.inverse(eta)

    def _rows(self, newdata):
        if newdata is None:
            return rows_of_design(self._design, self._fit.structure)
        if not isinstance(newdata, pd.DataFrame):
            raise MixedModelError("newdata must be a pandas DataFrame")
        return rows_of_newdata(self._design, self._fit.structure, newdata)

    def scaled_residuals(self) -> np.ndarray:
        """Pearson residuals (y − μ)/√(V(μ)/w)."""
        mu = self.predict()
        w = np.ones_like(mu) if self._design.weights is None else self._design.weights
        return (self._design.y - mu) / np.sqrt(self._fit.family.variance(mu) / w)

    # ---- population-averaged effects ---------------------------------------------------------------
    @cached_property
    def _marginal_table(self) -> pd.DataFrame:
        rows, s, link = self._rows(None), self._fit.structure, self._fit.family.link
        coefs = lambda theta, beta: marginal_coefficients_at(rows, s, link, theta, beta)
        estimate = coefs(self._fit.theta, self._fit.beta)
        se = delta_method_se(coefs, self._fit)
        cond = self.coef_table()
        return pd.DataFrame(
            {
                "conditional": cond["estimate"],
                "conditional_se": cond["std_error"],
                "marginal": estimate,
                "marginal_se": se,
            },
            index=list(self._design.fixed_names),
        )

    def marginal_coefs(self) -> pd.DataFrame:
        """Population-averaged coefficients (Hedeker et al. 2018) with delta-method SEs, beside the conditional ones."""
        return self._marginal_table.copy()

    def average_effect(self, var: str, delta: float = 1.0) -> pd.Series:
        """Change in the population mean response when `var` rises by `delta` for everyone."""
        base = self._used_rows(var)
        shifted = base.copy()
        shifted[var] = shifted[var] + delta
        rows0, rows1 = self._rows(base), self._rows(shifted)
        s, link = self._fit.structure, self._fit.family.link

        def effect(theta, beta):
            m0 = marginal_means_at(rows0, s, link, theta, beta).mean()
            m1 = marginal_means_at(rows1, s, link, theta, beta).mean()
            return np.array([m0, m1, m1 - m0])

        m0, m1, diff = effect(self._fit.theta, self._fit.beta)
        se = delta_method_se(effect, self._fit)
        out = {
            "variable": var,
            "delta": delta,
            "mean_before": m0,
            "mean_after": m1,
            "average_difference": diff,
            "average_difference_se": se[2],
        }
        out.update(self._ratios(var, delta))
        return pd.Series(out, name="average_effect")

    def _ratios(self, var: str, delta: float) -> dict:
        name = "mean ratio" if self.family == "gamma" and self.link == "log" else _RATIO_NAME.get(self.link)
        coef = [c for c in self._design.fixed_names if c == var]
        if name is None or not coef:
            return {}
        table = self.marginal_coefs()
        return {
            f"conditional_{name.replace(' ', '_')}": float(np.exp(table.loc[var, "conditional"] * delta)),
            f"marginal_{name.replace(' ', '_')}": float(np.exp(table.loc[var, "marginal"] * delta)),
        }

    def _used_rows(self, var: str) -> pd.DataFrame:
        if var not in self._data.columns:
            raise MixedModelError(f"{var!r} is not a column of the data")
        if not pd.api.types.is_numeric_dtype(self._data[var]) or pd.api.types.is_bool_dtype(self._data[var]):
            raise MixedModelError(f"average_effect needs a numeric predictor; {var!r} is {self._data[var].dtype}")
        return self.model_frame()

    def gee_comparison(self, groups: str | None = None) -> pd.DataFrame:
        """Conditional (GLMM), marginal (from the GLMM) and GEE (exchangeable) coefficients side by side."""
        from .gee import gee_table

        return gee_table(self, groups)
