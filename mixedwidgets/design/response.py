"""The response vector (and binomial trials) for each family."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import MixedModelError
from ..formula import call_arguments, column_name
from .evaluate import evaluate_expression
from .warn import warn_user


def response_parts(response: str, frame: pd.DataFrame) -> tuple:
    """The response column(s): one for ``y``, two for ``cbind(s, f)``.

    A bare column name gives the column itself (its dtype matters for binomial
    responses); an expression gives a float array evaluated by formulaic.
    """
    arguments = call_arguments(response, "cbind")
    expressions = arguments if arguments is not None else [response]
    return tuple(_part(expression, frame) for expression in expressions)


def _part(expression: str, frame: pd.DataFrame):
    name = column_name(expression)
    if name is not None and name in frame.columns:
        return frame[name]
    return evaluate_expression(expression, frame, "the response").values[:, 0]


def family_response(response: str, parts: tuple, family: str, weights):
    """``(y, weights)`` as float64 arrays for ``family``; checks the values fit it."""
    return _family_values(response, parts, family, weights)


def _family_values(response: str, parts: tuple, family: str, weights):
    if len(parts) == 2:
        if family != "binomial":
            raise MixedModelError(f"cbind(successes, failures) is a binomial response, not {family}")
        return _counts_response(response, parts, weights)
    if family == "binomial":
        return _binomial_response(response, parts[0], weights), weights
    y = _numeric(response, parts[0], family)
    if family in ("poisson", "negative_binomial"):
        _check_counts(response, y, f"a {family.replace('_', '-')} response")
    if family == "gamma" and (y[np.isfinite(y)] <= 0).any():
        raise MixedModelError(
            f"a gamma response must be positive, but '{response}' has values ≤ 0 "
            f"(smallest {np.nanmin(y):g}); add a constant or model zeros separately"
        )
    if family == "gaussian" and weights is not None and (weights == 0).any():
        raise MixedModelError(
            f"{int((weights == 0).sum())} row(s) have weight 0; a Gaussian model needs positive "
            "weights (remove those rows from the data)"
        )
    return y, weights


def _numeric(label: str, part, family: str) -> np.ndarray:
    if isinstance(part, pd.Series):
        dtype = part.dtype
        if isinstance(dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            raise MixedModelError(
                f"the response '{label}' must be numeric for family '{family}', but its dtype is {dtype}"
            )
        return part.to_numpy(dtype=np.float64)
    return np.asarray(part, dtype=np.float64)


def _check_counts(label: str, values: np.ndarray, what: str) -> None:
    if (values < 0).any():
        raise MixedModelError(f"{what} must be non-negative counts, but '{label}' has negative values")
    if (values != np.round(values)).any():
        raise MixedModelError(f"{what} must be whole counts, but '{label}' has non-integer values")


def _counts_response(response: str, parts: tuple, weights):
    successes, failures = (_numeric(response, part, "binomial") for part in parts)
    labels = call_arguments(response, "cbind") or [response, response]
    for values, label in zip((successes, failures), labels, strict=True):
        if (values < 0).any():
            raise MixedModelError(f"cbind() counts must be non-negative, but '{label}' has negative values")
    trials = successes + failures
    if (successes != np.round(successes)).any() or (failures != np.round(failures)).any():
        warn_user(f"non-integer counts in '{response}'")
    y = np.divide(successes, trials, out=np.zeros_like(trials), where=trials > 0)
    return y, trials if weights is None else trials * weights


def _binomial_response(label: str, part, weights) -> np.ndarray:
    if isinstance(part, pd.Series) and not (
        pd.api.types.is_numeric_dtype(part.dtype) and not isinstance(part.dtype, pd.CategoricalDtype)
    ):
        return _two_level_response(label, part)
    y = np.asarray(part, dtype=np.float64)
    if ((y < 0) | (y > 1)).any():
        raise MixedModelError(
            f"a binomial response must lie in [0, 1] (0/1, or a proportion with weights=), "
            f"but '{label}' ranges from {y.min():g} to {y.max():g}; "
            "for counts write cbind(successes, failures)"
        )
    if weights is None and ((y != 0) & (y != 1)).any():
        raise MixedModelError(
            f"'{label}' holds proportions: give the number of trials with weights=, "
            "or write the response as cbind(successes, failures)"
        )
    if weights is not None and (np.abs(y * weights - np.round(y * weights)) > 1e-8).any():
        warn_user("non-integer number of successes (response x weights)")
    return y


def _two_level_response(label: str, part: pd.Series) -> np.ndarray:
    """Booleans, or a two-level category/string: the second level is success (1)."""
    if pd.api.types.is_bool_dtype(part.dtype):
        return part.to_numpy(dtype=np.float64)
    if isinstance(part.dtype, pd.CategoricalDtype):
        levels = list(part.cat.categories)
        codes = part.cat.codes.to_numpy()
    else:
        codes, uniques = pd.factorize(part.astype(str), sort=True)
        levels = list(uniques)
    if len(levels) != 2:
        raise MixedModelError(
            f"a categorical binomial response needs exactly two levels, but '{label}' has {len(levels)}: {levels[:10]}"
        )
    return (np.asarray(codes) == 1).astype(np.float64)
