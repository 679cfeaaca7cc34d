"""build_design: from a parsed formula and a DataFrame to the matrices of a mixed model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import overload

import numpy as np
import pandas as pd

from ..errors import MixedModelError
from ..formula import ParsedFormula, call_arguments, column_name, group_factor_names
from ..names import INTERCEPT
from .checks import (
    check_finite,
    check_levels,
    check_magnitude,
    check_random_effect_count,
    independent_columns,
    warn_badly_scaled,
)
from .columns import require_columns
from .encoding import DesignEncoding, TermEncoding
from .evaluate import EvaluatedMatrix, evaluate_expression, evaluate_rhs, rhs_columns, value_columns
from .grouping import encode_group
from .response import family_response, response_parts
from .split_columns import split_columns
from .types import Design, RandomEffectTerm
from .warn import warn_user

WEIGHTS_COLUMN = "(weights)"


@dataclass(frozen=True)
class _Pieces:
    """The formula evaluated on the selected rows (NaN from transforms not yet removed)."""

    response: tuple  # one part (Series or array), or two for cbind(s, f)
    fixed: EvaluatedMatrix
    offsets: tuple[EvaluatedMatrix, ...]
    random: tuple[EvaluatedMatrix | None, ...]  # per formula random term; None = intercept only

    def nan_rows(self) -> np.ndarray:
        arrays = [self.fixed.values, *(o.values for o in self.offsets)]
        arrays += [m.values for m in self.random if m is not None]
        arrays += [np.asarray(p, dtype=np.float64)[:, None] for p in self.response if isinstance(p, np.ndarray)]
        rows = np.zeros(self.fixed.values.shape[0], dtype=bool)
        for array in arrays:
            if not np.isfinite(array).all():
                rows |= np.isnan(array).any(axis=1)
        return rows


def build_design(
    parsed: ParsedFormula,
    data: pd.DataFrame,
    *,
    family: str = "gaussian",
    weights=None,
    with_response: bool = True,
) -> Design:
    """Build the response, fixed-effect matrix and random-effect terms of a mixed model.

    ``weights`` is a column name or an array with one value per row of ``data``. With
    ``with_response=False`` the response is not read (simulation makes it): ``y`` is all NaN.
    Rows with missing values in any column the model uses are dropped (with a
    MixedModelWarning); ``data`` itself is never modified.
    """
    family = _family_name(family)
    frame = _select_columns(parsed, data, weights, with_response)
    frame, n_missing = _drop_rows(frame, frame.isna().any(axis=1).to_numpy(), parsed.text)
    _check_infinite_columns(frame)
    pieces = _evaluate(parsed, frame, with_response)
    nan_rows = pieces.nan_rows()
    if nan_rows.any():
        frame, n_nan = _drop_rows(frame, nan_rows, parsed.text)
        pieces = _evaluate(parsed, frame, with_response)
        warn_user(f"{n_nan} row(s) where the formula gives NaN (e.g. log of a negative number) were dropped")
    if n_missing:
        warn_user(f"{n_missing} row(s) with missing values in the columns the model uses were dropped")
    design = _assemble(parsed, frame, pieces, family, n_missing + int(nan_rows.sum()))
    assert design.row_positions is not None
    kept_all = len(design.row_positions) == len(data)
    return replace(design, row_index=data.index if kept_all else data.index[design.row_positions])


def _family_name(family: str) -> str:
    name = family
    if not isinstance(name, str) or not name.strip():
        raise MixedModelError(f"family must be a name such as 'gaussian', 'binomial' or 'poisson', not {family!r}")
    return name.strip().lower()


def _select_columns(parsed: ParsedFormula, data: pd.DataFrame, weights, with_response: bool) -> pd.DataFrame:
    """The columns the model reads (a new frame; the caller's data is untouched)."""
    if not isinstance(data, pd.DataFrame):
        raise MixedModelError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if len(data) == 0:
        raise MixedModelError("the data has no rows")
    names = _used_columns(parsed, with_response)
    if isinstance(weights, str):
        names.append(weights)
    require_columns(list(dict.fromkeys(names)), data, parsed.text)
    # positions as the index inside the design: labels may repeat; row_index maps back to them
    # built column by column (pandas copies dict data, extension dtypes kept): 40% less than .loc on small frames
    frame = pd.DataFrame({name: data[name].array for name in dict.fromkeys(names)}, index=pd.RangeIndex(len(data)))
    if weights is not None:
        frame[WEIGHTS_COLUMN] = _weights_values(weights, data)
    return frame


def _used_columns(parsed: ParsedFormula, with_response: bool = True) -> list[str]:
    response = _response_columns(parsed.response) if with_response else []
    return response + _fixed_columns(parsed) + _random_columns(parsed)


def _fixed_columns(parsed: ParsedFormula) -> list[str]:
    names = rhs_columns(parsed.fixed)
    for expression in parsed.offsets:
        names += value_columns(expression)
    return list(dict.fromkeys(names))


def _random_columns(parsed: ParsedFormula) -> list[str]:
    names: list[str] = []
    for term in parsed.random:
        names += rhs_columns(term.expr) + list(group_factor_names(term.group))
    return list(dict.fromkeys(names))


def _response_columns(response: str) -> list[str]:
    arguments = call_arguments(response, "cbind") or [response]
    names: list[str] = []
    for expression in arguments:
        name = column_name(expression)
        names += [name] if name is not None else value_columns(expression)
    return names


def _weights_values(weights, data: pd.DataFrame) -> np.ndarray:
    source = data[weights] if isinstance(weights, str) else weights
    label = f"weights '{weights}'" if isinstance(weights, str) else "weights"
    try:
        values = np.asarray(source, dtype=np.float64)
    except (TypeError, ValueError):
        raise MixedModelError(f"{label} must be numeric") from None
    if values.shape != (len(data),):
        raise MixedModelError(
            f"weights must have one value per row of the data ({len(data)}), got shape {values.shape}"
        )
    if (values < 0).any():
        raise MixedModelError(
            f"{label} must be non-negative, but {int((values < 0).sum())} value(s) are negative "
            f"(the smallest is {np.nanmin(values):g})"
        )
    name = weights if isinstance(weights, str) else "weights"
    check_magnitude(values[np.isfinite(values), None], (name,), "the weights")
    return values


def _drop_rows(frame: pd.DataFrame, rows: np.ndarray, text: str) -> tuple[pd.DataFrame, int]:
    """Remove ``rows`` and categories left unused (like R's drop.unused.levels)."""
    count = int(rows.sum())
    if count:
        frame = frame.loc[~rows]
    if len(frame) == 0:
        raise MixedModelError(f"no rows left: every row has a missing value in a column the model uses\n    {text}")
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = _without_unused_categories(frame[name])
    return frame, count


def _without_unused_categories(column: pd.Series) -> pd.Series:
    """Like ``cat.remove_unused_categories`` but O(n) and a no-op when all are used."""
    codes = column.cat.codes.to_numpy()
    used = np.bincount(codes[codes >= 0], minlength=len(column.cat.categories)) > 0
    if used.all():
        return column
    return column.cat.set_categories(column.cat.categories[used])


def _check_infinite_columns(frame: pd.DataFrame) -> None:
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype) and np.isinf(column.to_numpy(dtype=np.float64)).any():
            label = "weights" if name == WEIGHTS_COLUMN else f"column '{name}'"
            raise MixedModelError(f"{label} has infinite values; remove or replace them")


