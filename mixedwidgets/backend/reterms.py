"""The random-effects structure as the engine sees it: terms sorted by levels and the θ → Λ map.

Terms are sorted by number of levels, largest first (stable, as lme4 does), so that the first
diagonal block of Λ'Z'ZΛ + I is block-diagonal and stays so in its Cholesky factor. Each term has a
lower-triangular relative covariance factor T_k (q_k × q_k); Λ is block-diagonal with T_k repeated
once per level. θ lists the free entries of every T_k, column by column (lme4's order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TermLayout:
    """One random-effect term: its size and where its θ entries sit in T."""

    design_position: int  # index in Design.terms (formula order)
    group: str
    columns: tuple[str, ...]
    n_levels: int
    rows: np.ndarray  # row index in T of each θ entry of this term
    cols: np.ndarray  # column index in T of each θ entry
    theta_slice: slice  # where this term's entries sit in θ

    @property
    def q(self) -> int:
        return len(self.columns)

    @property
    def size(self) -> int:
        """Number of random effects of the term: levels × columns."""
        return self.n_levels * self.q

    def factor(self, theta: np.ndarray) -> np.ndarray:
        """The lower-triangular relative covariance factor T of this term at θ."""
        t = np.zeros((self.q, self.q))
        t[self.rows, self.cols] = theta[self.theta_slice]
        return t


@dataclass(frozen=True)
class RandomEffectsStructure:
    """Sorted terms plus the parameter vector's bounds and starting value."""

    terms: tuple[TermLayout, ...]
    lower: np.ndarray
    theta0: np.ndarray

    @property
    def n_theta(self) -> int:
        return len(self.theta0)

    @property
    def q_total(self) -> int:
        return sum(t.size for t in self.terms)

    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        return [term.factor(theta) for term in self.terms]

    def column_ids(self) -> np.ndarray:
        """Per θ entry, a number shared by the entries of one column of one T (negating a whole column
        of T leaves the covariance TT' unchanged)."""
        ids, offset = [], 0
        for t in self.terms:
            ids.append(offset + t.cols)
            offset += t.q
        return np.concatenate(ids) if ids else np.zeros(0, dtype=int)

    def is_diagonal_entry(self) -> np.ndarray:
        """True where a θ entry sits on a diagonal of T (an SD, bounded below by 0); False for a correlation."""
        return np.concatenate([t.rows == t.cols for t in self.terms])


def lower_triangle_entries(q: int, blocks: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of T's free entries, column-major, keeping only pairs within one correlated block."""
    block_of = np.empty(q, dtype=int)
    for b, members in enumerate(blocks):
        block_of[list(members)] = b
    rows, cols = [], []
    for c in range(q):
        for r in range(c, q):
            if block_of[r] == block_of[c]:
                rows.append(r)
                cols.append(c)
    return np.array(rows, dtype=int), np.array(cols, dtype=int)


def build_structure(design_terms) -> RandomEffectsStructure:
    """Sort the design's random-effect terms by number of levels (largest first) and lay out θ."""
    order = sorted(range(len(design_terms)), key=lambda i: -len(design_terms[i].levels))
    layouts, lower, theta0 = [], [], []
    start = 0
    for position in order:
        term = design_terms[position]
        rows, cols = lower_triangle_entries(len(term.columns), term.blocks)
        diagonal = rows == cols
        layouts.append(
            TermLayout(
                design_position=position,
                group=term.group,
                columns=tuple(term.columns),
                n_levels=len(term.levels),
                rows=rows,
                cols=cols,
                theta_slice=slice(start, start + len(rows)),
            )
        )
        lower.append(np.where(diagonal, 0.0, -np.inf))
        theta0.append(diagonal.astype(float))
        start += len(rows)
    return RandomEffectsStructure(tuple(layouts), np.concatenate(lower), np.concatenate(theta0))


def random_effect_count(design_terms) -> int:
    """Random effects of a design's terms (levels × columns, summed): the largest order a tail can have."""
    return sum(len(term.levels) * len(term.columns) for term in design_terms)
