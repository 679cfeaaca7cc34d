"""Predictions for new data keep the offset: the three-factor Poisson case with an exposure offset
(tests/reference/extra/glmm_poisson_offset3, lme4 1.1-31), predicted on rows with other exposures and an
unseen level, against lme4's estimates written out: exp(β₀ + β₁x + log(exposure) [+ b_a + b_b + b_c]),
b = 0 for a level the fit has not seen (lme4's allow.new.levels). Our linear predictor and lme4's agree
to 2e-3 (tests/results/test_offsets_oracle.py).
"""

import json

import numpy as np
import pandas as pd
import pytest
from golden import REFERENCE
from oracles import quiet_fit

FORMULA = "count ~ x + offset(log(exposure)) + (1 | a) + (1 | b) + (1 | c)"
ANSWER = REFERENCE / "extra" / "glmm_poisson_offset3.json"


@pytest.fixture(scope="module")
def fitted():
    data = pd.read_csv(REFERENCE / "extra" / "data" / "glmm_poisson_offset3.csv")
    data = data.astype({"a": "category", "b": "category", "c": "category"})
    return quiet_fit(FORMULA, data, family="poisson"), data


def _new_rows(data: pd.DataFrame) -> pd.DataFrame:
    new = data.head(5)[["x", "a", "b", "c"]].astype(str).assign(x=data.head(5)["x"].to_numpy())
    new["exposure"] = [0.5, 1.0, 2.0, 4.0, 8.0]
    new.loc[new.index[-1], "a"] = "a level never seen"
    return new


def test_newdata_predictions_include_the_offset(fitted):
    model, data = fitted
    answer = json.loads(ANSWER.read_text())
    modes = pd.DataFrame(answer["ranef"])
    new = _new_rows(data)
    typical = answer["fixef"]["(Intercept)"] + answer["fixef"]["x"] * new["x"].to_numpy() + np.log(new["exposure"])
    conditional = typical.to_numpy().copy()
    for group in ("a", "b", "c"):
        part = modes[modes.grpvar == group].set_index("grp")["condval"]
        conditional += part.reindex(new[group]).fillna(0.0).to_numpy()
    np.testing.assert_allclose(model.predict(new, kind="typical", scale="link"), typical, atol=2e-3)
    np.testing.assert_allclose(model.predict(new, kind="conditional", scale="link"), conditional, atol=2e-3)
    np.testing.assert_allclose(model.predict(new), np.exp(conditional), rtol=2e-3)
