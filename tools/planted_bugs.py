#!/usr/bin/env python3
"""Plant known bugs, one at a time, in a scratch copy of the package and check that the tests catch each.

Each bug is an exact text replacement in one file (the script fails loudly if the text is no longer there,
so the list follows the code) and names the test files that must fail. Used for issue 16's eleven
results-layer bugs, plus a few from the engine; listed in docs/testing.md.

    python tools/planted_bugs.py            # all
    python tools/planted_bugs.py pearson    # those whose name contains a word
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Bug:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


R = "mixedwidgets/results/"
B = "mixedwidgets/backend/"
INF = "mixedwidgets/inference/"
F = "mixedwidgets/fitting/"
DENSE_REFERENCE = "tests/backend/test_engine_dense_reference.py"
BUGS = [
    Bug(
        "logistic ICC with pi^2/6",
        R + "glmm.py",
        '"logit": (np.pi**2 / 3,',
        '"logit": (np.pi**2 / 6,',
        ("tests/results/test_icc_oracle.py",),
    ),
    Bug(
        "Poisson ICC residual term without log1p",
        R + "glmm.py",
        "float(np.log1p(1.0 / lam))",
        "float(1.0 / lam)",
        ("tests/results/test_icc_oracle.py",),
    ),
    Bug(
        "GLMM AIC/BIC counting a sigma",
        R + "glmm.py",  # GlmmModel.n_parameters (model.py's only counts σ for Gaussian models, which have one)
        "len(self._fit.theta) + (self.dispersion is not None)",
        "len(self._fit.theta) + 1",
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "LRT p-value with one df too many",
        "mixedwidgets/fitting/compare.py",
        "stats.chi2.sf(chisq, df)",
        "stats.chi2.sf(chisq, df + 1)",
        ("tests/fitting/test_compare_oracle.py",),
    ),
    Bug(
        "90% interval labelled 95%",
        R + "model.py",
        "stats.norm.ppf(0.5 + level / 2)",
        "stats.norm.ppf(level)",
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "one-sided GLMM p-value",
        R + "glmm.py",
        '2 * stats.norm.sf(np.abs(table["z_value"]))',
        'stats.norm.sf(np.abs(table["z_value"]))',
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "delta-method SEs ignoring covariances",
        R + "marginal.py",
        'np.einsum("ij,jk,ik->i", jac, fit.parameter_cov, jac)',
        'np.einsum("ij,jj,ij->i", jac, fit.parameter_cov, jac)',
        ("tests/results/test_marginal_delta_oracle.py",),
    ),
    Bug(
        "average_effect SE from the wrong row",
        R + "glmm.py",
        '"average_difference_se": se[2]',
        '"average_difference_se": se[1]',
        ("tests/results/test_marginal_delta_oracle.py",),
    ),
    Bug(
        "GEE with X not reordered along with y",
        R + "gee.py",
        "np.asarray(design.X)[order]",
        "np.asarray(design.X)",
        ("tests/results/test_gee_oracle.py",),
    ),
    Bug(
        "overdispersion warning never fires",
        "mixedwidgets/fitting/diagnostics.py",
        "if ratio <= OVERDISPERSION_RATIO:",
        "if ratio >= 0:",
        ("tests/fitting/test_overdispersion_oracle.py",),
    ),
    Bug(
        "Pearson residuals ignoring weights",
        R + "glmm.py",
        "np.sqrt(self._fit.family.variance(mu) / w)",
        "np.sqrt(self._fit.family.variance(mu))",
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    # beyond the eleven
    Bug(
        "AGQ objective reported as the Laplace value",
        R + "model.py",
        "return float(self._fit.objective)",
        'return float(getattr(self._fit, "laplace_objective", self._fit.objective))',
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "REML sigma^2 = pwrss/n",
        "mixedwidgets/backend/lmm.py",
        "f.pwrss / (cp.n - cp.p if reml else cp.n)",
        "f.pwrss / cp.n",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "correlations clamped at 0",
        R + "varcorr.py",
        "corr = cov[i, j] / (sd[i] * sd[j])",
        "corr = max(cov[i, j], 0.0) / (sd[i] * sd[j])",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "correlation sign lost",
        R + "varcorr.py",
        "corr = cov[i, j] / (sd[i] * sd[j])",
        "corr = abs(cov[i, j]) / (sd[i] * sd[j])",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "LRT chi-square clamped at 1",
        "mixedwidgets/fitting/compare.py",
        "max(prev.objective - m.objective, 0.0)",
        "max(prev.objective - m.objective, 1.0)",
        ("tests/results/test_results_edges.py",),
    ),
    Bug(
        "GEE clusters by the first factor whatever is asked",
        R + "gee.py",
        "codes, group = _cluster_codes(model, groups)",
        "codes, group = _cluster_codes(model, None)",
        ("tests/results/test_results_edges.py",),
    ),
    Bug(
        "ranef frame keeps the pieces' index",
        R + "ranef.py",
        "ignore_index=True",
        "ignore_index=False",
        ("tests/results/test_results_edges.py",),
    ),
    Bug(
        "icc_at ignores the slope",
        R + "icc.py",
        "values if g == group else {}",
        "{}",
        ("tests/results/test_icc_oracle.py",),
    ),
    # the engine (issue 16, second round): each checked against dense numpy, closed forms or lme4/glmmTMB
    Bug(
        "Λ transposed for a vector term in the dense tail",
        B + "factor.py",
        "blocks = [np.kron(np.eye(t.n_levels), f)",
        "blocks = [np.kron(np.eye(t.n_levels), f.T)",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "Λ transposed for a vector term in the sparse tail",
        B + "factor_sparse.py",
        'sp.kron(sp.identity(t.n_levels, format="csr"), sp.csr_matrix(f), format="csr")',
        'sp.kron(sp.identity(t.n_levels, format="csr"), sp.csr_matrix(f.T), format="csr")',
        (DENSE_REFERENCE,),
    ),
    Bug(
        "Λ transposed for a vector term in the dense tail built from row sums",
        B + "factor.py",
        'sp.kron(sp.identity(t.n_levels, format="csr"), sp.csr_matrix(f), format="csr")',
        'sp.kron(sp.identity(t.n_levels, format="csr"), sp.csr_matrix(f.T), format="csr")',
        (DENSE_REFERENCE, "tests/backend/test_factor_edges.py"),
    ),
    Bug(
        "downdate dropped (dense tail)",
        B + "factor.py",
        "scaled = cp.tailtail * lam[:, None] * lam[None, :] - tail0 @ tail0.T",
        "scaled = cp.tailtail * lam[:, None] * lam[None, :]",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "downdate dropped (dense tail with the precomputed pattern)",
        B + "factor.py",
        "np.subtract(cp.tailtail, core, out=core)",
        "core = np.array(cp.tailtail)",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "downdate dropped (sparse tail)",
        B + "factor_sparse.py",
        "products.split(products.downdated(w))",
        "products.split(products.base)",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "downdate pattern without the doubled cross terms of W",
        B + "downdate.py",
        "(sb[e] != sb[f]), 2.0, 1.0)",
        "(sb[e] != sb[f]), 1.0, 1.0)",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "log-determinant of the sparse tail with the wrong sign",
        B + "factor_sparse.py",
        "return SparseTail(float(np.log(d).sum())",
        "return SparseTail(float(-np.log(d).sum())",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "REML criterion without log|R_X|²",
        B + "lmm.py",
        "return value + f.logdet_fixed if reml else value",
        "return value",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "conditional variances without what the other terms add to block 0",
        B + "solve.py",
        "v0 += _first_block_fill(f, inv_rr)",
        "pass",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "binomial variance μ(1 + μ)",
        B + "family.py",
        "lambda mu: mu * (1.0 - mu)",
        "lambda mu: mu * (1.0 + mu)",
        ("tests/backend/test_glmm_pieces_dense.py",),
    ),
    Bug(
        "Poisson variance μ²",
        B + "family.py",
        '"poisson", link, lambda mu: mu,',
        '"poisson", link, lambda mu: mu * mu,',
        ("tests/backend/test_glmm_pieces_dense.py",),
    ),
    Bug(
        "negative binomial variance μ + μ/θ",
        B + "family.py",
        "return mu + mu**2 / theta",
        "return mu + mu / theta",
        ("tests/backend/test_family_glmmtmb.py",),
    ),
    Bug(
        "Gamma observed information without y/μ",
        B + "family.py",
        "return wt * shape * y / mu",
        "return wt * shape",
        ("tests/backend/test_family_dispersion_densities.py",),
    ),
    Bug(
        "PIRLS weights without the prior weights (trials)",
        B + "pirls.py",
        "weights = problem.prior_weights * dmu**2",
        "weights = dmu**2",
        ("tests/backend/test_glmm_pieces_dense.py",),
    ),
    Bug(
        "adaptive quadrature with the wrong sign of the node term",
        B + "agq.py",
        "- 0.5 * u**2 + 0.5 * x**2",
        "- 0.5 * u**2 - 0.5 * x**2",
        ("tests/backend/test_glmm_pieces_dense.py",),
    ),
    Bug(
        "conditional covariances unscaled on one side only",
        B + "scaling.py",
        "covs.append(cov / np.outer(d, d))",
        "covs.append(cov / d[:, None])",
        ("tests/backend/test_polish_and_scaling.py", "tests/backend/test_lmm_reference.py"),
    ),
    Bug(
        "one-term cross-products with the random columns unweighted",
        B + "crossprod.py",
        "            values = values * sqrt_weights[rows, None]\n",
        "            values = values * 1.0\n",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "one-term LMM objective with the wrong intercept-slope cross term",
        B + "single_term.py",
        "[t1 * t1, t2 * t1]]",
        "[t1 * t1, -t2 * t1]]",
        ("tests/backend/test_single_term.py",),
    ),
    Bug(
        "Bernoulli log density with log mu on every row",
        B + "pirls.py",
        "np.log(np.where(problem.y > 0.5, mu, 1.0 - mu))",
        "np.log(mu)",
        ("tests/backend/test_glmm_reference.py",),
    ),
    Bug(
        "canonical-link working weights without dmu/deta",
        B + "pirls.py",
        "weights = problem.prior_weights * dmu  #",
        "weights = problem.prior_weights * 1.0  #",
        ("tests/backend/test_glmm_reference.py",),
    ),
    Bug(
        "PIRLS's quadratic stop keeping the factor of the step before",
        B + "pirls.py",
        "            f = _factor_at(problem, theta, state, b, update_beta, modes_only)  # at the final modes' weights",
        "            pass",
        ("tests/backend/test_glmm_reference.py", "tests/backend/test_glmm_pieces_dense.py"),
    ),
    Bug(
        "modes-only cross-products at the wrong weights",
        B + "pirls.py",
        "            diag0, tail0, tailtail, mr = self.modes_plan.evaluate(working, weights)",
        "            diag0, tail0, tailtail, mr = self.modes_plan.evaluate(working, weights * 1.01)",
        ("tests/backend/test_glmm_reference.py",),
    ),
    Bug(
        "remembered numeric model matrix with its columns in reverse order",
        "mixedwidgets/design/evaluate.py",
        "for j, source in enumerate(self.sources):",
        "for j, source in enumerate(reversed(self.sources)):",
        ("tests/design/test_plain_matrix.py",),
    ),
    Bug(
        "[X y]'W[X y] by dot products without the weights",
        B + "crossprod_dense.py",
        "weighted = column if w is None else w * column",
        "weighted = column",
        ("tests/backend/test_glmm_reference.py",),
    ),
    Bug(
        "LMM polish thresholds swapped (1e-3 for small tails, 1e-5 for large dense ones)",
        B + "lmm.py",
        "return LMM_POLISH_BELOW if tail < EXPENSIVE_TAIL or not dense_tail else POLISH_BELOW",
        "return POLISH_BELOW if tail < EXPENSIVE_TAIL or not dense_tail else LMM_POLISH_BELOW",
        ("tests/backend/test_lmm_fit_wiring.py",),
    ),
    Bug(
        "one-term q = 2 objective reading T's (1, 0) entry where (1, 1) is",
        B + "single_term.py",
        "return where[(0, 0)], where.get((1, 0), -1), where[(1, 1)]",
        "return where[(0, 0)], where.get((1, 1), -1), where[(1, 0)] if (1, 0) in where else where[(1, 1)]",
        ("tests/backend/test_single_term.py", "tests/backend/test_lmm_reference.py"),
    ),
    # fresh bugs (issue 16, red16): a reviewer's view of the engine, results, inference and fitting layers;
    # caught by the tests that were there, or by tests added with them (see docs/testing.md)
    Bug(
        "fresh: REML dof n - p - 1 in the profiled deviance",
        B + "lmm.py",
        "dof = n - f.p if reml else n",
        "dof = n - f.p - 1 if reml else n",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "fresh: LMM deviance adding the log weights",
        B + "lmm.py",
        "np.log(2.0 * np.pi * r2 / dof)) - log_weights",
        "np.log(2.0 * np.pi * r2 / dof)) + log_weights",
        ("tests/backend/test_lmm_fit_wiring.py",),
    ),
    Bug(
        "fresh: LMM vcov from R_X^-1 R_X^-T (transposed)",
        B + "lmm.py",
        "vcov=sigma2 * rx_inv.T @ rx_inv,",
        "vcov=sigma2 * rx_inv @ rx_inv.T,",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "fresh: LMM log weights halved",
        B + "lmm.py",
        "log_w = 0.0 if w is None else float(np.log(w).sum())",
        "log_w = 0.0 if w is None else 0.5 * float(np.log(w).sum())",
        ("tests/backend/test_lmm_fit_wiring.py",),
    ),
    Bug(
        "fresh: conditional modes multiplied by the column scale",
        B + "scaling.py",
        "modes.append(b / d)",
        "modes.append(b * d)",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "fresh: theta unscaled by the column's scale, not the row's",
        B + "scaling.py",
        "1.0 / term_scales[layout.design_position][layout.rows]",
        "1.0 / term_scales[layout.design_position][layout.cols]",
        ("tests/backend/test_convergence_sweep.py",),
    ),
    Bug(
        "fresh: AGQ node scale = L_gg instead of 1/L_gg",
        B + "agq.py",
        "scale = 1.0 / modes.factor.chol0[:, 0, 0]",
        "scale = modes.factor.chol0[:, 0, 0]",
        ("tests/backend/test_family_glmmtmb.py",),
    ),
    Bug(
        "fresh: AGQ normalising constant log(2 pi) not half",
        B + "agq.py",
        "- 0.5 * np.log(2.0 * np.pi)",
        "- np.log(2.0 * np.pi)",
        ("tests/backend/test_glmm_pieces_dense.py",),
    ),
    Bug(
        "fresh: conditional covariances T'VT instead of TVT'",
        B + "solve.py",
        "return [sigma2 * (t @ v @ t.T) for",
        "return [sigma2 * (t.T @ v @ t) for",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "fresh: conditional modes u T instead of u T'",
        B + "solve.py",
        "return [uk @ t.T for uk, t in zip(u, factors)]",
        "return [uk @ t for uk, t in zip(u, factors)]",
        (DENSE_REFERENCE,),
    ),
    Bug(
        "fresh: finite-difference Hessian cross term over 4h^2",
        B + "convergence.py",
        "- minus[a] - minus[b] + mm) / (2 * h**2)",
        "- minus[a] - minus[b] + mm) / (4 * h**2)",
        ("tests/backend/test_family_glmmtmb.py",),
    ),
    Bug(
        "fresh: GLMM vcov unscaled on the rows only",
        B + "glmm.py",
        "vcov=vcov / np.outer(problem.column_scale, problem.column_scale),",
        "vcov=vcov / problem.column_scale[:, None] ** 2,",
        ("tests/results/test_results_edges.py",),
    ),
    Bug(
        "fresh: GLMM (theta, beta) covariance unscaled on one side",
        B + "glmm.py",
        "parameter_cov = parameter_cov * np.outer(factors[free], factors[free])",
        "parameter_cov = parameter_cov * factors[free][:, None] ** 2",
        ("tests/results/test_parameter_cov_rescaled_oracle.py",),
    ),
    Bug(
        "fresh: Gamma log density without -log y",
        B + "family.py",
        "value = wt * (shape * np.log(ratio) - ratio - np.log(y) - special.gammaln(shape))",
        "value = wt * (shape * np.log(ratio) - ratio - special.gammaln(shape))",
        ("tests/backend/test_family_dispersion_densities.py",),
    ),
    Bug(
        "fresh: NB observed information over (mu+theta) not squared",
        B + "family.py",
        "return wt * theta * mu * (y + theta) / (mu + theta) ** 2",
        "return wt * theta * mu * (y + theta) / (mu + theta)",
        ("tests/backend/test_convergence_edges.py",),
    ),
    Bug(
        "fresh: cloglog link function is loglog",
        B + "family.py",
        "lambda mu: np.log(-np.log1p(-mu)),",
        "lambda mu: np.log(-np.log(mu)),",
        ("tests/backend/test_link_functions_closed_form.py",),
    ),
    Bug(
        "fresh: non-canonical working weights dmu not dmu^2",
        B + "pirls.py",
        "weights = problem.prior_weights * dmu**2 / np.maximum(fam.variance(mu), 1e-300)",
        "weights = problem.prior_weights * dmu / np.maximum(fam.variance(mu), 1e-300)",
        ("tests/backend/test_convergence_edges.py",),
    ),
    Bug(
        "fresh: terms sorted smallest first",
        B + "reterms.py",
        "key=lambda i: -len(design_terms[i].levels)",
        "key=lambda i: len(design_terms[i].levels)",
        ("tests/backend/test_convergence_sweep.py",),
    ),
    Bug(
        "fresh: NB/Gamma vcov block shifted by one (takes log phi)",
        B + "dispersion.py",
        'vcov, source = full_cov[n_free_theta : n_free_theta + p, n_free_theta : n_free_theta + p], "hessian"',
        "vcov, source = full_cov[n_free_theta + 1 : n_free_theta + p + 1, "
        'n_free_theta + 1 : n_free_theta + p + 1], "hessian"',
        ("tests/backend/test_family_glmmtmb.py",),
    ),
    Bug(
        "fresh: one-term W without the sqrt of d2",
        B + "single_term.py",
        "w = (theta[0] / np.sqrt(d2))[:, None] * self.b[0]",
        "w = (theta[0] / d2)[:, None] * self.b[0]",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "fresh: scalar first block theta not squared",
        B + "factor.py",
        "chol = np.sqrt(diag0 * t0[0, 0] ** 2 + 1.0)",
        "chol = np.sqrt(diag0 * t0[0, 0] + 1.0)",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "fresh: Gamma inverse-link information shape/mu^2",
        B + "family.py",
        "return wt * shape * mu**2  #",
        "return wt * shape / mu**2  #",
        ("tests/backend/test_family_dispersion_densities.py",),
    ),
    Bug(
        "fresh: BIC with log(n - p)",
        R + "model.py",
        "return -2.0 * self.loglik + np.log(self.nobs) * self.n_parameters",
        "return -2.0 * self.loglik + np.log(self.nobs - len(self._fit.beta)) * self.n_parameters",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "fresh: glance df_residual = nobs - p",
        R + "tidy.py",
        '"df_residual": model.nobs - model.n_parameters,',
        '"df_residual": model.nobs - len(model.fixef),',
        ("tests/results/test_tidy_broom_mixed.py",),
    ),
    Bug(
        "fresh: prediction drops the first level's random effect",
        R + "model.py",
        "known = c >= 0",
        "known = c > 0",
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "fresh: LMM scaled residuals divided by sqrt(weight)",
        R + "model.py",
        "return r if w is None else r * np.sqrt(w)",
        "return r if w is None else r / np.sqrt(w)",
        ("tests/results/test_weights_oracle.py",),
    ),
    Bug(
        "fresh: Poisson ICC tau2 includes slope variance",
        R + "glmm.py",
        "np.trace(self.covariance(g).to_numpy()[:1, :1])",
        "np.trace(self.covariance(g).to_numpy()[:2, :2])",
        ("tests/results/test_poisson_slope_oracle.py",),
    ),
    Bug(
        "fresh: NB ICC residual without 1/theta",
        R + "glmm.py",
        "float(np.log1p(1.0 / lam + 1.0 / self.dispersion))",
        "float(np.log1p(1.0 / lam))",
        ("tests/fitting/test_fit_negbin_gamma.py",),
    ),
    Bug(
        "fresh: Poisson ICC lambda without tau2/2",
        R + "glmm.py",
        "lam = np.exp(beta0 + tau2 / 2)",
        "lam = np.exp(beta0)",
        ("tests/results/test_icc_oracle.py",),
    ),
    Bug(
        "fresh: conditional ratio from the marginal column",
        R + "glmm.py",
        'np.exp(table.loc[var, "conditional"] * delta)',
        'np.exp(table.loc[var, "marginal"] * delta)',
        ("tests/results/test_marginal.py",),
    ),
    Bug(
        "fresh: Gamma ICC residual log1p(shape)",
        R + "glmm.py",
        'return float(np.log1p(1.0 / self.dispersion)), "approximate (Gamma',
        'return float(np.log1p(self.dispersion)), "approximate (Gamma',
        ("tests/fitting/test_fit_negbin_gamma.py",),
    ),
    Bug(
        "fresh: Gauss-Hermite weights over sqrt(pi)",
        R + "marginal.py",
        "_W = _W / np.sqrt(2.0 * np.pi)",
        "_W = _W / np.sqrt(np.pi)",
        ("tests/results/test_marginal.py",),
    ),
    Bug(
        "fresh: marginal covariances T'T",
        R + "marginal.py",
        "covariances = [t @ t.T for t in structure.factors(theta)]",
        "covariances = [t.T @ t for t in structure.factors(theta)]",
        ("tests/results/test_poisson_slope_oracle.py",),
    ),
    Bug(
        "fresh: marginal mean spread = variance not SD",
        R + "marginal.py",
        "spread = np.sqrt(np.maximum(variance, 0.0))",
        "spread = np.maximum(variance, 0.0)",
        ("tests/results/test_marginal.py",),
    ),
    Bug(
        "fresh: delta-method central difference over h",
        R + "marginal.py",
        "np.ravel(function(down[:k], down[k:]))) / (2 * h)",
        "np.ravel(function(down[:k], down[k:]))) / h",
        ("tests/results/test_marginal.py",),
    ),
    Bug(
        "fresh: marginal coefficients add the offset",
        R + "marginal.py",
        "target = link.link(mean) - rows.offset",
        "target = link.link(mean) + rows.offset",
        ("tests/results/test_offsets_oracle.py",),
    ),
    Bug(
        "fresh: residual vcov = sigma",
        R + "varcorr.py",
        'rows.append(("Residual", None, None, sigma**2, sigma))',
        'rows.append(("Residual", None, None, sigma, sigma))',
        ("tests/results/test_results_edges.py",),
    ),
    Bug(
        "fresh: ranef condsd = conditional variance",
        R + "ranef.py",
        '"condsd": np.sqrt(np.maximum(cov[:, i, i], 0.0)),',
        '"condsd": np.maximum(cov[:, i, i], 0.0),',
        ("tests/backend/test_glmm_reference.py",),
    ),
    Bug(
        "fresh: contextual SE with + 2 cov",
        R + "contextual.py",
        "- 2.0 * vcov.loc[w, b])",
        "+ 2.0 * vcov.loc[w, b])",
        ("tests/results/test_results_edges.py",),
    ),
    Bug(
        "fresh: Mundlak between effect = beta_between alone",
        R + "contextual.py",
        "within, between = float(beta[w]), float(beta[w] + beta[b])",
        "within, between = float(beta[w]), float(beta[b])",
        ("tests/results/test_hybrid.py",),
    ),
    Bug(
        "fresh: GEE NB alpha = theta",
        R + "gee.py",
        "sm.families.NegativeBinomial(alpha=1.0 / model.dispersion)",
        "sm.families.NegativeBinomial(alpha=model.dispersion)",
        ("tests/results/test_gee_estimating_equations.py",),
    ),
    Bug(
        "fresh: LMM t intervals with the normal quantile",
        INF + "ddf.py",
        "half = stats.t.ppf(0.5 + level / 2, df) * se",
        "half = stats.norm.ppf(0.5 + level / 2) * se",
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "fresh: asymptotic F p-value from chi2(F) not chi2(qF)",
        INF + "ddf.py",
        "stats.chi2.sf(f_value * num_df, num_df)",
        "stats.chi2.sf(f_value, num_df)",
        ("tests/inference/test_ddf_behaviour.py",),
    ),
    Bug(
        "fresh: Satterthwaite combined df with e - q + 1",
        INF + "satterthwaite.py",
        "return 2.0 * e / (e - len(nu))",
        "return 2.0 * e / (e - len(nu) + 1)",
        ("tests/inference/test_ddf_behaviour.py",),
    ),
    Bug(
        "fresh: Satterthwaite mean square F sigma not F sigma^2",
        INF + "satterthwaite.py",
        "mean_sq = f_value * sigma**2",
        "mean_sq = f_value * sigma",
        ("tests/inference/test_ddf_lmertest.py",),
    ),
    Bug(
        "fresh: varpar residual dof n for REML",
        INF + "varpar.py",
        "return self.n - self.p if self.reml else self.n",
        "return self.n",
        ("tests/inference/test_ddf_lmertest.py",),
    ),
    Bug(
        "fresh: dV/dsigma = sigma V not 2 sigma V",
        INF + "varpar.py",
        "(2.0 * sigma * center.unscaled_vcov)[None]",
        "(sigma * center.unscaled_vcov)[None]",
        ("tests/inference/test_ddf_lmertest.py",),
    ),
    Bug(
        "fresh: KR adjusted vcov Phi + Phi U Phi",
        INF + "kenward_roger.py",
        "vcov + 2 * vcov @ U @ vcov",
        "vcov + vcov @ U @ vcov",
        ("tests/inference/test_ddf_lmertest.py",),
    ),
    Bug(
        "fresh: KR x = 1 - a1/q",
        INF + "kenward_roger.py",
        "x = 1 - a2 / q",
        "x = 1 - a1 / q",
        ("tests/inference/test_ddf_lmertest.py",),
    ),
    Bug(
        "fresh: profile zeta without sqrt",
        INF + "profile_walk.py",
        "zeta = direction * np.sqrt(max(deviance - dev_min, 0.0))",
        "zeta = direction * max(deviance - dev_min, 0.0)",
        ("tests/inference/test_intervals_profile.py",),
    ),
    Bug(
        "fresh: fixed-effect profile r2 times V_jj",
        INF + "lmm_problem.py",
        "(value - beta_j) ** 2 / float(rx_inv[:, column] @ rx_inv[:, column])",
        "(value - beta_j) ** 2 * float(rx_inv[:, column] @ rx_inv[:, column])",
        ("tests/inference/test_intervals_profile.py",),
    ),
    Bug(
        "fresh: bootstrap refit sigma with ML dof for REML",
        INF + "lmm_problem.py",
        "dof = self.n - self.p if reml else self.n\n        return fixed_effects(f)",
        "dof = self.n\n        return fixed_effects(f)",
        ("tests/inference/test_intervals_bootstrap.py",),
    ),
    Bug(
        "fresh: basic bootstrap bounds swapped",
        INF + "bootstrap.py",
        "lower, upper = 2 * est - reps.quantile(1.0 - alpha), 2 * est - reps.quantile(alpha)",
        "lower, upper = 2 * est - reps.quantile(alpha), 2 * est - reps.quantile(1.0 - alpha)",
        ("tests/inference/test_intervals_bootstrap.py",),
    ),
    Bug(
        "fresh: normal bootstrap without bias correction",
        INF + "bootstrap.py",
        "centre = stats.norm.ppf(1.0 - alpha), 2 * est - reps.mean()",
        "centre = stats.norm.ppf(1.0 - alpha), est",
        ("tests/inference/test_intervals_bootstrap.py",),
    ),
    Bug(
        "fresh: weighted bootstrap noise times sqrt(w)",
        INF + "refit.py",
        "noise /= np.sqrt(np.asarray(design.weights, dtype=float))",
        "noise *= np.sqrt(np.asarray(design.weights, dtype=float))",
        ("tests/inference/test_bootstrap_draws_simulation.py",),
    ),
    Bug(
        "fresh: bootstrap random effects drawn with T'",
        INF + "refit.py",
        "b = scale * rng.standard_normal((len(term.levels), t.shape[0])) @ t.T",
        "b = scale * rng.standard_normal((len(term.levels), t.shape[0])) @ t",
        ("tests/inference/test_intervals_bootstrap.py", "tests/inference/test_bootstrap_draws_simulation.py"),
    ),
    Bug(
        "fresh: PBmodcomp p-value without the +1s",
        INF + "boundary_lrt.py",
        "return float((1 + np.sum(lrt >= observed - 1e-9)) / (1 + len(lrt))), len(lrt)",
        "return float(np.sum(lrt >= observed - 1e-9) / len(lrt)), len(lrt)",
        ("tests/inference/test_pbmodcomp_p_value.py",),
    ),
    Bug(
        "fresh: profile ML deviance with (n - p) log 2 pi s2",
        INF + "lmm_problem.py",
        "f.pwrss / s2 + self.n * np.log(2.0 * np.pi * s2)",
        "f.pwrss / s2 + (self.n - self.p) * np.log(2.0 * np.pi * s2)",
        ("tests/inference/test_intervals_profile.py",),
    ),
    Bug(
        "fresh: overdispersion df not counting theta",
        F + "diagnostics.py",
        "dof = len(design.y) - len(fit.beta) - len(fit.theta)",
        "dof = len(design.y) - len(fit.beta)",
        ("tests/results/test_weights_oracle.py",),
    ),
    Bug(
        "fresh: compare without ML refit of REML fits",
        F + "compare.py",
        "return refit(model, reml=False) if model.reml else model",
        "return model",
        ("tests/fitting/test_compare_oracle.py",),
    ),
    Bug(
        "fresh: summary correlation looked up transposed",
        R + "tables.py",
        "hit = part[(part.var1 == names[j]) & (part.var2 == row.var1)]",
        "hit = part[(part.var1 == row.var1) & (part.var2 == names[j])]",
        ("tests/results/test_summary_shows_no_missing_correlations.py",),
    ),
    Bug(
        "fresh: tidy sd__ rows report the variance",
        R + "tidy.py",
        'rows.append((group, f"sd__{name}", float(sds.sdcor.iloc[i])))',
        'rows.append((group, f"sd__{name}", float(sds.vcov.iloc[i])))',
        ("tests/results/test_tidy_broom_mixed.py",),
    ),
    Bug(
        "fresh: GLMM Pearson residuals at b = 0",
        R + "glmm.py",
        "mu = self.predict()\n        w = np.ones_like(mu)",
        'mu = self.predict(kind="typical")\n        w = np.ones_like(mu)',
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "fresh: average_effect shifts by 1 whatever delta",
        R + "glmm.py",
        "shifted[var] = shifted[var] + delta",
        "shifted[var] = shifted[var] + 1.0",
        ("tests/results/test_marginal.py",),
    ),
    Bug(
        "fresh: ranef levels of the first design term",
        R + "ranef.py",
        "levels = np.asarray(design_terms[layout.design_position].levels, dtype=object)",
        "levels = np.asarray(design_terms[0].levels, dtype=object)",
        ("tests/backend/test_glmm_reference.py",),
    ),
    Bug(
        "fresh: GEE offset not reordered with the rows",
        R + "gee.py",
        'kwargs = {"offset": None if offset is None else offset[order]}',
        'kwargs = {"offset": offset}',
        ("tests/results/test_offsets_oracle.py",),
    ),
    Bug(
        "fresh: GEE binomial weights not reordered",
        R + "gee.py",
        'kwargs["weights"] = np.asarray(design.weights)[order]',
        'kwargs["weights"] = np.asarray(design.weights)',
        ("tests/results/test_gee_row_order.py",),
    ),
    Bug(
        "fresh: odds ratios without delta",
        R + "glmm.py",
        "f\"marginal_{name.replace(' ', '_')}\": float(np.exp(table.loc[var, \"marginal\"] * delta)),",
        "f\"marginal_{name.replace(' ', '_')}\": float(np.exp(table.loc[var, \"marginal\"])),",
        ("tests/results/test_marginal.py",),
    ),
    Bug(
        "fresh: random-effect covariance sigma not sigma^2",
        R + "varcorr.py",
        "return [sigma**2 * t @ t.T for t in structure.factors(theta)]",
        "return [sigma * t @ t.T for t in structure.factors(theta)]",
        ("tests/backend/test_lmm_reference.py",),
    ),
    Bug(
        "fresh: marginal rows of newdata drop the offset",
        R + "marginal.py",
        "return RowsForMarginal(np.asarray(X, dtype=float), np.zeros(len(X)) if offset is None else offset, values)",
        "return RowsForMarginal(np.asarray(X, dtype=float), np.zeros(len(X)), values)",
        ("tests/results/test_offsets_oracle.py",),
    ),
    Bug(
        "fresh: newdata prediction ignores the offset",
        R + "model.py",
        "        if offset is not None:\n            eta = eta + offset\n",
        "        if offset is not None and newdata is None:\n            eta = eta + offset\n",
        ("tests/results/test_newdata_offset_oracle.py",),
    ),
    Bug(
        "fresh: sd/cor -> theta correlation entry with sd1",
        INF + "sdcor.py",
        "return [sd1 / sigma, rho * sd2 / sigma,",
        "return [sd1 / sigma, rho * sd1 / sigma,",
        ("tests/inference/test_intervals_profile.py",),
    ),
    Bug(
        "fresh: correlation names swapped",
        INF + "sdcor.py",
        'else f"cor_{term.columns[r]}.{term.columns[c]}"',
        'else f"cor_{term.columns[c]}.{term.columns[r]}"',
        ("tests/inference/test_intervals_bootstrap.py",),
    ),
    Bug(
        "fresh: profile lower end flagged by the upper bound hit",
        INF + "profile_walk.py",
        "lower = self._end(v, zeta, -z, self.hit_lower, self.lower_bound)",
        "lower = self._end(v, zeta, -z, self.hit_upper, self.lower_bound)",
        ("tests/inference/test_intervals_profile.py",),
    ),
    Bug(
        "fresh: bootstrap binomial draws ignore the trials",
        INF + "refit.py",
        "return rng.binomial(trials, mu) / np.maximum(trials, 1)",
        "return rng.binomial(1, mu).astype(float)",
        ("tests/inference/test_bootstrap_draws_simulation.py",),
    ),
    Bug(
        "fresh: boundary mixture with equal weights",
        INF + "boundary_lrt.py",
        "{j: special.comb(n_sd, j) / 2**n_sd for j in range(n_sd + 1)}",
        "{j: 1.0 / (n_sd + 1) for j in range(n_sd + 1)}",
        ("tests/inference/test_boundary_mixture_two_variances.py",),
    ),
    Bug(
        "fresh: boundary mixture for a correlated term shifted up",
        INF + "boundary_lrt.py",
        "return BoundaryMixture({d - 1: 0.5, d: 0.5}, n_sd == 1)",
        "return BoundaryMixture({d: 0.5, d + 1: 0.5}, n_sd == 1)",
        ("tests/inference/test_intervals_compare.py",),
    ),
    Bug(
        "fresh: KR table SE unadjusted",
        INF + "ddf.py",
        "se = np.sqrt(np.diag(adj.vcov_adjusted))",
        "se = np.sqrt(np.diag(adj.vcov))",
        ("tests/inference/test_ddf_lmertest.py",),
    ),
    Bug(
        "fresh: Poisson log density constant gammaln(y)",
        B + "family.py",
        "return -wt * special.gammaln(y + 1)\n\n\ndef _gaussian",
        "return -wt * special.gammaln(y)\n\n\ndef _gaussian",
        ("tests/backend/test_convergence_sweep.py",),
    ),
    Bug(
        "fresh: AGQ log scale with the wrong sign",
        B + "agq.py",
        "log_integral = np.log(scale) + logsumexp",
        "log_integral = -np.log(scale) + logsumexp",
        ("tests/backend/test_family_glmmtmb.py",),
    ),
    Bug(
        "fresh: logdet of L includes R_X's first pivot",
        B + "factor.py",
        "return d0 + 2.0 * np.log(np.diag(self.tail)[: self.n_random_tail]).sum()",
        "return d0 + 2.0 * np.log(np.diag(self.tail)[: self.n_random_tail + 1]).sum()",
        ("tests/backend/test_convergence_edges.py",),
    ),
    Bug(
        "fresh: observed-information working response without /dmu",
        B + "pirls.py",
        "score = weights * (problem.y - mu) / dmu",
        "score = weights * (problem.y - mu)",
        ("tests/backend/test_convergence_edges.py",),
    ),
    Bug(
        "fresh: binomial constant without the trials' factorial",
        B + "family.py",
        "return special.gammaln(trials + 1) - special.gammaln(successes + 1)",
        "return -special.gammaln(successes + 1)",
        ("tests/backend/test_convergence_sweep.py",),
    ),
    Bug(
        "fresh: singular tolerance 1e-6",
        B + "convergence.py",
        "SINGULAR_TOLERANCE = 1e-4",
        "SINGULAR_TOLERANCE = 1e-6",
        ("tests/backend/test_convergence_edges.py",),
    ),
    Bug(
        "fresh: overdispersion Pearson chi2 without weights",
        F + "diagnostics.py",
        "pearson = ((design.y - fit.mu) ** 2 / (fit.mu / w)).sum()",
        "pearson = ((design.y - fit.mu) ** 2 / fit.mu).sum()",
        ("tests/results/test_weights_oracle.py",),
    ),
    Bug(
        "fresh: compare sorts models by AIC",
        F + "compare.py",
        "key=lambda x: x[0].n_parameters)",
        "key=lambda x: x[0].aic)",
        ("tests/fitting/test_compare_oracle.py",),
    ),
    Bug(
        "fresh: batched bootstrap REML without log|R_X|^2 doubled",
        INF + "batched_lmm.py",
        "value = value + 2.0 * np.log(diag[:, :p]).sum(axis=1)",
        "value = value + np.log(diag[:, :p]).sum(axis=1)",
        ("tests/inference/test_batched_refit_dense.py",),
    ),
    Bug(
        "fresh: batched two-column l10 without t2",
        INF + "batched_lmm.py",
        "l10 = t2 * (t0 * a10 + t1 * a11) / l00",
        "l10 = (t0 * a10 + t1 * a11) / l00",
        ("tests/inference/test_batched_refit_dense.py",),
    ),
    Bug(
        "fresh: printed t values with digits decimals",
        R + "number_format.py",
        "decimals = max(1, min(5, digits - 1))\n    return format_r(np.round",
        "decimals = max(1, min(5, digits))\n    return format_r(np.round",
        ("tests/results/test_number_format_r.py",),
    ),
    Bug(
        "fresh: tidy conf_low from conf_high",
        R + "tidy.py",
        '"conf_low": table["conf_low"].to_numpy(dtype=float),',
        '"conf_low": table["conf_high"].to_numpy(dtype=float),',
        ("tests/results/test_tidy_broom_mixed.py",),
    ),
    Bug(
        "fresh: type 1 contrasts from the lower Cholesky factor",
        INF + "contrasts.py",
        "R = np.linalg.cholesky(X.T @ X).T\n",
        "R = np.linalg.cholesky(X.T @ X)\n",
        ("tests/inference/test_ddf_behaviour.py",),
    ),
    Bug(
        "fresh: summary fit statistics: REML fit shows -2 log L",
        R + "tables.py",
        'if model.family == "gaussian" and model.reml:',
        'if model.family == "gaussian" and not model.reml:',
        ("tests/results/test_summary_tables_oracle.py",),
    ),
    Bug(
        "fresh: scaled residual quantiles at 0.2/0.8",
        R + "tables.py",
        "q = np.quantile(residuals, [0, 0.25, 0.5, 0.75, 1.0])",
        "q = np.quantile(residuals, [0, 0.2, 0.5, 0.8, 1.0])",
        ("tests/results/test_summary_tables_oracle.py",),
    ),
    Bug(
        "fresh: GLMM Wald interval from the t quantile with n - p df",
        R + "model.py",
        "z = stats.norm.ppf(0.5 + level / 2)\n        table",
        "z = stats.t.ppf(0.5 + level / 2, self.nobs - len(self._fit.beta))\n        table",
        ("tests/results/test_fit_statistics_oracle.py",),
    ),
    Bug(
        "fresh: p-values shown with digits decimals",
        R + "number_format.py",
        "shown = max(1, min(5, digits - 1))\n    numbers",
        "shown = max(1, min(5, digits))\n    numbers",
        ("tests/results/test_format_and_guards_edges.py",),
    ),
    Bug(
        "fresh: ICC notes: slope depends shown at x = 1 (icc at 1)",
        R + "icc.py",
        'rows.append((group, icc_at(model, group, {}), scale, "; ".join(notes)))',
        'rows.append((group, icc_at(model, group, {s: 1.0 for s in slopes}), scale, "; ".join(notes)))',
        ("tests/results/test_icc_oracle.py",),
    ),
    Bug(
        "fresh: contextual p one-sided",
        R + "contextual.py",
        "p = float(2.0 * stats.norm.sf(abs(z))) if se > 0",
        "p = float(stats.norm.sf(abs(z))) if se > 0",
        ("tests/results/test_results_edges.py",),
    ),
]


def run(bug: Bug, python: str) -> bool:
    """True when the tests fail with the bug planted (and pass without it is checked by the suite)."""
    with tempfile.TemporaryDirectory(prefix="planted-") as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(ROOT / "mixedwidgets", copy / "mixedwidgets")
        shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
        (copy / "js").symlink_to(ROOT / "js")  # the widgets (test_hybrid.py imports them) read the ES modules
        target = copy / bug.path
        text = target.read_text()
        if text.count(bug.old) != 1:
            raise SystemExit(f"{bug.name}: the text to replace occurs {text.count(bug.old)} times in {bug.path}")
        target.write_text(text.replace(bug.old, bug.new))
        env = {**os.environ, "PYTHONPATH": str(copy)}
        proc = subprocess.run(
            [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *bug.tests],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
        )
        imported = (
            "planted-"
            in subprocess.run(
                [python, "-c", "import mixedwidgets; print(mixedwidgets.__file__)"],
                cwd=copy,
                env=env,
                capture_output=True,
                text=True,
            ).stdout
        )
        if not imported:
            raise SystemExit("the scratch copy was not the package imported: check PYTHONPATH")
        # a test whose fixture fails (ERROR: the fit raised) has noticed the bug too
        failed = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR tests/"))]
        caught = proc.returncode == 1 and bool(failed)
        print(
            f"{'caught ' if caught else 'MISSED '} {bug.name}: " + (failed[0] if failed else proc.stdout[-200:]),
            flush=True,
        )
        return caught


def main(argv: list[str]) -> int:
    chosen = [b for b in BUGS if not argv or any(word in b.name for word in argv)]
    missed = [b.name for b in chosen if not run(b, sys.executable)]
    print(f"{len(chosen) - len(missed)}/{len(chosen)} planted bugs caught" + (f"; missed: {missed}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