def _evaluate(parsed: ParsedFormula, frame: pd.DataFrame, with_response: bool = True) -> _Pieces:
    fixed = evaluate_rhs(parsed.fixed, frame, "the fixed part")
    offsets = tuple(evaluate_expression(e, frame, "the offset") for e in parsed.offsets)
    # a random term written as the fixed part ("Days" in Days + (Days | Subject)) has the same matrix
    by_expr: dict[str, EvaluatedMatrix | None] = {} if parsed.fixed.strip() == "1" else {parsed.fixed: fixed}
    for term in parsed.random:
        if term.expr not in by_expr:
            where = f"the random term ({term.expr} | {term.group})"
            by_expr[term.expr] = None if term.expr.strip() == "1" else evaluate_rhs(term.expr, frame, where)
    random = tuple(by_expr[term.expr] for term in parsed.random)
    response = response_parts(parsed.response, frame) if with_response else ()
    return _Pieces(response, fixed, offsets, random)


def _assemble(parsed, frame, pieces: _Pieces, family: str, n_dropped: int) -> Design:
    n = len(frame)
    weights = frame[WEIGHTS_COLUMN].to_numpy(dtype=np.float64) if WEIGHTS_COLUMN in frame else None
    if pieces.response:
        y, weights = family_response(parsed.response, pieces.response, family, weights)
    else:
        y = np.full(n, np.nan)
    _check_all_finite(pieces, y, parsed.response)
    kept = independent_columns(pieces.fixed.values, pieces.fixed.names)
    X = pieces.fixed.values if len(kept) == pieces.fixed.values.shape[1] else pieces.fixed.values[:, list(kept)]
    fixed_names = tuple(pieces.fixed.names[j] for j in kept)
    warn_badly_scaled(X, fixed_names)
    offset = np.sum([o.values[:, 0] for o in pieces.offsets], axis=0) if pieces.offsets else None
    terms, term_encodings = _random_effect_terms(parsed, frame, pieces, family)
    encoding = _encoding(parsed, pieces, kept, term_encodings)
    return Design(
        formula=parsed,
        response_name=parsed.response,
        y=_frozen(y),
        X=_frozen(X),
        fixed_names=fixed_names,
        terms=terms,
        weights=_frozen(weights),
        offset=_frozen(offset),
        n_dropped=n_dropped,
        row_index=frame.index,
        row_positions=_frozen(frame.index.to_numpy(dtype=np.int64)),
        encoding=encoding,
        split_columns=split_columns(fixed_names),
        fixed_variables=tuple(rhs_columns(parsed.fixed)),
    )


