"""Checks lme4 makes on a design: rank of X, scaling, levels and sizes."""

from __future__ import annotations

from typing import cast

import numpy as np

from ..errors import MixedModelError
from .warn import warn_user

RANK_TOLERANCE = 1e-7  # as R's qr()
SCALE_RATIO_LIMIT = 1e4
LARGEST_MAGNITUDE = 1e150  # squares and sums of squares stay finite and normal
#: rows per block of the column statistics below
COLUMN_BLOCK = 1 << 16


def _column_blocks(values: np.ndarray):
    """values in blocks of rows, each transposed to contiguous rows: numpy reduces along a contiguous axis
    many times faster than down the columns of a row-major (n, p) array (11 ms against 0.7 ms for the max of
    200,000 × 3 here), and a block at a time keeps the copy small."""
    for start in range(0, values.shape[0], COLUMN_BLOCK):
        yield np.ascontiguousarray(values[start : start + COLUMN_BLOCK].T)


def column_extremes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest and smallest value of each column."""
    high, low = np.full(values.shape[1], -np.inf), np.full(values.shape[1], np.inf)
    for block in _column_blocks(values):
        np.maximum(high, block.max(axis=1), out=high)
        np.minimum(low, block.min(axis=1), out=low)
    return high, low


def column_sds(values: np.ndarray) -> np.ndarray:
    """Each column's standard deviation (divisor n, as numpy's std), from its mean in a first pass."""
    n = values.shape[0]
    mean = sum(block.sum(axis=1) for block in _column_blocks(values)) / n
    squares = sum(np.square(block - mean[:, None]).sum(axis=1) for block in _column_blocks(values))
    return np.sqrt(squares / n)


def independent_columns(X: np.ndarray, names: tuple[str, ...]) -> tuple[int, ...]:
    """Indices of the columns of X to keep; later columns that are linear
    combinations of earlier ones are dropped with a warning (like lme4)."""
    n, p = X.shape
    if p == 0:
        return ()
    # X = QR with orthonormal Q, so the columns of R have the same lengths and linear relations.
    R: np.ndarray = chunked_qr_r(X) if n >= p else X
    norms = np.sqrt((R * R).sum(axis=0))
    kept = _greedy_independent(R, norms)
    kept_set = set(kept)
    dropped = [names[j] for j in range(p) if j not in kept_set]
    if dropped:
        warn_user(
            f"fixed-effect model matrix is rank deficient, so dropping {len(dropped)} column(s): {', '.join(dropped)}"
        )
    return tuple(kept)


def chunked_qr_r(X: np.ndarray, rows: int = 1 << 18) -> np.ndarray:
    """R of X = QR, from the R factors of blocks of rows stacked and factored again (TSQR):
    as stable as one QR, without copying all of X."""
    p = X.shape[1]
    r = np.zeros((0, p))
    for start in range(0, X.shape[0], rows):
        r = cast(np.ndarray, np.linalg.qr(np.vstack([r, X[start : start + rows]]), mode="r"))  # stubs: QRResult
    return r


def _greedy_independent(R: np.ndarray, norms: np.ndarray) -> list[int]:
    """Keep each column whose distance to the span of the kept ones is not negligible."""
    basis = np.empty((R.shape[0], 0))
    kept: list[int] = []
    for j in range(R.shape[1]):
        residual = R[:, j].astype(np.float64, copy=True)
        for _ in range(2):  # twice, for numerical orthogonality
            residual -= basis @ (basis.T @ residual)
        size = np.linalg.norm(residual)
        if norms[j] > 0 and size > RANK_TOLERANCE * norms[j]:
            basis = np.column_stack([basis, residual / size])
            kept.append(j)
    return kept


def warn_badly_scaled(X: np.ndarray, names: tuple[str, ...]) -> None:
    """Warn when non-constant predictors have very different spreads, or a continuous
    predictor has a very large or very small spread on its own (as lme4's check.scaleX)."""
    if X.shape[1] == 0:
        return
    spreads = column_sds(X)
    high, low = column_extremes(X)
    varying = np.flatnonzero(spreads > 1e-12 * np.maximum(np.maximum(high, -low), 1e-300))
    if len(varying) == 0:
        return
    largest = varying[np.argmax(spreads[varying])]
    smallest = varying[np.argmin(spreads[varying])]
    if spreads[largest] > SCALE_RATIO_LIMIT * spreads[smallest]:
        warn_user(
            f"some predictors are on very different scales ('{names[largest]}' sd "
            f"{spreads[largest]:.3g}, '{names[smallest]}' sd {spreads[smallest]:.3g}); "
            "consider rescaling them"
        )
        return
    _warn_extreme_spread(X, spreads, varying, names)


def _warn_extreme_spread(X: np.ndarray, spreads: np.ndarray, varying, names) -> None:
    continuous = [j for j in varying if not ((X[:, j] == 0.0) | (X[:, j] == 1.0)).all()]
    extreme = [j for j in continuous if not 1 / SCALE_RATIO_LIMIT <= spreads[j] <= SCALE_RATIO_LIMIT]
    if extreme:
        shown = ", ".join(f"'{names[j]}' sd {spreads[j]:.3g}" for j in extreme)
        warn_user(
            f"some predictors have a very large or very small spread ({shown}); "
            "consider rescaling them (e.g. to standard deviation 1)"
        )


def check_magnitude(values: np.ndarray, names: tuple[str, ...], where: str) -> None:
    """Values whose squares overflow or underflow in double precision are an error."""
    if values.size == 0:
        return
    high, low = column_extremes(values)
    largest = np.maximum(high, -low)
    for name, size in zip(names, largest):
        if size > LARGEST_MAGNITUDE or 0 < size < 1 / LARGEST_MAGNITUDE:
            raise MixedModelError(
                f"{where}: '{name}' has values of magnitude {size:.3g}, too far from 1 to compute "
                "with in double precision; rescale it (e.g. to standard deviation 1)"
            )


def check_levels(group: str, n_levels: int, n_obs: int, family: str) -> None:
    """A grouping factor needs >= 2 levels, and (Gaussian) fewer levels than rows."""
    if n_levels < 2:
        raise MixedModelError(f"grouping factor '{group}' has {n_levels} level(s); a random effect needs at least 2")
    if family == "gaussian" and n_levels >= n_obs:
        raise MixedModelError(
            f"grouping factor '{group}' has as many levels ({n_levels}) as observations "
            f"({n_obs}); the random effect and the residual variance are not identifiable"
        )


def check_random_effect_count(term: str, count: int, n_obs: int, family: str) -> None:
    """lme4's check.nobs.vs.nRE, per formula term: a term needs fewer random effects than
    observations when a residual variance is estimated (Gaussian), no more than them otherwise."""
    too_many = count >= n_obs if family == "gaussian" else count > n_obs
    if too_many:
        scale = " and the residual variance" if family == "gaussian" else ""
        raise MixedModelError(
            f"the random term {term} has {count} random effects but only {n_obs} observations; "
            f"the random-effect variances{scale} are not identifiable"
        )


def check_finite(values: np.ndarray, names: tuple[str, ...], where: str) -> None:
    """Infinite values (NaN rows are dropped before) are an error naming the column."""
    if np.isfinite(values.sum()):  # one contiguous pass, no mask: an inf makes the sum inf or NaN
        return
    finite = np.isfinite(values)
    if not finite.all():
        column = names[int(np.flatnonzero(~finite.all(axis=0))[0])]
        raise MixedModelError(f"{where}: '{column}' has infinite values")
