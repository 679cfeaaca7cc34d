"""Static SVG pictures of the views, for notebooks read without a kernel (GitHub, nbviewer, HTML export)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .covariance_data import ExplorerPayload
from .marginal_data import CurveData
from .ranef_data import CaterpillarData, x_extent
from .svg import Scale, Svg, padded

INTERVAL = "#9aa7b4"  # neutral grey-blue: every interval drawn alike
MODE = "#2f3b48"
CHOSEN = "#e08a00"  # the selected group, in every view
ELLIPSE = "#4c78a8"
OWN = "#8c8c8c"
TYPICAL = "#555555"
MARGINAL = "#4c78a8"
MAX_LABELLED = 40


def caterpillar_svg(data: CaterpillarData, selected: str = "", width: int = 460) -> str:
    """Conditional modes with their intervals, one row per group, the selected one highlighted."""
    n = len(data.labels)
    labelled = n <= MAX_LABELLED
    longest = max((len(str(s)) for s in data.labels), default=4) if labelled else 0
    left = int(min(170, 24 + 6.5 * longest)) if labelled else 40
    row = 14 if labelled else max(0.25, 440 / max(n, 1))
    height = int(60 + row * max(n, 1))
    svg = Svg(width, height, title=f"Conditional modes of {data.term} for {data.group}")
    sx = Scale(x_extent(data), (left, width - 12))
    sy = Scale((-0.5, n - 0.5), (height - 45, 8))
    svg.line(sx(0), sy(-0.5), sx(0), sy(n - 0.5), stroke="#bbb", stroke_dasharray="3 3")
    chosen = data.position(selected) if selected else -1
    for i in range(n):
        colour = CHOSEN if i == chosen else INTERVAL
        svg.line(
            sx(data.lower[i]), sy(i), sx(data.upper[i]), sy(i), stroke=colour, stroke_width=2.5 if i == chosen else 1.5
        )
        svg.circle(
            sx(data.condval[i]),
            sy(i),
            4.5 if i == chosen else (2.8 if labelled else 1.2),
            fill=CHOSEN if i == chosen else MODE,
        )
        if labelled:
            svg.text(left - 5, sy(i) + 3.5, str(data.labels[i]), anchor="end")
    axis = f"conditional mode of {data.term} ({100 * data.level:g}% interval)"
    svg.x_axis(sx, height - 40, axis)
    if not labelled:
        svg.text(
            12, height / 2, f"{n} {data.group}s, sorted", anchor="middle", transform=f"rotate(-90 12 {height / 2:.1f})"
        )
    return svg.render()


def ellipse_points(var0: float, cov01: float, var1: float, level: float, steps: int = 72) -> np.ndarray:
    """Points of the `level` contour of a centred bivariate normal with the given covariance."""
    radius = math.sqrt(-2.0 * math.log(1.0 - level))
    values, vectors = np.linalg.eigh(np.array([[var0, cov01], [cov01, var1]]))
    half_axes = vectors * np.sqrt(np.clip(values, 0.0, None)) * radius
    angle = np.linspace(0.0, 2 * math.pi, steps + 1)
    return np.column_stack([np.cos(angle), np.sin(angle)]) @ half_axes.T


def covariance_svg(
    p: ExplorerPayload,
    group: str,
    slope: str,
    centre: float = 0.0,
    selected: str = "",
    own: tuple[np.ndarray, np.ndarray] | None = None,
    level: float = 0.95,
    width: int = 420,
    height: int = 340,
) -> str:
    """Conditional modes (u0 + c·u1, u1), the model's ellipse and optionally each group's own estimate."""
    t00, t01, t11 = p.tau
    var0, cov01 = t00 + 2 * centre * t01 + centre * centre * t11, t01 + centre * t11
    ell = ellipse_points(var0, cov01, t11, level)
    x = p.u0 + centre * p.u1
    xs: list[ArrayLike]
    ys: list[ArrayLike]
    xs, ys = [x, ell[:, 0], [0.0]], [p.u1, ell[:, 1], [0.0]]
    if own is not None:
        own_x = own[0] + centre * own[1]
        xs, ys = xs + [own_x], ys + [own[1]]
    svg = Svg(width, height, title=f"Intercept and {slope} deviations for {group}")
    sx = Scale(padded(np.concatenate(xs)), (60, width - 12))
    sy = Scale(padded(np.concatenate(ys)), (height - 48, 30))
    _covariance_legend(svg, own is not None, level)
    svg.line(sx(0), 30, sx(0), height - 48, stroke="#ccc", stroke_dasharray="3 3")
    svg.line(60, sy(0), width - 12, sy(0), stroke="#ccc", stroke_dasharray="3 3")
    svg.path(
        [(sx(a), sy(b)) for a, b in ell], stroke=ELLIPSE, fill="rgba(76,120,168,0.08)", close=True, stroke_width=1.5
    )
    if own is not None:
        for i in range(len(x)):
            svg.path([(sx(own_x[i]), sy(own[1][i])), (sx(x[i]), sy(p.u1[i]))], stroke=OWN, stroke_width=0.8)
            if np.isfinite(own_x[i]) and np.isfinite(own[1][i]):
                svg.circle(sx(own_x[i]), sy(own[1][i]), 2.5, fill="white", stroke=OWN, stroke_width=1)
    chosen = p.names.index(selected) if selected in p.names else -1
    for i in range(len(x)):
        svg.circle(
            sx(x[i]),
            sy(p.u1[i]),
            5 if i == chosen else 3,
            fill=CHOSEN if i == chosen else MODE,
            fill_opacity=1 if i == chosen else 0.75,
        )
    svg.x_axis(sx, height - 48, f"intercept deviation at {slope} = {centre:g}")
    svg.y_axis(sy, 60, f"{slope} slope deviation")
    return svg.render()


def _covariance_legend(svg: Svg, own: bool, level: float) -> None:
    svg.circle(64, 12, 3, fill=MODE)
    svg.text(70, 16, "conditional modes")
    svg.path([(170, 12), (186, 12)], stroke=ELLIPSE, stroke_width=1.5)
    svg.text(190, 16, f"model's {100 * level:g}% ellipse")
    if own:
        svg.circle(310, 12, 2.5, fill="white", stroke=OWN)
        svg.text(316, 16, "own least squares")


def curves_svg(data: CurveData, y_label: str, width: int = 460, height: int = 300) -> str:
    """Typical group's curve (dashed) against the population average (solid), with the chosen group."""
    lines = [data.typical, data.marginal] + ([data.selected] if data.selected is not None else [])
    svg = Svg(width, height, title=f"Typical vs population-averaged curves over {data.predictor}")
    lo, hi = padded(data.x, 0.08 if data.categorical else 0.0)
    sx = Scale((lo, hi), (60, width - 12))
    top = float(np.nanmax(np.concatenate(lines))) if lines else 1.0
    sy = Scale((0.0, top * 1.12 if np.isfinite(top) and top > 0 else 1.0), (height - 48, 24))
    styles: list[tuple[str, dict[str, Any]]] = [(TYPICAL, {"stroke_dasharray": "6 4"}), (MARGINAL, {}), (CHOSEN, {})]
    for values, (colour, extra) in zip(lines, styles):
        svg.path([(sx(a), sy(b)) for a, b in zip(data.x, values)], stroke=colour, stroke_width=2, **extra)
    if data.categorical:
        svg.x_axis(sx, height - 48, data.predictor, ticks=list(data.x), tick_labels=list(data.labels))
    else:
        svg.x_axis(sx, height - 48, data.predictor)
    svg.y_axis(sy, 60, y_label)
    svg.line(70, 12, 92, 12, stroke=TYPICAL, stroke_dasharray="6 4", stroke_width=2)
    svg.text(96, 16, "typical group (random effects 0)")
    svg.line(270, 12, 292, 12, stroke=MARGINAL, stroke_width=2)
    svg.text(296, 16, "population average")
    return svg.render()