def _check_all_finite(pieces: _Pieces, y: np.ndarray, response: str) -> None:
    matrices: list[tuple[np.ndarray, tuple[str, ...], str]] = []
    if pieces.response:
        matrices.append((y[:, None], (response,), "the response"))
    matrices += [(pieces.fixed.values, pieces.fixed.names, "the fixed part")]
    matrices += [(offset.values, offset.names, "the offset") for offset in pieces.offsets]
    matrices += [(m.values, m.names, "a random term") for m in pieces.random if m is not None]
    for values, names, where in matrices:
        check_finite(values, names, where)
        check_magnitude(values, names, where)


def _random_effect_terms(parsed, frame, pieces: _Pieces, family: str):
    """Merge formula terms with the same grouping factor into RandomEffectTerms."""
    by_group: dict[str, list[int]] = {}
    for index, term in enumerate(parsed.random):
        by_group.setdefault(term.group, []).append(index)
    terms, encodings = [], []
    for group, indices in by_group.items():
        codes, group_encoding = encode_group(group, frame)
        check_levels(group, len(group_encoding.levels), len(frame), family)
        _check_term_sizes(parsed, pieces, indices, len(group_encoding.levels), len(frame), family)
        columns, blocks, values = _merged_columns(parsed, pieces, indices, len(frame))
        terms.append(
            RandomEffectTerm(
                group=group,
                columns=columns,
                levels=group_encoding.levels,
                codes=_frozen(codes),
                values=_frozen(values),
                blocks=blocks,
            )
        )
        parts = tuple(_spec(pieces.random[i]) for i in indices)
        encodings.append(TermEncoding(group_encoding, parts))
    return tuple(terms), tuple(encodings)


def _check_term_sizes(parsed, pieces: _Pieces, indices, n_levels: int, n: int, family: str) -> None:
    for index in indices:
        term, matrix = parsed.random[index], pieces.random[index]
        width = 1 if matrix is None else len(matrix.names)
        bar = "|" if term.correlated else "||"
        check_random_effect_count(f"({term.expr} {bar} {term.group})", n_levels * width, n, family)


def _merged_columns(parsed, pieces: _Pieces, indices: list[int], n: int):
    columns: list[str] = []
    blocks: list[tuple[int, ...]] = []
    values: list[np.ndarray] = []
    for index in indices:
        term, matrix = parsed.random[index], pieces.random[index]
        names = (INTERCEPT,) if matrix is None else matrix.names
        term_columns = ((0,),) if matrix is None else matrix.term_columns
        if not names:
            raise MixedModelError(f"the random term ({term.expr} | {term.group}) has no columns")
        start = len(columns)
        if term.correlated:
            blocks.append(tuple(range(start, start + len(names))))
        else:
            blocks.extend(tuple(start + k for k in cols) for cols in term_columns if cols)
        columns.extend(names)
        values.append(np.ones((n, 1)) if matrix is None else matrix.values)
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise MixedModelError(
            f"random effect '{repeated[0]}' appears more than once for grouping factor "
            f"'{parsed.random[indices[0]].group}'"
        )
    merged = np.ascontiguousarray(np.column_stack(values)) if len(values) > 1 else values[0]
    return tuple(columns), tuple(blocks), merged


def _encoding(parsed, pieces: _Pieces, kept, term_encodings) -> DesignEncoding:
    return DesignEncoding(
        formula_text=parsed.text,
        fixed_spec=pieces.fixed.spec,
        fixed_kept=tuple(kept),
        offset_specs=tuple(o.spec for o in pieces.offsets),
        terms=tuple(term_encodings),
        fixed_columns=tuple(_fixed_columns(parsed)),
        random_columns=tuple(_random_columns(parsed)),
    )


def _spec(matrix: EvaluatedMatrix | None):
    """The formulaic spec that rebuilds a random term's columns (None for an intercept-only term)."""
    return None if matrix is None else matrix.spec


@overload
def _frozen(array: np.ndarray) -> np.ndarray: ...
@overload
def _frozen(array: None) -> None: ...
def _frozen(array: np.ndarray | None) -> np.ndarray | None:
    """Make an array read-only so the frozen Design cannot be changed through it."""
    if array is None:
        return None
    array = np.asarray(array).view()  # a new view: never touch flags of the caller's arrays
    array.flags.writeable = False
    return array
