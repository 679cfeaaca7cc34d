"""Pure data preparation for the intercept–slope covariance explorer (arrays travel as bytes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..names import INTERCEPT


@dataclass(frozen=True)
class SlopePair:
    """A grouping factor with a random intercept and one random slope."""

    group: str
    slope: str

    @property
    def label(self) -> str:
        return f"{self.group}: (Intercept) and {self.slope}"


@dataclass(frozen=True)
class ExplorerPayload:
    names: tuple[str, ...]
    u0: np.ndarray
    u1: np.ndarray
    tau: tuple[float, float, float]  # tau00, tau01, tau11 at c = 0
    beta: tuple[float, float]  # fixed intercept and slope
    x_range: tuple[float, float]
    centre_range: tuple[float, float]


def slope_pairs(reader) -> list[SlopePair]:
    """Every (group, slope) whose group has both a random intercept and that random slope."""
    pairs: list[SlopePair] = []
    for group in reader.groups:
        terms = reader.terms(group)
        if INTERCEPT in terms:
            pairs.extend(SlopePair(group, t) for t in terms if t != INTERCEPT)
    return pairs


def _modes(reader, group: str, term: str, names: tuple[str, ...]) -> np.ndarray:
    rows = reader.ranef[(reader.ranef["group"] == group) & (reader.ranef["term"] == term)]
    series = rows.set_index("level")["condval"].astype(float)
    return series.reindex(list(names)).to_numpy(dtype=float)


def explorer_payload(reader, pair: SlopePair) -> ExplorerPayload:
    """Conditional modes, covariance and ranges for one (group, slope) pair."""
    names = reader.levels(pair.group)
    cov = reader.model.covariance(pair.group)
    tau = (
        float(cov.loc[INTERCEPT, INTERCEPT]),
        float(cov.loc[INTERCEPT, pair.slope]),
        float(cov.loc[pair.slope, pair.slope]),
    )
    fixef = reader.model.fixef
    beta = (float(fixef.get(INTERCEPT, 0.0)), float(fixef.get(pair.slope, 0.0)))
    term = reader.design_term(pair.group)
    column = [str(c) for c in term.columns].index(pair.slope)
    x = np.asarray(term.values, dtype=float)[:, column]
    x = x[np.isfinite(x)]
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return ExplorerPayload(
        names=names,
        u0=_modes(reader, pair.group, INTERCEPT, names),
        u1=_modes(reader, pair.group, pair.slope, names),
        tau=tau,
        beta=beta,
        x_range=(lo, hi),
        centre_range=(min(lo, 0.0), max(hi, 0.0)),
    )


def floats_to_bytes(values: np.ndarray) -> bytes:
    """Little-endian float64 bytes (what the front end reads with DataView.getFloat64(..., true))."""
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def names_to_bytes(names) -> bytes:
    """UTF-8 names separated by NUL (a NUL inside a name becomes U+FFFD)."""
    return "\0".join(str(n).replace("\0", "\ufffd") for n in names).encode("utf-8")


def own_estimates(reader, pair: SlopePair) -> tuple[np.ndarray, np.ndarray] | None:
    """Each group's own least-squares intercept and slope deviations from the fixed line (no pooling).

    The response minus the fixed part, y − Xβ̂, is regressed on the term's columns within each group
    alone; a group whose columns are collinear (one distinct x) gets NaN. Gaussian models only (None
    otherwise): for a GLMM a per-group fit may not exist (separation).
    """
    if reader.is_glmm:
        return None
    term = reader.design_term(pair.group)
    columns = [str(c) for c in term.columns]
    z = np.asarray(term.values, dtype=float)
    codes = np.asarray(term.codes)
    beta = reader.model.fixef.reindex(list(reader.fixed_names)).to_numpy(dtype=float)
    residual = reader.response - reader.fixed_matrix @ beta
    estimates = per_group_least_squares(z, residual, codes, len(reader.levels(pair.group)))
    return estimates[:, columns.index(INTERCEPT)], estimates[:, columns.index(pair.slope)]


def per_group_least_squares(z: np.ndarray, r: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Coefficients of r on z within each group (n_groups × q); NaN rows where z'z is near singular."""
    q = z.shape[1]
    zz = np.zeros((n_groups, q, q))
    zr = np.zeros((n_groups, q))
    for i in range(q):
        zr[:, i] = np.bincount(codes, weights=z[:, i] * r, minlength=n_groups)
        for j in range(i, q):
            zz[:, i, j] = zz[:, j, i] = np.bincount(codes, weights=z[:, i] * z[:, j], minlength=n_groups)
    out = np.full((n_groups, q), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.linalg.cond(zz) < 1e10
    if ok.any():
        out[ok] = np.linalg.solve(zz[ok], zr[ok][..., None])[..., 0]
    return out
