"""Property tests: generated formulas and data frames end in a result or in MixedModelError.

Never another exception type, never a hang: every example runs under a time limit, and the
hypothesis profile is derandomized so that CI sees the same examples on every run. A result must
have finite estimates, and missing standard errors must come with a note (see assert_honest).
"""

from __future__ import annotations

import signal
import warnings
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robust_data import formula_frame, formula_text, model_spec, random_frame

import mixedwidgets as mw
from mixedwidgets import MixedModelError
from mixedwidgets.formula import parse_formula

ROBUST = settings(
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=10),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECONDS_PER_EXAMPLE = 30
FRAME = formula_frame()
FAMILIES = st.sampled_from(["gaussian", "gaussian", "binomial", "poisson"])


class Hung(BaseException):
    """Raised by the alarm when one example runs too long (BaseException: no handler swallows it)."""


@contextmanager
def time_limit(seconds: float):
    def alarm(signum, frame):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def assert_honest(model) -> None:
    """Finite estimates; NaN standard errors only with a note; the tables and displays work."""
    assert np.all(np.isfinite(model.fixef.to_numpy())), model.fixef
    assert np.isfinite(model.objective) and np.isfinite(model.sigma)
    assert np.all(np.isfinite(model.theta))
    se = model.coef_table()["std_error"].to_numpy()
    assert np.all(np.isfinite(se)) or model.messages
    model.summary(), model._repr_html_(), model.ranef(), model.varcorr, model.icc()
    assert model.predict().shape == (model.nobs,)


def fit_or_refuse(formula, data, **options):
    """The model, or None when mw.fit refuses with a MixedModelError; anything else fails the test."""
    with warnings.catch_warnings(), time_limit(SECONDS_PER_EXAMPLE):
        warnings.simplefilter("ignore")
        try:
            model = mw.fit(formula, data, **options)
        except MixedModelError as error:
            assert str(error).strip()
            return None
        assert_honest(model)
        return model


# --- the parser ------------------------------------------------------------------------------------------


@settings(ROBUST, max_examples=500)
@given(text=formula_text())
def test_parser_on_formula_like_text(text):
    try:
        parsed = parse_formula(text)
    except MixedModelError:
        return
    assert parsed.random and parsed.response


@settings(ROBUST, max_examples=500)
@given(text=st.one_of(st.text(max_size=60), st.text(alphabet="()|~+-*:/` ,.1xyg'\"[]{}\\\n", max_size=40)))
def test_parser_on_arbitrary_text(text):
    try:
        parse_formula(text)
    except MixedModelError:
        pass


# --- fitting -------------------------------------------------------------------------------------------------


@settings(ROBUST, max_examples=250)
@given(text=formula_text(), family=FAMILIES, nagq=st.sampled_from([1, 1, 3]))
def test_fit_on_generated_formulas(text, family, nagq):
    fit_or_refuse(text, FRAME, family=family, nagq=nagq)


@settings(ROBUST, max_examples=100)
@given(spec=model_spec())
def test_fit_on_well_formed_models(spec):
    formula, family, nagq = spec
    fit_or_refuse(formula, FRAME, family=family, nagq=nagq)


MODELS = ["y ~ x + (1 | g)", "y ~ x + (1 + x | g)", "y ~ 1 + (1 | g) + (1 | h)", "y ~ x + (x || g)"]


@settings(ROBUST, max_examples=300)
@given(
    frame=random_frame(), formula=st.sampled_from(MODELS), family=st.sampled_from(["gaussian", "binomial", "poisson"])
)
def test_fit_on_random_data_frames(frame, formula, family):
    before = frame.copy(deep=True)
    fit_or_refuse(formula, frame, family=family)
    pd.testing.assert_frame_equal(frame, before)


# --- predictions on random new data --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = formula_frame().assign(g=lambda d: d["g"].str.replace("g", "a"), h=lambda d: d["h"] % 3)
        return {
            "lmm": mw.fit("y ~ x + (1 + x | g)", data.assign(x=data["x"] * 2)),
            "glmm": mw.fit("b ~ x + (1 | g) + (1 | h)", data, family="binomial"),
        }


@settings(ROBUST, max_examples=150)
@given(
    frame=random_frame(),
    which=st.sampled_from(["lmm", "glmm"]),
    kind=st.sampled_from(["conditional", "typical", "marginal"]),
)
def test_predictions_on_random_new_data(fitted, frame, which, kind):
    model = fitted[which]
    with warnings.catch_warnings(), time_limit(SECONDS_PER_EXAMPLE):
        warnings.simplefilter("ignore")
        try:
            predicted = model.predict(frame, kind=kind)
        except MixedModelError:
            return
    assert np.shape(predicted) == (len(frame),)
