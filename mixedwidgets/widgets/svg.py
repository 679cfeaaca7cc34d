"""A small pure-Python SVG writer for the static pictures (no plotting library needed).

Every text and attribute value is escaped; coordinates are rounded to one decimal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .html_util import esc

FONT = "font-family:sans-serif;font-size:11px;fill:#333"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (about `count` of them)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 12) for i in range(int((high - first) / step + 1e-9) + 1)]


def tick_text(value: float) -> str:
    """Tick label: short, no trailing zeros (ticks are round numbers)."""
    if value == 0:
        return "0"
    return f"{value:.6g}" if 1e-4 <= abs(value) < 1e6 else f"{value:.2e}"


@dataclass
class Scale:
    """Linear map from a data interval to a pixel interval."""

    domain: tuple[float, float]
    pixels: tuple[float, float]

    def __call__(self, value: float) -> float:
        d0, d1 = self.domain
        p0, p1 = self.pixels
        span = (d1 - d0) or 1.0
        return p0 + (float(value) - d0) / span * (p1 - p0)


def padded(values: Iterable[float], share: float = 0.05) -> tuple[float, float]:
    """[min, max] of the finite values, widened by `share` of the range on each side."""
    array = np.asarray(list(values), dtype=float)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return 0.0, 1.0
    lo, hi = float(array.min()), float(array.max())
    pad = share * ((hi - lo) or abs(hi) or 1.0)
    return lo - pad, hi + pad


@dataclass
class Svg:
    """An SVG document built element by element."""

    width: int
    height: int
    title: str = ""
    parts: list[str] = field(default_factory=list)

    def element(self, name: str, text: str = "", **attrs: object) -> None:
        rendered = "".join(
            f' {k.rstrip("_").replace("_", "-")}="{esc(_number(v))}"' for k, v in attrs.items() if v is not None
        )
        self.parts.append(f"<{name}{rendered}>{esc(text)}</{name}>" if text else f"<{name}{rendered}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "#888", **attrs: Any) -> None:
        self.element("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, **attrs)

    def circle(self, x: float, y: float, r: float, fill: str, **attrs: Any) -> None:
        self.element("circle", cx=x, cy=y, r=r, fill=fill, **attrs)

    def text(self, x: float, y: float, text: str, anchor: str = "start", **attrs: Any) -> None:
        self.element("text", text, x=x, y=y, text_anchor=anchor, style=attrs.pop("style", FONT), **attrs)

    def path(
        self, points: Sequence[tuple[float, float]], stroke: str, fill: str = "none", close: bool = False, **attrs: Any
    ) -> None:
        finite = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
        if len(finite) < 2:
            return
        d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in finite) + (" Z" if close else "")
        self.element("path", d=d, stroke=stroke, fill=fill, **attrs)

    def x_axis(
        self,
        scale: Scale,
        y: float,
        label: str,
        ticks: Sequence[float] | None = None,
        tick_labels: Sequence[str] | None = None,
    ) -> None:
        self.line(scale.pixels[0], y, scale.pixels[1], y)
        ticks = nice_ticks(*scale.domain) if ticks is None else list(ticks)
        names = [tick_text(t) for t in ticks] if tick_labels is None else list(tick_labels)
        for t, name in zip(ticks, names):
            self.line(scale(t), y, scale(t), y + 4)
            self.text(scale(t), y + 15, name, anchor="middle")
        self.text((scale.pixels[0] + scale.pixels[1]) / 2, y + 30, label, anchor="middle")

    def y_axis(self, scale: Scale, x: float, label: str) -> None:
        self.line(x, scale.pixels[0], x, scale.pixels[1])
        low, high = sorted(scale.domain)
        for t in nice_ticks(low, high):
            self.line(x - 4, scale(t), x, scale(t))
            self.text(x - 6, scale(t) + 3, tick_text(t), anchor="end")
        middle = (scale.pixels[0] + scale.pixels[1]) / 2
        self.text(12, middle, label, anchor="middle", transform=f"rotate(-90 12 {middle:.1f})")

    def render(self) -> str:
        title = f"<title>{esc(self.title)}</title>" if self.title else ""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" role="img">{title}'
            f'<rect width="100%" height="100%" fill="white"/>{"".join(self.parts)}</svg>'
        )


def _number(value: object) -> object:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.1f}"
    return value
