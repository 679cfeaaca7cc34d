"""Random LMM and GLMM cases for the convergence sweep against lme4 (benchmarks/sweep_lme4.py).

Every case is drawn from one numpy Generator: the model kind, the sizes (300-6,000 rows for LMMs),
the predictor scales (1-100, sometimes off-centre), the random-effect SDs (0.05-2, near-singular
slopes included) and the data. A case is a name, a formula written as in lme4, the family, REML,
the columns R must treat as factors, and the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class SweepCase:
    name: str
    formula: str
    family: str
    reml: bool
    factors: tuple[str, ...]
    data: pd.DataFrame


LMM_KINDS = ("slopes", "slopes", "crossed", "nested", "uncorrelated", "two_slopes", "near_singular")
GLMM_KINDS = (
    "binary_intercept",
    "binary_slopes",
    "binary_crossed",
    "cbind_slopes",
    "poisson_slopes",
    "poisson_offset",
    "poisson_crossed",
)


def _rounded(data: dict) -> pd.DataFrame:
    """The data with real-valued columns rounded to 4 decimals: what is written to CSV is what both
    engines fit, and a stored case stays small."""
    frame = pd.DataFrame(data)
    for column in frame.columns:
        if frame[column].dtype.kind == "f":
            frame[column] = frame[column].round(4)
    return frame


def _labels(prefix: str, codes: np.ndarray) -> np.ndarray:
    return np.char.add(prefix, codes.astype(str))


def _predictor(rng: np.random.Generator, n: int) -> tuple[np.ndarray, float]:
    """A predictor on scale 1, 10 or 100, centred or off-centre by up to 3 of its SDs."""
    scale = float(rng.choice([1.0, 10.0, 100.0]))
    centre = float(rng.choice([0.0, rng.uniform(-3, 3)]))
    return scale * (centre + rng.normal(size=n)), scale


def _groups(rng, n, n_groups):
    return rng.integers(0, n_groups, n)


def _slope_effects(rng, n_groups, sd0, sd1, corr):
    cov = np.array([[sd0**2, corr * sd0 * sd1], [corr * sd0 * sd1, sd1**2]])
    return rng.multivariate_normal([0.0, 0.0], cov, n_groups)


def lmm_case(rng: np.random.Generator, index: int) -> SweepCase:
    kind = str(rng.choice(LMM_KINDS))
    n = int(rng.integers(300, 6001))
    x, sx = _predictor(rng, n)
    z = rng.normal(size=n)
    n_g = int(rng.integers(8, 120))
    g = _groups(rng, n, n_g)
    sd_e = float(rng.uniform(0.5, 3))
    eta = 1.0 + 0.5 * x / sx - 0.3 * z
    data = {"x": x, "z": z, "g": _labels("g", g)}
    reml = bool(rng.random() < 0.7)
    sd0 = float(rng.uniform(0.05, 2))
    sd1 = float(rng.uniform(0.05, 1)) / sx
    if kind == "near_singular":
        sd1 = float(rng.uniform(0.0, 0.03)) / sx
    if kind in ("slopes", "near_singular", "uncorrelated"):
        corr = 0.0 if kind == "uncorrelated" else float(rng.uniform(-0.9, 0.9))
        b = _slope_effects(rng, n_g, sd0, sd1, corr)
        eta = eta + b[g, 0] + b[g, 1] * x
        bar = "||" if kind == "uncorrelated" else "|"
        formula = f"y ~ x + z + (1 + x {bar} g)"
    elif kind == "two_slopes":
        b = rng.normal(size=(n_g, 3)) * np.array([sd0, sd1, float(rng.uniform(0.05, 1))])
        eta = eta + b[g, 0] + b[g, 1] * x + b[g, 2] * z
        formula = "y ~ x + z + (1 + x + z | g)"
    elif kind == "crossed":
        n_h = int(rng.integers(5, 40))
        h = _groups(rng, n, n_h)
        eta = eta + rng.normal(0, sd0, n_g)[g] + rng.normal(0, float(rng.uniform(0.05, 2)), n_h)[h]
        data["h"] = _labels("h", h)
        formula = "y ~ x + z + (1 | g) + (1 | h)"
    else:  # nested
        n_h = int(rng.integers(2, 6))
        h = _groups(rng, n, n_h)
        eta = eta + rng.normal(0, sd0, n_g)[g] + rng.normal(0, float(rng.uniform(0.05, 2)), (n_g, n_h))[g, h]
        data["h"] = _labels("h", h)
        formula = "y ~ x + z + (1 | g/h)"
    data["y"] = eta + rng.normal(0, sd_e, n)
    factors = tuple(k for k in ("g", "h") if k in data)
    return SweepCase(f"lmm{index:03d}_{kind}", formula, "gaussian", reml, factors, _rounded(data))


def glmm_case(rng: np.random.Generator, index: int) -> SweepCase:
    kind = str(rng.choice(GLMM_KINDS))
    n = int(rng.integers(300, 15001))
    x, sx = _predictor(rng, n)
    z = rng.normal(size=n)
    n_g = int(rng.integers(10, 80))
    g = _groups(rng, n, n_g)
    sd0, sd1 = float(rng.uniform(0.05, 2)), float(rng.uniform(0.05, 2)) / sx
    data = {"x": x, "z": z, "g": _labels("g", g)}
    base = float(rng.uniform(-1.5, 1.0))
    eta = base + 0.4 * (x - x.mean()) / sx - 0.2 * z
    if kind.endswith("slopes"):
        b = _slope_effects(rng, n_g, sd0, sd1 * 0.3 if kind == "poisson_slopes" else sd1, float(rng.uniform(-0.9, 0.9)))
        eta = eta + b[g, 0] + b[g, 1] * (x - x.mean())
        rhs = "x + z + (1 + x | g)"
    elif kind.endswith("crossed"):
        n_h = int(rng.integers(5, 30))
        h = _groups(rng, n, n_h)
        eta = eta + rng.normal(0, sd0, n_g)[g] + rng.normal(0, float(rng.uniform(0.05, 2)), n_h)[h]
        data["h"] = _labels("h", h)
        rhs = "x + z + (1 | g) + (1 | h)"
    else:
        eta = eta + rng.normal(0, sd0, n_g)[g]
        rhs = "x + z + (1 | g)"
    if kind.startswith("binary"):
        data["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
        formula, family = f"y ~ {rhs}", "binomial"
    elif kind.startswith("cbind"):
        trials = rng.integers(1, 12, n)
        data["succ"] = rng.binomial(trials, 1 / (1 + np.exp(-eta)))
        data["fail"] = trials - data["succ"]
        formula, family = f"cbind(succ, fail) ~ {rhs}", "binomial"
    else:
        exposure = rng.uniform(0.5, 4, n) if kind == "poisson_offset" else np.ones(n)
        data["t"] = exposure
        data["y"] = rng.poisson(exposure * np.exp(np.clip(eta, -20, 6)))
        formula = f"y ~ {rhs}".replace(" ~ ", " ~ offset(log(t)) + ") if kind == "poisson_offset" else f"y ~ {rhs}"
        family = "poisson"
    factors = tuple(k for k in ("g", "h") if k in data)
    return SweepCase(f"glmm{index:03d}_{kind}", formula, family, False, factors, _rounded(data))


def sweep_cases(seed: int, n_lmm: int, n_glmm: int) -> list[SweepCase]:
    """n_lmm LMM then n_glmm GLMM cases, all drawn from numpy's default generator at `seed`."""
    rng = np.random.default_rng(seed)
    cases = [lmm_case(rng, i) for i in range(n_lmm)]
    return cases + [glmm_case(rng, i) for i in range(n_glmm)]


