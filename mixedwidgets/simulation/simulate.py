"""mw.simulate: new responses from a fitted model, or a data set from chosen true values.

    sims = mw.simulate(m, nsim=100, seed=1)          # like lme4's simulate(): one column per draw
    df = mw.simulate("y ~ x + (1 + x | g)", frame,   # from scratch: teaching, power analysis
                     fixed={"(Intercept)": 1.0, "x": 0.5},
                     random={"g": {"(Intercept)": 0.6, "x": 0.2, "corr": -0.3}},
                     sigma=1.0, seed=2)

Each draw takes new random effects from their covariance, then new responses given them:
Gaussian adds N(0, σ²/weight), binomial draws Binomial(trials, p), Poisson draws Poisson(μ), the negative
binomial NB2(μ, θ) (variance μ + μ²/θ) and the Gamma Gamma(shape, μ/shape).
Draws are made with numpy's Generator and are the same for the same seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..backend.family import get_family
from ..design import build_design
from ..errors import MixedModelError
from ..formula import column_name, parse_formula
from .spec import covariance_factor, fixed_vector, term_covariances

DISPERSION_FAMILIES = ("negative_binomial", "gamma")


def simulate(source, *args, **kwargs):
    """New responses from a fitted model, or a new data set from a formula and true values.

    ``simulate(model, nsim=1, seed=None)``: see simulate_responses.
    ``simulate(formula, data, fixed=..., random=..., sigma=..., family=..., seed=...)``: see
    simulate_data.
    """
    if isinstance(source, str):
        return simulate_data(source, *args, **kwargs)
    return simulate_responses(source, *args, **kwargs)


def simulate_responses(model, nsim: int = 1, seed=None) -> pd.DataFrame:
    """``nsim`` new response vectors from a fitted model: columns sim_1, sim_2, ..., one row per
    observation used in the fit (indexed like the caller's DataFrame).

    Random effects are drawn afresh from the estimated covariances (as lme4's simulate with
    ``re.form = NA``). Binomial draws are numbers of successes (0/1 for a 0/1 response);
    divide by ``model.design.weights`` for proportions.
    """
    if not isinstance(nsim, (int, np.integer)) or isinstance(nsim, bool) or nsim < 1:
        raise MixedModelError(f"nsim must be a whole number ≥ 1, not {nsim!r}")
    rng = generator(seed)
    design, family = model.design, _family_name(model.family)
    inverse_link = _inverse_link(family, model.link)
    covariances = {t.group: _model_covariance(model, t) for t in design.terms}
    base = linear_base(design, model.fixef.to_numpy(dtype=np.float64))
    sigma = float(model.sigma) if family == "gaussian" else None
    dispersion = model.dispersion if family in DISPERSION_FAMILIES else None
    draws = np.empty((len(base), int(nsim)))
    for k in range(int(nsim)):
        eta = base + random_part(design.terms, covariances, rng)
        draws[:, k] = draw_response(family, inverse_link(eta), sigma, design.weights, rng, dispersion)
    columns = [f"sim_{k + 1}" for k in range(int(nsim))]
    return pd.DataFrame(draws, index=design.row_index, columns=columns)


def simulate_data(
    formula: str,
    data: pd.DataFrame,
    *,
    fixed,
    random,
    sigma: float | None = None,
    family: str = "gaussian",
    link: str | None = None,
    trials=None,
    seed=None,
    return_effects: bool = False,
    dispersion: float | None = None,
):
    """A copy of ``data`` with the response of ``formula`` drawn from the model with these values.

    fixed: dict of fixed effects by column name, as in the fitted model's fixed_names
        ("(Intercept)", "x", "fb", "x:z" ...); every column needs a value.
    random: dict by grouping factor; each value is a covariance matrix (array, or DataFrame
        labelled by the term's columns) or a dict of SDs by column with an optional "corr"
        (a number for two columns, else {(a, b): r}). E.g. {"g": {"(Intercept)": 0.6}}.
    sigma: residual SD (Gaussian only). family: "gaussian", "binomial", "poisson", "negative_binomial"
        or "gamma". dispersion: θ of the negative binomial or the shape of the Gamma (those two only).
    trials: binomial only: a number, a column name or an array of trials per row; the response
        is then the number of successes (fit it with cbind(y, trials - y)). Default 1 (0/1).
    Rows the formula cannot use (missing values) get a missing response.
    return_effects: also return the random effects drawn, as a dict by grouping factor of
        DataFrames (one row per level, one column per random effect): ``(data, effects)``.
    """
    family = _check_family(family, sigma)
    dispersion = _check_dispersion(family, dispersion)
    parsed = parse_formula(formula)
    response = _response_column(parsed.response)
    frame = data.reset_index(drop=True) if isinstance(data, pd.DataFrame) else data
    design = build_design(parsed, frame, family=family, with_response=False)
    beta = fixed_vector(fixed, design.fixed_names)
    covariances = term_covariances(random, design.terms)
    rng = generator(seed)
    zb, effects = draw_random_effects(design.terms, covariances, rng)
    eta = linear_base(design, beta) + zb
    weights = _trials(trials, data, design.row_index) if family == "binomial" else None
    y = draw_response(family, _inverse_link(family, link)(eta), sigma, weights, rng, dispersion)
    result = _with_response(data, response, y, np.asarray(design.row_index), family not in ("gaussian", "gamma"))
    if not return_effects:
        return result
    return result, _effects_frames(design.terms, effects)


def _effects_frames(terms, effects: dict[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    return {
        t.group: pd.DataFrame(effects[t.group], index=pd.Index(t.levels, name=t.group), columns=list(t.columns))
        for t in terms
    }


def generator(seed) -> np.random.Generator:
    """A numpy Generator from a seed (int or None) or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise MixedModelError(f"seed must be a whole number, None or a numpy Generator, not {seed!r}")
    return np.random.default_rng(seed)


def linear_base(design, beta: np.ndarray) -> np.ndarray:
    """Xβ + offset."""
    eta = np.asarray(design.X) @ beta
    return eta if design.offset is None else eta + np.asarray(design.offset)


def random_part(terms, covariances: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Zb for new random effects b ~ N(0, Σ_g), drawn term by term in formula order."""
    return draw_random_effects(terms, covariances, rng)[0]


def draw_random_effects(terms, covariances, rng) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Zb and the drawn b (levels × columns) of each grouping factor."""
    total = np.zeros(len(terms[0].codes) if terms else 0)
    effects: dict[str, np.ndarray] = {}
    for term in terms:
        factor = covariance_factor(covariances[term.group])
        b = rng.standard_normal((len(term.levels), factor.shape[1])) @ factor.T
        values = np.asarray(term.values).reshape(len(term.codes), -1)
        total = total + np.einsum("ij,ij->i", values, b[np.asarray(term.codes)])
        effects[term.group] = b
    return total, effects


def draw_response(
    family: str, mu: np.ndarray, sigma, weights, rng: np.random.Generator, dispersion: float | None = None
) -> np.ndarray:
    """New responses given the conditional mean μ (and θ or the shape for the negative binomial, Gamma)."""
    if family == "gaussian":
        scale = float(sigma) * np.ones_like(mu)
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            scale = np.where(w > 0, scale / np.sqrt(np.where(w > 0, w, 1.0)), np.nan)
        return mu + scale * rng.standard_normal(len(mu))
    if family == "binomial":
        n = np.ones(len(mu), dtype=np.int64) if weights is None else np.rint(weights).astype(np.int64)
        return rng.binomial(n, mu).astype(np.float64)
    if family == "negative_binomial":
        assert dispersion is not None
        return rng.negative_binomial(dispersion, dispersion / (dispersion + mu)).astype(np.float64)
    if family == "gamma":
        assert dispersion is not None
        return rng.gamma(dispersion, mu / dispersion)
    return rng.poisson(mu).astype(np.float64)


def _check_dispersion(family: str, dispersion) -> float | None:
    if family not in DISPERSION_FAMILIES:
        if dispersion is not None:
            raise MixedModelError(f"dispersion applies to the negative binomial and Gamma only, not {family}")
        return None
    try:
        value = float(dispersion)
    except (TypeError, ValueError):
        value = np.nan
    if not np.isfinite(value) or value <= 0:
        name = "theta" if family == "negative_binomial" else "shape"
        raise MixedModelError(f"a {family} model needs its {name}: give dispersion=, a number > 0")
    return value


def _family_name(family) -> str:
    return get_family(family).name


def _check_family(family, sigma) -> str:
    family = _family_name(family)
    if family == "gaussian":
        try:
            valid = sigma is not None and np.isfinite(float(sigma)) and float(sigma) >= 0
        except (TypeError, ValueError):
            valid = False
        if not valid:
            raise MixedModelError("a Gaussian model needs the residual SD: give sigma=, a number ≥ 0")
    elif sigma is not None:
        raise MixedModelError(f"sigma applies to Gaussian models only; the {family} variance follows from the mean")
    return family


def _inverse_link(family: str, link):
    return get_family(family, link).link.inverse


def _model_covariance(model, term) -> np.ndarray:
    cov = model.covariance(term.group)
    return cov.loc[list(term.columns), list(term.columns)].to_numpy(dtype=np.float64)


def _response_column(response: str) -> str:
    name = column_name(response)
    if name is None:
        raise MixedModelError(
            f"to simulate, the response must be a column name, not {response!r}; for binomial "
            "counts write 'y ~ ...' with trials= and fit the result with cbind(y, trials - y)"
        )
    return name


def _trials(trials, data: pd.DataFrame, rows: np.ndarray) -> np.ndarray | None:
    if trials is None:
        return None
    values = data[trials] if isinstance(trials, str) else trials
    array = np.broadcast_to(np.asarray(values, dtype=np.float64), (len(data),))[np.asarray(rows)]
    if not np.isfinite(array).all() or (array < 0).any() or (array != np.round(array)).any():
        raise MixedModelError("trials must be whole numbers ≥ 0 for every row used")
    return array


def _with_response(
    data: pd.DataFrame, response: str, y: np.ndarray, positions: np.ndarray, counts: bool
) -> pd.DataFrame:
    """A copy of ``data`` with the response (integers for counts when no row is missing)."""
    result = data.copy()
    column = np.full(len(data), np.nan)
    column[positions] = y
    result[response] = column.astype(np.int64) if counts and len(positions) == len(data) else column
    return result
