"""Planted bugs in fitting and design (mixedwidgets/fitting/, mixedwidgets/design/).
Each is caught by the tests it names (tools/planted_bugs.py runs them)."""

from __future__ import annotations

from .bug import Bug, F

FITTING = [
    Bug(
        "LRT p-value with one df too many",
        "mixedwidgets/fitting/compare.py",
        "stats.chi2.sf(chisq, df)",
        "stats.chi2.sf(chisq, df + 1)",
        ("tests/fitting/test_compare_oracle.py",),
    ),
    Bug(
        "overdispersion warning never fires",
        "mixedwidgets/fitting/diagnostics.py",
        "if ratio <= OVERDISPERSION_RATIO:",
        "if ratio >= 0:",
        ("tests/fitting/test_overdispersion_oracle.py",),
    ),
    Bug(
        "LRT chi-square clamped at 1",
        "mixedwidgets/fitting/compare.py",
        "max(prev.objective - m.objective, 0.0)",
        "max(prev.objective - m.objective, 1.0)",
        ("tests/results/test_results_edges.py",),
    ),
    Bug(
        "remembered numeric model matrix with its columns in reverse order",
        "mixedwidgets/design/evaluate.py",
        "for j, source in enumerate(self.sources):",
        "for j, source in enumerate(reversed(self.sources)):",
        ("tests/design/test_plain_matrix.py",),
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
]
