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
        "LMM polish thresholds swapped (1e-3 for small tails, 1e-5 for large)",
        B + "lmm.py",
        "return LMM_POLISH_BELOW if tail < EXPENSIVE_TAIL else POLISH_BELOW",
        "return POLISH_BELOW if tail < EXPENSIVE_TAIL else LMM_POLISH_BELOW",
        ("tests/backend/test_lmm_fit_wiring.py",),
    ),
    Bug(
        "one-term q = 2 objective reading T's (1, 0) entry where (1, 1) is",
        B + "single_term.py",
        "return where[(0, 0)], where.get((1, 0), -1), where[(1, 1)]",
        "return where[(0, 0)], where.get((1, 1), -1), where[(1, 0)] if (1, 0) in where else where[(1, 1)]",
        ("tests/backend/test_single_term.py", "tests/backend/test_lmm_reference.py"),
    ),
]


def run(bug: Bug, python: str) -> bool:
    """True when the tests fail with the bug planted (and pass without it is checked by the suite)."""
    with tempfile.TemporaryDirectory(prefix="planted-") as scratch:
        copy = Path(scratch) / "repo"
        shutil.copytree(ROOT / "mixedwidgets", copy / "mixedwidgets")
        shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
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