def _hard_glmm(rng, name, family, n, n_g, sx, centre, sd0, sd1, corr, trials=0):
    x = sx * (centre + rng.normal(size=n))
    z = rng.normal(size=n)
    g = _groups(rng, n, n_g)
    b = _slope_effects(rng, n_g, sd0, sd1 / sx, corr)
    eta = -0.3 + 0.4 * (x - sx * centre) / sx - 0.2 * z + b[g, 0] + b[g, 1] * (x - sx * centre)
    data = {"x": x, "z": z, "g": _labels("g", g)}
    if family == "poisson":
        data["y"] = rng.poisson(np.exp(np.clip(eta, -20, 6)))
        formula = "y ~ x + z + (1 + x | g)"
    elif trials:
        size = rng.integers(1, trials + 1, n)
        data["succ"] = rng.binomial(size, 1 / (1 + np.exp(-eta)))
        data["fail"] = size - data["succ"]
        formula = "cbind(succ, fail) ~ x + z + (1 + x | g)"
    else:
        data["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
        formula = "y ~ x + z + (1 + x | g)"
    return SweepCase(name, formula, "poisson" if family == "poisson" else "binomial", False, ("g",), _rounded(data))


def hard_cases(seed: int) -> list[SweepCase]:
    """GLMMs shaped like the breakdowns and stalls reported in issue 9 (sizes, scales, correlations)."""
    rng = np.random.default_rng(seed)
    return [
        _hard_glmm(rng, "hard_poisson_x10", "poisson", 617, 14, 10.0, 0.0, 0.5, 0.3, 0.3),
        _hard_glmm(rng, "hard_poisson_x100", "poisson", 306, 61, 100.0, 0.0, 0.7, 0.2, -0.4),
        _hard_glmm(rng, "hard_poisson_x100_big", "poisson", 13_098, 40, 100.0, 1.0, 0.5, 0.3, 0.5),
        _hard_glmm(rng, "hard_binary_corr", "binomial", 15_255, 30, 1.0, 0.0, 0.6, 0.8, 0.9),
        _hard_glmm(rng, "hard_cbind_x100", "binomial", 13_167, 30, 100.0, 0.0, 0.6, 0.5, 0.6, trials=10),
        _hard_glmm(rng, "hard_binary_x100_offcentre", "binomial", 17_751, 50, 100.0, 2.5, 0.8, 0.5, 0.2),
    ]


def large_tail_case(rng: np.random.Generator, index: int) -> SweepCase:
    """An LMM whose terms after the first hold 500-2,500 random effects (lmm.EXPENSIVE_TAIL and above: the
    polish stops at 1e-3 there): two or three crossed factors, or a random slope on the smaller one."""
    kind = str(rng.choice(["crossed", "crossed3", "crossed_slope"]))
    n = int(rng.integers(20_000, 60_001))
    x, sx = _predictor(rng, n)
    sizes = {
        "crossed": [int(rng.integers(800, 3001)), int(rng.integers(500, 2001))],
        "crossed3": [int(rng.integers(1500, 4001)), int(rng.integers(300, 1001)), int(rng.integers(200, 800))],
        "crossed_slope": [int(rng.integers(1000, 3001)), int(rng.integers(300, 1001))],
    }[kind]
    data = {"x": x}
    eta = 1.0 + 0.5 * x / sx
    terms = []
    for name, levels in zip("ghk", sizes):
        codes = _groups(rng, n, levels)
        data[name] = _labels(name, codes)
        eta = eta + rng.normal(0, float(rng.uniform(0.1, 1.5)), levels)[codes]
        if kind == "crossed_slope" and name == "h":
            eta = eta + rng.normal(0, float(rng.uniform(0.05, 0.5)) / sx, levels)[codes] * x
            terms.append(f"(1 + x | {name})")
        else:
            terms.append(f"(1 | {name})")
    data["y"] = eta + rng.normal(0, float(rng.uniform(0.5, 2)), n)
    factors = tuple(k for k in "ghk" if k in data)
    reml = bool(rng.random() < 0.7)
    return SweepCase(
        f"large{index:03d}_{kind}", "y ~ x + " + " + ".join(terms), "gaussian", reml, factors, _rounded(data)
    )


def large_tail_cases(seed: int, count: int) -> list[SweepCase]:
    rng = np.random.default_rng(seed + 1)  # not the stream of sweep_cases
    return [large_tail_case(rng, i) for i in range(count)]
