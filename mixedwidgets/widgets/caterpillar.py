"""Caterpillar plot (bqplot) of conditional modes with intervals; marks are updated in place.

Every interval is drawn in the same neutral colour: an interval that excludes zero is not a test of
that group, so nothing is coloured as "significant". Only the chosen group stands out.
"""

from __future__ import annotations

from collections.abc import Callable

import bqplot as bq
import ipywidgets as ipw
import numpy as np

from .html_util import esc, fmt
from .pictures import CHOSEN, INTERVAL, MAX_LABELLED, MODE
from .ranef_data import CaterpillarData, segments, x_extent
from .svg import nice_ticks
from .validate import element_index


class CaterpillarPlot:
    """Owns one bqplot Figure whose marks get new data; the Figure is never rebuilt."""

    def __init__(self, on_select: Callable[[str], None]):
        self._on_select = on_select
        self.data: CaterpillarData | None = None
        self.tooltip = ipw.HTML(layout=ipw.Layout(padding="2px 6px"))
        self.x_scale = bq.LinearScale()
        self.y_scale = bq.LinearScale()
        self.figure = self._build_figure()
        self.points.on_hover(self._hovered)
        self.points.on_element_click(self._clicked)

    def _build_figure(self) -> bq.Figure:
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.zero = bq.Lines(
            x=[0.0, 0.0], y=[0.0, 1.0], scales=scales, colors=["#999999"], line_style="dashed", enable_hover=False
        )
        self.intervals = bq.Lines(x=[], y=[], scales=scales, colors=[INTERVAL], stroke_width=1.5, enable_hover=False)
        self.chosen_interval = bq.Lines(x=[], y=[], scales=scales, colors=[CHOSEN], stroke_width=3, enable_hover=False)
        self.points = bq.Scatter(
            x=[],
            y=[],
            scales=scales,
            colors=[MODE],
            default_size=24,
            stroke="white",
            tooltip=self.tooltip,
            interactions={"hover": "tooltip"},
        )
        self.selected = bq.Scatter(
            x=[],
            y=[],
            scales=scales,
            colors=[CHOSEN],
            default_size=110,
            stroke="black",
            stroke_width=1.5,
            enable_hover=False,
        )
        self.x_axis = bq.Axis(scale=self.x_scale, label="conditional mode", grid_lines="dashed")
        self.y_axis = bq.Axis(scale=self.y_scale, side="left", grid_lines="none")
        figure = bq.Figure(
            marks=[self.zero, self.intervals, self.chosen_interval, self.points, self.selected],
            axes=[self.x_axis, self.y_axis],
            animation_duration=0,
            fig_margin={"top": 10, "bottom": 45, "left": 60, "right": 15},
            layout=ipw.Layout(width="100%", height="420px", min_width="320px"),
        )
        figure.add_class("mw-caterpillar")
        return figure

    def show(self, data: CaterpillarData, selected: str = "") -> None:
        """Put new data into the existing marks (one message per mark)."""
        self.data = data
        self._set_scales(data)
        self._fill_marks(data)
        self._label_axes(data)
        self.figure.layout.height = f"{int(min(560, max(260, 60 + 16 * len(data.labels))))}px"
        self.highlight(selected)

    def _set_scales(self, data: CaterpillarData) -> None:
        lo, hi = x_extent(data)
        with self.x_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = lo, hi
        self.x_axis.tick_values = np.array(nice_ticks(lo, hi, 6))  # round numbers, not crowded
        with self.y_scale.hold_sync():
            self.y_scale.min, self.y_scale.max = -1.0, float(max(len(data.labels), 1))

    def _fill_marks(self, data: CaterpillarData) -> None:
        n = len(data.labels)
        self._set_xy(self.zero, np.array([0.0, 0.0]), np.array([-1.0, float(n)]))
        self._set_xy(self.intervals, *segments(data, np.ones(n, dtype=bool)))
        with self.points.hold_sync():
            self.points.x, self.points.y = data.condval, np.arange(n, dtype=float)
            self.points.default_size = 24 if n <= 200 else 8
            self.points.stroke = "white" if n <= 200 else None

    @staticmethod
    def _set_xy(mark, x: np.ndarray, y: np.ndarray) -> None:
        with mark.hold_sync():
            mark.x, mark.y = x, y

    def _label_axes(self, data: CaterpillarData) -> None:
        n = len(data.labels)
        self.x_axis.label = f"conditional mode of {data.term} ({100 * data.level:g}% interval)"
        labelled = n <= MAX_LABELLED
        with self.y_axis.hold_sync():
            self.y_axis.tick_values = np.arange(n, dtype=float) if labelled else None
            self.y_axis.tick_labels = {str(i): str(s) for i, s in enumerate(data.labels)} if labelled else None
            self.y_axis.tick_format = None if labelled else "d"
            self.y_axis.label = "" if labelled else f"{n} {data.group} groups, in order"
            self.y_axis.label_offset = None if labelled else "45px"
        longest = max((len(str(s)) for s in data.labels), default=4) if labelled else 10
        self.figure.fig_margin = {"top": 10, "bottom": 45, "left": int(min(180, 30 + 7 * longest)), "right": 15}

    def highlight(self, label: str) -> None:
        """Mark the chosen group's mode and interval (empty label: none)."""
        pos = self.data.position(label) if (self.data is not None and label) else -1
        if pos < 0:
            self._set_xy(self.selected, np.array([]), np.array([]))
            self._set_xy(self.chosen_interval, np.array([]), np.array([]))
        else:
            d = self.data
            assert d is not None
            self._set_xy(self.selected, d.condval[pos : pos + 1], np.array([float(pos)]))
            self._set_xy(self.chosen_interval, np.array([d.lower[pos], d.upper[pos]]), np.array([float(pos)] * 2))

    def describe(self, pos: int) -> str:
        """Tooltip HTML for sorted position `pos` (all data escaped)."""
        d = self.data
        assert d is not None
        return (
            f"<b>{esc(d.group)} {esc(d.labels[pos])}</b><br>{esc(d.term)}: {fmt(d.condval[pos])}"
            f"<br>{100 * d.level:g}% interval: [{fmt(d.lower[pos])}, {fmt(d.upper[pos])}]"
            f"<br>conditional SD: {fmt(d.condsd[pos])}"
        )

    def _hovered(self, _mark, content) -> None:
        pos = element_index(content, "data", self._size())
        if pos is not None:
            self.tooltip.value = self.describe(pos)

    def _clicked(self, _mark, content) -> None:
        pos = element_index(content, "data", self._size())
        if pos is not None:
            assert self.data is not None
            self._on_select(str(self.data.labels[pos]))

    def _size(self) -> int:
        return 0 if self.data is None else len(self.data.labels)
