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
        R + "model.py",
        '(1 if self.family == "gaussian" else 0)',
        "1",
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
        failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
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
