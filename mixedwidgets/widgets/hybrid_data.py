"""What the hybrid view draws: each group's within-slope and the between-group line, from a fit.

Everything is read from the fitted model's design and estimates. The variable's values and
group means come from the design matrix (x = within + between in the hybrid form, x itself
in Mundlak's form), so rows dropped from the fit are not drawn. Other fixed effects are held
at their means. For GLMMs the lines are on the link scale and no observations are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MixedModelError
from ..names import INTERCEPT
from ..results.contextual import ContextualEffect, contextual_effect
from ..results.hybrid_terms import HybridTerms, find_hybrid_terms
from .reader import ModelReader, reader_for


@dataclass(frozen=True)
class HybridViewData:
    """Per-group centres, within-slopes and x ranges, and the between-group line."""

    variable: str
    group: str
    y_label: str
    levels: tuple[str, ...]
    x: np.ndarray  # the variable, one value per row used
    y: np.ndarray | None  # the observed response (Gaussian), else None
    centre_x: np.ndarray  # group mean of the variable, per level
    centre_y: np.ndarray  # model value at the group mean (with the group's random intercept)
    slope: np.ndarray  # within-slope per level (β_within plus a random slope, if any)
    x_low: np.ndarray  # range of the variable in each group
    x_high: np.ndarray
    between_intercept: float
    between_slope: float
    effect: ContextualEffect

    def within_segments(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of one two-point line per group, shape (levels, 2) each."""
        xs = np.column_stack([self.x_low, self.x_high])
        ys = self.centre_y[:, None] + self.slope[:, None] * (xs - self.centre_x[:, None])
        return xs, ys

    def between_segment(self) -> tuple[np.ndarray, np.ndarray]:
        """The between-group line across the range of the group means."""
        xs = np.array([self.centre_x.min(), self.centre_x.max()])
        return xs, self.between_intercept + self.between_slope * xs


def _design_term(reader: ModelReader, terms: HybridTerms, group: str | None):
    wanted = group or terms.group
    available = list(reader.design_terms)
    if wanted is None and len(available) == 1:
        return available[0]
    for term in available:  # the user may write a group name with or without formulaic's backticks
        if term.group == wanted or term.group.replace("`", "") == str(wanted).replace("`", ""):
            return term
    names = ", ".join(repr(t.group) for t in available)
    raise MixedModelError(
        f"the hybrid view needs the grouping factor of '{terms.variable}' among the model's "
        f"random effects ({names}); name it with group="
    )


def _row_values(reader: ModelReader, terms: HybridTerms) -> tuple[np.ndarray, np.ndarray]:
    names = list(reader.fixed_names)
    X = reader.fixed_matrix
    w, b = X[:, names.index(terms.within_name)], X[:, names.index(terms.between_name)]
    return (w if terms.mundlak else w + b), b


def _ranef_by_level(model, group: str, column: str, levels) -> np.ndarray:
    frame = model.ranef()
    rows = frame[(frame["group"] == group) & (frame["term"] == column)]
    values = dict(zip(rows["level"].astype(str), rows["condval"]))
    return np.array([float(values.get(str(level), 0.0)) for level in levels])


def _other_columns_at_means(reader: ModelReader, terms: HybridTerms) -> float:
    X = reader.fixed_matrix
    skip = {INTERCEPT, terms.within_name, terms.between_name}
    return float(sum(reader.model.fixef[n] * X[:, k].mean() for k, n in enumerate(reader.fixed_names) if n not in skip))


def _per_level(values: np.ndarray, codes: np.ndarray, n: int, how) -> np.ndarray:
    return np.array([how(values[codes == j]) if (codes == j).any() else np.nan for j in range(n)])


def hybrid_view_data(model, variable: str, group: str | None = None) -> HybridViewData:
    """Compute what the hybrid view draws for ``variable`` of a fitted hybrid model."""
    reader = reader_for(model)
    model = reader.model
    terms = find_hybrid_terms(reader.design, variable, group)
    effect = contextual_effect(model, variable, group)
    term = _design_term(reader, terms, group)
    codes, n = np.asarray(term.codes), len(term.levels)
    x, row_means = _row_values(reader, terms)
    centre_x = _per_level(row_means, codes, n, np.mean)
    intercept = float(model.fixef.get(INTERCEPT, 0.0)) + _other_columns_at_means(reader, terms)
    u0 = _ranef_by_level(model, term.group, INTERCEPT, term.levels)
    u1 = _ranef_by_level(model, term.group, terms.within_name, term.levels)
    gaussian = not reader.is_glmm
    y_label = reader.response_name + ("" if gaussian else " (link scale)")
    return HybridViewData(
        variable=variable,
        group=term.group,
        y_label=y_label,
        levels=tuple(map(str, term.levels)),
        x=x,
        y=reader.response if gaussian else None,
        centre_x=centre_x,
        centre_y=intercept + effect.between * centre_x + u0,
        slope=effect.within + u1,
        x_low=_per_level(x, codes, n, np.min),
        x_high=_per_level(x, codes, n, np.max),
        between_intercept=intercept,
        between_slope=effect.between,
        effect=effect,
    )
