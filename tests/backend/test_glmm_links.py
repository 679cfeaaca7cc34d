"""Probit and cloglog links against lme4 1.1-31 (glmer(cbind(incidence, size - incidence) ~ period +
(1 | herd), cbpp, family = binomial(link = ...))), and clear errors for links a family does not take."""

import numpy as np
import pytest

import mixedwidgets as mw

LME4 = {
    "probit": (
        185.2425,
        [-0.8354749, -0.5280327, -0.6168543, -0.7995726],
        0.3379893,
        [0.1262328, 0.1605884, 0.1694577, 0.2046812],
    ),
    "cloglog": (
        183.6041,
        [-1.525945, -0.9163899, -1.03522, -1.483681],
        0.5867262,
        [0.2109226, 0.2848898, 0.3063105, 0.4090456],
    ),
}


@pytest.mark.parametrize("link", sorted(LME4))
def test_link_matches_lme4(link):
    objective, fixef, theta, se = LME4[link]
    m = mw.fit(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)",
        mw.datasets.load("cbpp"),
        family="binomial",
        link=link,
    )
    assert m.link == link
    assert m.objective == pytest.approx(objective, abs=2e-3)
    np.testing.assert_array_less(np.abs(m.fixef.to_numpy() - fixef), 0.01 * np.array(se))
    assert m.theta[0] == pytest.approx(theta, rel=0.01)
    np.testing.assert_allclose(m.coef_table().std_error, se, rtol=0.02)


def test_a_link_the_family_does_not_take_is_refused():
    with pytest.raises(mw.MixedModelError, match="link"):
        mw.fit("incidence ~ period + (1 | herd)", mw.datasets.load("cbpp"), family="poisson", link="logit")
