"""The term structure of the fixed part: which columns of X belong to which formula term, and the
variables of each term, as R's `terms()` and the `assign` attribute of `model.matrix` give them.

The F tests of `anova` need it: type I tests the columns of each term in turn, type III builds contrasts
from the cell-means design (every level of every factor of a term, `~ 0 + term` in R) and R's
treatment coding. Both are rebuilt here from formulaic's ModelSpec and the rows the fit used.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import cast

import numpy as np
import pandas as pd

from .checks import _greedy_independent
from .evaluate import evaluate_rhs


@dataclass(frozen=True)
class FixedTerm:
    """One term of the fixed part (the intercept is not a term, as in R's term labels)."""

    label: str  # "recipe:temp", "Days"
    variables: tuple[str, ...]  # the term's variables (formulaic factor expressions), in order
    categorical: tuple[bool, ...]  # per variable: a factor (True) or numeric (False)
    columns: tuple[int, ...]  # the term's columns in X (aliased columns already dropped)

    @property
    def order(self) -> int:
        return len(self.variables)


@dataclass(frozen=True)
class FixedStructure:
    """The terms of the fixed part in R's order (by interaction order, then as written)."""

    intercept: int | None  # column of the intercept in X, if any
    terms: tuple[FixedTerm, ...]


def fixed_structure(design, frame: pd.DataFrame | None = None) -> FixedStructure:
    """The fixed part's terms and their columns in X, read off the ModelSpec the design kept. With the
    rows used (`frame`), logical columns count as factors, as R's model.matrix codes them (formulaic
    takes them as numbers 0/1: the same columns, but not the same type III containment)."""
    spec = design.encoding.fixed_spec
    kept = {formulaic: position for position, formulaic in enumerate(design.encoding.fixed_kept)}
    intercept, terms, start = None, [], 0
    for structure in spec.structure:
        count = len(structure.columns)
        columns = tuple(kept[j] for j in range(start, start + count) if j in kept)
        start += count
        if str(structure.term) == "1":
            intercept = columns[0] if columns else None
            continue
        variables = tuple(str(factor.expr) for factor in structure.term.factors)
        kinds = tuple(_is_categorical(spec, v) or _is_logical(v, frame) for v in variables)
        terms.append(FixedTerm(str(structure.term), variables, kinds, columns))
    return FixedStructure(intercept, tuple(terms))


def _is_categorical(spec, variable: str) -> bool:
    state = spec.encoder_state.get(variable)
    return state is not None and getattr(state[0], "value", str(state[0])) == "categorical"


def _is_logical(variable: str, frame: pd.DataFrame | None) -> bool:
    return frame is not None and variable in frame.columns and pd.api.types.is_bool_dtype(frame[variable])


def used_rows(design, data: pd.DataFrame) -> pd.DataFrame:
    """The caller's rows the fit used, in the fit's order (a new frame)."""
    return data.iloc[np.asarray(design.row_positions)].reset_index(drop=True)


def variable_columns(variable: str, categorical: bool, frame: pd.DataFrame) -> np.ndarray:
    """A factor's indicator of every level present (R's `~ 0 + f`), or a numeric variable's columns."""
    values = evaluate_rhs(f"0 + {variable}", frame, f"the variable {variable!r}").values
    if categorical and _is_logical(variable, frame):
        values = np.column_stack([1.0 - values[:, 0], values[:, 0]])  # levels FALSE, TRUE
    return values[:, values.any(axis=0)] if categorical else values


@dataclass(frozen=True)
class TermCells:
    """A term's cell-means columns (R's `model.matrix(~ 0 + term)`) and which of them R's treatment
    coding of the full model keeps."""

    cells: np.ndarray  # (n, number of cells)
    treatment: tuple[int, ...]  # indices into cells: the columns of the treatment-coded X


def term_cells(
    term: FixedTerm,
    frame: pd.DataFrame,
    model_terms: set[frozenset],
    has_intercept: bool,
    first_factor_term: bool,
    evaluated: dict[str, np.ndarray] | None = None,
) -> TermCells:
    """Cells of one term, and the treatment-coded subset under R's marginality rule: a factor is coded by
    contrasts (first level dropped) when the term without it is in the model, else by all its levels.
    `evaluated` keeps each variable's columns between calls (a variable is in several terms)."""
    evaluated = {} if evaluated is None else evaluated
    pieces, keep = [], []
    for variable, categorical in zip(term.variables, term.categorical):
        if variable not in evaluated:
            evaluated[variable] = variable_columns(variable, categorical, frame)
        columns = evaluated[variable]
        pieces.append(columns)
        rest = frozenset(term.variables) - {variable}
        contrasted = rest in model_terms if rest else (has_intercept or not first_factor_term)
        keep.append(range(1, columns.shape[1]) if categorical and contrasted else range(columns.shape[1]))
    combos = list(product(*[range(p.shape[1]) for p in pieces]))
    cells = np.column_stack([np.prod([p[:, k] for p, k in zip(pieces, combo)], axis=0) for combo in combos])
    chosen = set(product(*keep))
    return TermCells(cells, tuple(i for i, combo in enumerate(combos) if combo in chosen))


def full_rank_columns(X: np.ndarray) -> tuple[int, ...]:
    """Columns kept when later ones that are combinations of earlier ones are dropped (R's qr pivoting)."""
    R = cast(np.ndarray, np.linalg.qr(X, mode="r")) if X.shape[0] >= X.shape[1] else X  # stubs: QRResult
    return tuple(_greedy_independent(R, np.sqrt((R * R).sum(axis=0))))