def hybrid_svg(d, width: int = 520, height: int = 380) -> str:
    """Observations (grey), each group's within-slope (blue) and the between line through the group means
    (orange), from a HybridViewData."""
    wx, wy = d.within_segments()
    bx, by = d.between_segment()
    xs = [d.x, wx.ravel(), bx]
    ys = [wy.ravel(), by, d.centre_y] + ([d.y] if d.y is not None else [])
    svg = Svg(width, height, title=f"Within and between slopes of {d.variable}")
    sx = Scale(padded(np.concatenate(xs)), (60, width - 12))
    sy = Scale(padded(np.concatenate(ys)), (height - 48, 26))
    if d.y is not None:
        step = max(1, len(d.x) // 3000)
        for x, y in zip(d.x[::step], d.y[::step]):
            svg.circle(sx(x), sy(y), 1.6, fill="#9aa5b1", fill_opacity=0.5)
    for (x0, x1), (y0, y1) in zip(wx, wy):
        svg.path([(sx(x0), sy(y0)), (sx(x1), sy(y1))], stroke=ELLIPSE, stroke_width=1.2, stroke_opacity=0.8)
    svg.path([(sx(bx[0]), sy(by[0])), (sx(bx[1]), sy(by[1]))], stroke="#f58518", stroke_width=3)
    for x, y in zip(d.centre_x, d.centre_y):
        svg.circle(sx(x), sy(y), 3, fill="#f58518", stroke="white")
    svg.x_axis(sx, height - 48, d.variable)
    svg.y_axis(sy, 60, d.y_label)
    svg.path([(64, 12), (84, 12)], stroke=ELLIPSE, stroke_width=1.5)
    svg.text(88, 16, f"within each {d.group}")
    svg.path([(230, 12), (250, 12)], stroke="#f58518", stroke_width=3)
    svg.text(254, 16, "between group means")
    return svg.render()
