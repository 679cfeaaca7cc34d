"""The fitted mixed model: an immutable record of the design and the engine's answer, with derived views.

Nothing here changes after construction; tables are computed on access (and cached).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from ..backend.fit_record import LmmFit, MixedFit
from ..design.types import Design
from ..errors import MixedModelError
from ..inference.ddf import DDF_TITLES, LmmInference, check_level, ddf_method
from ..names import find_group
from .fit_settings import FitSettings
from .icc import icc_at, icc_frame
from .ranef import ranef_frame
from .varcorr import term_covariances, varcorr_frame

PREDICTION_KINDS: tuple[str, ...] = ("conditional", "typical")

#: refit(model, **changes) -> a new results object (handed in by the fitting layer)
Refit = Callable[..., "MixedModelResults"]


class MixedModelResults:
    """What every fitted mixed model offers; see LinearMixedModel and GeneralizedLinearMixedModel."""

    statistic_name = "t value"

    def __init__(
        self,
        *,
        formula: str,
        design: Design,
        fit: MixedFit,
        data: pd.DataFrame,
        settings: FitSettings,
        notes: tuple[str, ...] = (),
        refit: Refit | None = None,
        data_name: str | None = None,
    ):
        self._formula = formula
        self._design = design
        self._fit = fit
        self._data = data
        self._settings = settings
        self._notes = tuple(notes)
        self._refit = refit
        self._data_name = data_name

    # ---- what was fitted -------------------------------------------------------------------
    formula = property(lambda self: self._formula, doc="The formula as written.")
    design = property(lambda self: self._design, doc="The Design the engine saw.")
    data = property(lambda self: self._data, doc="The caller's DataFrame (never modified).")
    engine_fit = property(lambda self: self._fit, doc="The backend's plain fit record.")
    fit_settings = property(lambda self: self._settings, doc="The arguments of the fit (a FitSettings).")
    data_name = property(lambda self: self._data_name, doc="The data's name where the caller gave one.")

    @property
    def settings(self) -> dict:
        """The arguments of the fit as a dict (for refits through mw.fit)."""
        return self._settings.as_arguments()

    optsummary = property(lambda self: self._fit.optsummary, doc="Optimizer, evaluations, return code.")
    data_name = property(lambda self: self._data_name, doc="The data's name where known (as lme4's Data: line).")

    def named(self, data_name: str) -> MixedModelResults:
        """The same fitted model (a new object, this one unchanged) labelled with its data's name."""
        labelled = copy.copy(self)
        labelled._data_name = str(data_name)
        return labelled

    @property
    def family(self) -> str:
        """The family's name: "gaussian", "binomial", "poisson"."""
        return self._settings.family

    @property
    def link(self) -> str:
        return "identity"

    @property
    def reml(self) -> bool:
        return False

    @property
    def nobs(self) -> int:
        return int(self._design.y.shape[0])

    @property
    def n_dropped(self) -> int:
        return int(self._design.n_dropped)

    def model_frame(self) -> pd.DataFrame:
        """A copy of the caller's rows that the fit used (rows with missing values dropped), in order."""
        return self._data.iloc[self._design.row_positions].copy()

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

    def coef_table(self, level: float = 0.95, ddf: str | None = None) -> pd.DataFrame:
        """Estimates, standard errors, Wald statistics and Wald intervals of the fixed effects (z tests, as
        glmer: `ddf` may only be None or "asymptotic" here)."""
        if ddf is not None and ddf_method(ddf) != "asymptotic":
            raise MixedModelError(
                f"ddf={ddf!r} applies to linear mixed models only: the fixed effects of a "
                "GLMM are tested by z (Wald) tests, as glmer does; use ddf='asymptotic'"
            )
        check_level(level)
        se = np.sqrt(np.diag(self._fit.vcov))
        z = stats.norm.ppf(0.5 + level / 2)
        table = pd.DataFrame(
            {
                "estimate": self._fit.beta,
                "std_error": se,
                self.statistic_name.replace(" ", "_"): self._fit.beta / se,
                "conf_low": self._fit.beta - z * se,
                "conf_high": self._fit.beta + z * se,
            },
            index=list(self._design.fixed_names),
        )
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
        """Plain-words notes about the fit: the convergence checks', the engine's, then the fit-time ones."""
        return list(self._fit.convergence.messages) + self._engine_notes() + list(self._notes)

    def _engine_notes(self) -> list[str]:
        return []

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
        return varcorr_frame(
            self._fit.structure, self._fit.theta, self._sigma_scale(), residual=self.family == "gaussian"
        )

    def _sigma_scale(self) -> float:
        return self.sigma if self.family == "gaussian" else 1.0

    def covariance(self, group: str) -> pd.DataFrame:
        """The covariance matrix of one grouping factor's random effects."""
        layout = find_group(self._fit.structure.terms, group)
        covariances = term_covariances(self._fit.structure, self._fit.theta, self._sigma_scale())
        cov = covariances[self._fit.structure.terms.index(layout)]
        return pd.DataFrame(cov, index=list(layout.columns), columns=list(layout.columns))

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
        from .contextual import contextual_effect

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

    def predict(
        self, newdata: pd.DataFrame | None = None, kind: str = "conditional", scale: str = "response"
    ) -> np.ndarray:
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

    def refit(self, **changes) -> MixedModelResults:
        """The same model fitted again with some arguments changed (e.g. reml=False)."""
        if self._refit is None:
            raise MixedModelError("this model was built without a refit function (fit it with mw.fit)")
        return self._refit(self, **changes)

    # ---- intervals (mixedwidgets.inference: profile, bootstrap, confint) -----------------------
    def confint(
        self,
        method: str = "wald",
        level: float = 0.95,
        nsim: int = 1000,
        seed: int | None = None,
        n_jobs: int = -1,
        progress=False,
    ) -> pd.DataFrame:
        """lower, upper for every parameter in lme4's confint order (sd_…|g, cor_…|g, sigma, fixed effects).

        method: "wald" (fixed effects only; NaN for the variance parameters, as lme4), "profile" (likelihood
        profile, ML for LMMs as lme4) or "boot" (percentile intervals of `bootstrap(nsim, seed)`).
        """
        from ..inference.confint import model_confint

        return model_confint(self._design, self._fit, method, level, nsim, seed, n_jobs, progress)

    def profile(self, zeta_max: float | None = None) -> pd.DataFrame:
        """The likelihood profile of every parameter as lme4's profile(): parameter, value, zeta."""
        from ..inference.confint import model_profile
        from ..inference.profile import DEFAULT_ZETA_MAX

        return model_profile(self._design, self._fit, DEFAULT_ZETA_MAX if zeta_max is None else zeta_max).frame()

    def bootstrap(self, nsim: int = 1000, seed: int | None = None, progress=True, n_jobs: int = -1):
        """Parametric bootstrap as lme4's bootMer: `.replicates` (one row per draw) and `.confint(level, kind)`.

        The same seed gives the same replicates whatever n_jobs (-1: every core); progress=True prints a
        line that updates, or pass progress(done, total); Ctrl-C stops the workers.
        """
        from ..inference.confint import model_bootstrap

        return model_bootstrap(self._design, self._fit, nsim, seed, progress, n_jobs)

    # ---- display -----------------------------------------------------------------------------
    def summary(self, ddf: str | None = None) -> str:
        """lme4's summary; for LMMs the t tests use `ddf` (Satterthwaite's method by default, as lmerTest)."""
        from .summary import summary_text

        return summary_text(self, ddf)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self, ddf: str | None = None) -> str:
        from .html import summary_html

        return summary_html(self, ddf)


