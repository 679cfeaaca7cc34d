"""Negative-binomial and Gamma GLMMs against glmmTMB 1.1.5 (and lme4 1.1-31's glmer.nb).

Answers and data in tests/reference/families/ (written by tools/family_references.py).
glmmTMB evaluates the exact Laplace approximation (the observed information of the non-canonical
link); we must reproduce its −2 log L to 1e-3, β to 1% of its SE, the random-effect SDs and θ/shape
to 1%. glmer.nb's Laplace uses the expected information (lme4's PIRLS weights), a different
approximation: there we check that our deviance with expected weights reproduces its objective at its
estimates, and that at the same point our exact Laplace deviance is no lower than our optimum.
"""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.backend import glmm
from mixedwidgets.backend.family import make_family
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula

FOLDER = Path(__file__).resolve().parents[1] / "reference" / "families"
CASES = sorted(p.stem for p in FOLDER.glob("*.json"))


def _case(name):
    answer = json.loads((FOLDER / f"{name}.json").read_text())
    return answer, pd.read_csv(FOLDER / answer["data"])


@pytest.fixture(scope="module", params=CASES)
def fitted(request):
    answer, data = _case(request.param)
    model = mw.fit(answer["formula"], data, family=answer["family"], link=answer["link"])
    return answer, data, model


def test_the_stored_cases_cover_both_families_and_a_slope_each():
    answers = [_case(name)[0] for name in CASES]
    kinds = {(a["family"], a["link"], "(1 + x | g)" in a["formula"]) for a in answers}
    assert {
        ("negative_binomial", "log", False),
        ("negative_binomial", "log", True),
        ("gamma", "log", False),
        ("gamma", "log", True),
        ("gamma", "inverse", False),
    } <= kinds


def test_minus_two_log_likelihood_matches_glmmtmb(fitted):
    answer, _, model = fitted
    assert model.objective == pytest.approx(answer["glmmTMB"]["objective"], abs=1e-3)
    assert model.converged and not model.messages


def test_fixed_effects_within_one_percent_of_the_se(fitted):
    answer, _, model = fitted
    ref = answer["glmmTMB"]
    for name, value in ref["fixef"].items():
        assert abs(model.fixef[name] - value) < 0.01 * ref["se"][name], name
        assert model.coef_table().loc[name, "std_error"] == pytest.approx(ref["se"][name], rel=0.01)


def test_random_effect_sds_and_correlations(fitted):
    answer, _, model = fitted
    vc = model.varcorr
    for key, value in answer["glmmTMB"]["sdcor"].items():
        group, var1, var2 = key.split("|")
        if var2 == "NA":
            ours = vc[(vc.group == group) & (vc.var1 == var1) & vc.var2.isna()].sdcor.item()
            assert ours == pytest.approx(value, rel=0.01), key
        else:
            ours = vc[(vc.group == group) & (vc.var1 == var1) & (vc.var2 == var2)].sdcor.item()
            assert ours == pytest.approx(value, abs=0.01), key


def test_dispersion_theta_or_shape_within_one_percent(fitted):
    answer, _, model = fitted
    assert model.dispersion == pytest.approx(answer["glmmTMB"]["dispersion"], rel=0.01)
    assert model.dispersion_name == ("theta" if answer["family"] == "negative_binomial" else "shape")


def test_aic_counts_the_dispersion_parameter(fitted):
    answer, _, model = fitted
    k = len(model.fixef) + len(model.theta) + 1
    assert model.aic == pytest.approx(model.objective + 2 * k)


def _deviance(answer, data, point, expected_information=False, nagq=1):
    theta, beta, dispersion = point
    family = make_family(answer["family"], answer["link"], dispersion=dispersion)
    if expected_information:
        family = dataclasses.replace(family, observed_weights=None)
    design = build_design(parse_formula(answer["formula"]), data, family=answer["family"])
    problem = glmm.make_problem(design, family)
    cache = glmm.ModesCache(np.zeros(problem.structure.q_total), beta)
    return glmm._deviance_of(problem, nagq, cache)(np.concatenate([np.atleast_1d(theta), beta]))


def _glmer_nb_point(answer):
    ref = answer["glmer.nb"]
    return (ref["sdcor"]["g|(Intercept)|NA"], np.array(list(ref["fixef"].values())), ref["dispersion"])


def test_glmer_nb_objective_is_the_expected_information_laplace():
    answer, data = _case("nb_intercept")
    point = _glmer_nb_point(answer)
    assert _deviance(answer, data, point, expected_information=True) == pytest.approx(
        answer["glmer.nb"]["objective"], abs=3e-3
    )  # lme4's PIRLS tolerance, as in test_glmm_reference


def test_our_optimum_beats_glmer_nb_on_the_exact_laplace_and_on_quadrature():
    answer, data = _case("nb_intercept")
    point = _glmer_nb_point(answer)
    model = mw.fit(answer["formula"], data, family="negative_binomial")
    assert model.objective <= _deviance(answer, data, point) + 1e-6
    agq = mw.fit(answer["formula"], data, family="negative_binomial", nagq=25)
    assert agq.objective <= _deviance(answer, data, point, nagq=25) + 1e-6
    assert agq.dispersion == pytest.approx(answer["glmmTMB"]["dispersion"], rel=0.01)
    assert model.dispersion == pytest.approx(answer["glmer.nb"]["dispersion"], rel=0.01)
