"""Which term the LMM engine eliminates first, and the fit taken back to lme4's order of terms.

Terms are laid out by number of levels, largest first (lme4's order: θ, the modes and their covariances
are reported that way). The engine eliminates its first term level by level and factors the others
(the tail) together, densely when they are crossed, at m³/3 flops an evaluation for a tail of m random
effects. A vector term can hold more random effects than the term with most levels: `(1 + x | item)`
with 1,388 items beside `(1 | subject)` with 1,396 subjects leaves a tail of 2,779 in lme4's order and
of 1,399 with the items first (52 ms against ~10 ms a Cholesky here; a fit 6.0 s against lme4's 3.3 s).
So when the tail in lme4's order holds REORDER_FROM random effects or more, the engine takes the term
with most random effects first; the finished fit is mapped back (θ, modes, covariances, optimizer
record, gradient), so nothing outside the engine sees the engine's order.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .convergence import excluded_from_derivatives
from .fit_record import DeferredCovariances, LmmFit
from .reterms import RandomEffectsStructure

#: the engine's order differs from lme4's only when lme4's would leave a tail at least this large
REORDER_FROM = 500


class EliminationOrder:
    """The engine's order of the terms: `order[k]` is the lme4 position of the engine's k-th term, and
    θ_engine = θ_lme4[perm]."""

    def __init__(self, structure: RandomEffectsStructure, order: list[int]):
        self.lme4 = structure
        self.order = order
        terms: list = []
        perm: list[int] = []
        start = 0
        for i in order:
            term = structure.terms[i]
            count = term.theta_slice.stop - term.theta_slice.start
            terms.append(replace(term, theta_slice=slice(start, start + count)))
            perm.extend(range(term.theta_slice.start, term.theta_slice.stop))
            start += count
        self.perm = np.asarray(perm, dtype=np.intp)
        self.engine = RandomEffectsStructure(tuple(terms), structure.lower[self.perm], structure.theta0[self.perm])

    def theta_to_lme4(self, theta_engine: np.ndarray) -> np.ndarray:
        out = np.empty_like(theta_engine)
        out[self.perm] = theta_engine
        return out

    def terms_to_lme4(self, per_term):
        """A per-term sequence in the engine's order, in lme4's."""
        out = [None] * len(self.order)
        for k, i in enumerate(self.order):
            out[i] = per_term[k]
        return tuple(out)

    def fit_to_lme4(self, fit: LmmFit) -> LmmFit:
        """The engine's fit with everything ordered as lme4 orders the terms."""
        report = fit.convergence
        if report.gradient.size:  # over the parameters not at a bound, in the engine's order
            free = ~excluded_from_derivatives(fit.theta, self.engine.lower, None)
            position = self.perm[free] if free.sum() == report.gradient.size else np.arange(report.gradient.size)
            report = replace(report, gradient=report.gradient[np.argsort(position, kind="stable")], hessian=None)
        covariances = fit.ranef_cov
        if isinstance(covariances, DeferredCovariances):
            engine_covariances = covariances
            ranef_cov = DeferredCovariances(lambda: self.terms_to_lme4(engine_covariances.values()), len(self.order))
        else:
            ranef_cov = self.terms_to_lme4(covariances)
        opt = fit.optsummary
        return replace(
            fit,
            structure=self.lme4,
            theta=self.theta_to_lme4(fit.theta),
            ranef=self.terms_to_lme4(fit.ranef),
            ranef_cov=ranef_cov,
            optsummary=replace(opt, initial=self.theta_to_lme4(opt.initial), final=self.theta_to_lme4(opt.final)),
            convergence=report,
        )


def elimination_order(structure: RandomEffectsStructure) -> EliminationOrder | None:
    """The term with most random effects first, when lme4's order would leave a tail of REORDER_FROM
    or more and another term holds more random effects than the first; None keeps lme4's order."""
    terms = structure.terms
    if len(terms) < 2 or structure.q_total - terms[0].size < REORDER_FROM:
        return None
    first = max(range(len(terms)), key=lambda i: (terms[i].size, -i))
    if terms[first].size <= terms[0].size:
        return None
    return EliminationOrder(structure, [first] + [i for i in range(len(terms)) if i != first])