class LinearMixedModel(MixedModelResults):
    """A fitted linear mixed model (REML or ML)."""

    _fit: LmmFit

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

    # ---- degrees of freedom, t and F tests (lmerTest / pbkrtest; see mixedwidgets.inference) ------
    default_ddf = "satterthwaite"

    @cached_property
    def _inference(self) -> LmmInference:
        return LmmInference(self._design, self._fit)

    def coef_table(self, level: float = 0.95, ddf: str | None = "satterthwaite") -> pd.DataFrame:
        """estimate, std_error, df, t_value, p_value, conf_low, conf_high of the fixed effects.

        ddf: "satterthwaite" (lmerTest's default), "kenward-roger" (pbkrtest's adjusted covariance and df;
        REML fits only) or "asymptotic" (z tests: df = inf, t_value is the z statistic). The interval uses
        the same df.
        """
        return self._inference.coef_table(self.default_ddf if ddf is None else ddf, level)

    def anova(self, ddf: str = "satterthwaite", type: int | str = 3) -> pd.DataFrame:
        """F tests of the fixed-effect terms, one row per term in lme4's order: sum_sq, mean_sq, num_df,
        den_df, f_value, p_value. type=3 as lmerTest (independent of the contrast coding), type=1 sequential."""
        return self._inference.anova(self._data, ddf, type)

    def ddf_title(self, ddf: str | None = None) -> str:
        """The name of the df method, as lmerTest's summary shows it ("Satterthwaite's method")."""
        return DDF_TITLES[ddf_method(self.default_ddf if ddf is None else ddf)]
