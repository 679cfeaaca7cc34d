"""Guards around the engine: numerical breakdowns become MixedModelError, estimates are checked.

The engine's linear algebra can fail on data it was never meant to see (a response fitted exactly,
variances so extreme that a factorization breaks down). Such failures reach the user as a
MixedModelError that says what to try, never as a LinAlgError from deep inside scipy, and a fit
whose estimates are not finite numbers is never returned as if it were valid.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..backend.fit_record import LmmFit
from ..design.warn import warn_user
from ..errors import MixedModelError

NUMERICAL_FAILURES = (np.linalg.LinAlgError, FloatingPointError, OverflowError, ZeroDivisionError)
EXACT_FIT_RATIO = 1e-6  # residual SD below this fraction of the response's SD: an exact fit
SUGGESTION = (
    "check the data for a response that the predictors reproduce exactly, predictors on extreme "
    "scales (rescale them), or a random-effects structure too rich for the data (simplify it)"
)


class _ProgressFailed(BaseException):
    """Carries an exception raised by the user's progress callback past the engine's handlers."""

    def __init__(self, original: BaseException):
        super().__init__(original)
        self.original = original


def guarded_progress(progress):
    """The user's progress callback, its exceptions (KeyboardInterrupt too) wrapped so that they
    come out of numerical_failures_reported exactly as raised."""
    if progress is None:
        return None

    def report(evaluations, objective):
        try:
            progress(evaluations, objective)
        except BaseException as exc:
            raise _ProgressFailed(exc) from exc

    return report


@contextmanager
def numerical_failures_reported(what: str = "the fit"):
    """Re-raise the engine's numerical breakdowns as MixedModelError (chained to the original);
    an exception from the progress callback (see guarded_progress) comes out as it was raised."""
    try:
        with np.errstate(all="ignore"):  # the checks after the fit judge the numbers
            yield
    except BaseException as caught:
        exc = caught
        if isinstance(exc, _ProgressFailed):
            raise exc.original from None
        if _is_numerical(exc):
            raise MixedModelError(f"{what} broke down numerically ({exc}); {SUGGESTION}") from exc
        raise


def _is_numerical(exc: BaseException) -> bool:
    if isinstance(exc, MixedModelError):
        return False
    if isinstance(exc, NUMERICAL_FAILURES):
        return True
    return isinstance(exc, ValueError) and "infs or NaNs" in str(exc)


def check_response_varies(design, family: str) -> None:
    """A response with no variation the model can use: an error naming it. (Checked by mw.fit, not
    by build_design, which also serves simulation from a placeholder response.)"""
    label, y, weights = design.response_name, np.asarray(design.y), design.weights
    used = y if weights is None or family == "gaussian" else y[weights > 0]
    if used.size == 0:
        raise MixedModelError(f"every row has weight 0, so the response '{label}' carries no information")
    low, high = used.min(), used.max()
    if family == "gaussian" and low == high:
        raise MixedModelError(
            f"the response '{label}' has the same value ({low:g}) in every row; there is no variation to model"
        )
    if family in ("poisson", "negative_binomial") and high == 0:
        raise MixedModelError(
            f"the response '{label}' is 0 in every row; a {family.replace('_', '-')} model has no finite "
            "estimates for it"
        )
    if family == "gamma" and low == high:
        raise MixedModelError(
            f"the response '{label}' has the same value ({low:g}) in every row; a gamma model has no finite shape"
        )
    if family == "binomial" and (high == 0 or low == 1):
        outcome = "failure (0)" if high == 0 else "success (1)"
        raise MixedModelError(
            f"every observation of the response '{label}' is a {outcome}; a binomial model has no "
            "finite estimates for it"
        )


def check_estimates(fit) -> None:
    """The estimates of a fit must be finite; an error naming the first that is not."""
    parts = {
        "fixed-effect estimates": fit.beta,
        "variance-component parameters (theta)": fit.theta,
        "residual standard deviation": np.atleast_1d(fit.sigma),
        "objective (deviance)": np.atleast_1d(fit.objective),
    }
    for name, values in parts.items():
        if not np.all(np.isfinite(np.asarray(values, dtype=np.float64))):
            raise MixedModelError(f"the fit did not give finite {name}; {SUGGESTION}")


def estimate_notes(fit, design) -> list[str]:
    """Plain-words notes about estimates that exist but whose uncertainty could not be computed."""
    notes = _covariance_notes(fit)
    if _fitted_exactly(fit, design):
        notes.append(
            f"The residual standard deviation is essentially zero ({fit.sigma:.3g}): the model "
            "reproduces the response (almost) exactly, so its standard errors and tests are meaningless."
        )
    return notes


def warn_unconverged(fit, notes: list[str]) -> None:
    """A MixedModelWarning for a fit the convergence checks doubt, and for each note."""
    report = fit.convergence
    if not report.converged:
        doubts = [m for m in report.messages if not m.startswith("Singular fit")]
        warn_user("The fit may not have converged: " + " ".join(doubts))
    for note in notes:
        warn_user(note)


def _fitted_exactly(fit, design) -> bool:
    if not isinstance(fit, LmmFit) or design.y.size < 2:  # Gaussian fits only
        return False
    spread = float(np.std(design.y))
    return spread > 0 and fit.sigma < EXACT_FIT_RATIO * spread


def _covariance_notes(fit) -> list[str]:
    notes = []
    vcov = np.asarray(fit.vcov, dtype=np.float64)
    if vcov.size and not np.all(np.isfinite(vcov)):
        notes.append(
            "The covariance matrix of the fixed effects has values that are not finite numbers, so some "
            "standard errors, test statistics and intervals are missing (NaN); do not trust them."
        )
    elif vcov.size and (np.diag(vcov) < 0).any():
        notes.append(
            "Some fixed-effect variances came out negative, so their standard errors are missing (NaN); "
            "the model may be nearly unidentifiable."
        )
    return notes
