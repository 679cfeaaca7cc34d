"""Hybrid (within-between) view: each group's within-slope and the line through the group means.

    m = mw.fit("y ~ within(A, g) + between(A, g) + (1 | g)", df)
    hybrid_view(m, "A")

Thin blue lines: how y changes with A inside each group (the within effect). Orange points and
line: the group means and how they change across groups (the between effect). When the two
slopes differ, the gap is the contextual effect.
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as ipw
import numpy as np

from .html_util import esc, fmt, with_static
from .hybrid_data import HybridViewData, hybrid_view_data
from .pictures import hybrid_svg
from .validate import element_index

WITHIN_COLOUR = "#4c78a8"
BETWEEN_COLOUR = "#f58518"
POINT_COLOUR = "#9aa5b1"
MAX_POINTS = 5000


class HybridView(ipw.VBox):
    """A bqplot figure (observations, within-slopes, group means, between line) and a caption."""

    def __init__(self, data: HybridViewData, **kwargs):
        self.data = data
        self.hover_html = ipw.HTML(layout=ipw.Layout(padding="2px 6px"))
        self.x_scale, self.y_scale = bq.LinearScale(), bq.LinearScale()
        self.figure = self._build_figure()
        self.caption = ipw.HTML(self._caption_html(), layout=ipw.Layout(max_width="760px"))
        self.centres.on_hover(self._hovered)
        super().__init__(children=[self.figure, self.caption], **kwargs)

    def _build_figure(self) -> bq.Figure:
        d, scales = self.data, {"x": self.x_scale, "y": self.y_scale}
        px, py = self._observations()
        self.points = bq.Scatter(
            x=px, y=py, scales=scales, colors=[POINT_COLOUR], default_size=10, opacities=[0.5], enable_hover=False
        )
        wx, wy = d.within_segments()
        self.within_lines = bq.Lines(
            x=wx, y=wy, scales=scales, colors=[WITHIN_COLOUR], stroke_width=1.5, enable_hover=False
        )
        bx, by = d.between_segment()
        self.between_line = bq.Lines(
            x=bx, y=by, scales=scales, colors=[BETWEEN_COLOUR], stroke_width=3, enable_hover=False
        )
        self.centres = bq.Scatter(
            x=d.centre_x,
            y=d.centre_y,
            scales=scales,
            colors=[BETWEEN_COLOUR],
            default_size=40,
            stroke="white",
            tooltip=self.hover_html,
            interactions={"hover": "tooltip"},
        )
        axes = [
            bq.Axis(scale=self.x_scale, label=d.variable, grid_lines="dashed"),
            bq.Axis(scale=self.y_scale, label=d.y_label, side="left", grid_lines="dashed"),
        ]
        return bq.Figure(
            marks=[self.points, self.within_lines, self.between_line, self.centres],
            axes=axes,
            animation_duration=0,
            fig_margin={"top": 15, "bottom": 45, "left": 60, "right": 15},
            layout=ipw.Layout(width="100%", height="420px", min_width="320px"),
        )

    def _observations(self) -> tuple[np.ndarray, np.ndarray]:
        d = self.data
        if d.y is None:
            return np.array([]), np.array([])
        step = max(1, int(np.ceil(len(d.x) / MAX_POINTS)))
        return d.x[::step], d.y[::step]

    def _caption_html(self) -> str:
        e = self.data.effect
        return (
            "<div style='line-height:1.4;white-space:normal'>"
            f"<span style='color:{WITHIN_COLOUR}'>&#9473;</span> within each {esc(self.data.group)}: "
            f"slope {fmt(e.within)} &nbsp; <span style='color:{BETWEEN_COLOUR}'>&#9473;</span> between "
            f"group means: slope {fmt(e.between)} &nbsp; contextual effect {fmt(e.estimate)} "
            f"(SE {fmt(e.std_error)})<br><small>{esc(e.reading)}</small></div>"
        )

    def picture(self) -> str:
        """The view as a static SVG."""
        return hybrid_svg(self.data)

    def _repr_mimebundle_(self, **kwargs):
        picture = self.picture()
        return with_static(super()._repr_mimebundle_(**kwargs), picture + self._caption_html(), picture)

    def describe(self, index: int) -> str:
        """Tooltip HTML for group ``index`` (all data escaped)."""
        d = self.data
        return (
            f"<b>{esc(d.group)} {esc(d.levels[index])}</b><br>mean {esc(d.variable)}: "
            f"{fmt(d.centre_x[index])}<br>within-slope: {fmt(d.slope[index])}"
        )

    def _hovered(self, _mark, content) -> None:
        index = element_index(content, "point", len(self.data.levels))
        if index is not None:
            self.hover_html.value = self.describe(index)


def hybrid_view(model, variable: str, group: str | None = None) -> HybridView:
    """The hybrid view of ``variable`` in a fitted within-between (or Mundlak) model."""
    return HybridView(hybrid_view_data(model, variable, group))
