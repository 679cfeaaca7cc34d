"""refit: the same model with some arguments changed; the design is kept when it cannot change."""

from __future__ import annotations

import numpy as np
import pytest

import mixedwidgets as mw
from mixedwidgets.errors import MixedModelError


def test_a_refit_by_ml_reuses_the_design_and_equals_a_fresh_fit(sleep, sleep_fit):
    refitted = sleep_fit.refit(reml=False)
    fresh = mw.fit("Reaction ~ Days + (Days | Subject)", sleep, reml=False)
    assert refitted.design is sleep_fit.design and not refitted.reml
    assert refitted.objective == pytest.approx(fresh.objective, rel=1e-12)
    np.testing.assert_allclose(refitted.fixef, fresh.fixef, rtol=1e-10)
    assert refitted.refit(reml=True).objective == pytest.approx(sleep_fit.objective, rel=1e-12)


def test_changing_what_the_design_depends_on_rebuilds_it(sleep, sleep_fit):
    weights = np.linspace(0.5, 2.0, len(sleep))
    refitted = sleep_fit.refit(weights=weights)
    assert refitted.design is not sleep_fit.design
    np.testing.assert_allclose(refitted.design.weights, weights)


def test_a_refit_checks_its_arguments(sleep_fit):
    with pytest.raises(MixedModelError, match="reml"):
        sleep_fit.refit(reml="no")
    with pytest.raises(MixedModelError, match="nagq applies"):
        sleep_fit.refit(nagq=5)
