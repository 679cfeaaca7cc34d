"""One level's observations with its fitted line (conditional) against the population line (typical)."""

from __future__ import annotations

import bqplot as bq
import ipywidgets as ipw
import numpy as np

from .html_util import esc
from .ranef_data import GroupPanelData

FITTED = "#e08a00"  # the chosen group's colour in every view
POPULATION = "#555555"
PROMPT = (
    "<div style='line-height:1.4;white-space:normal'><i>Pick a group (click a dot, a point in the covariance "
    "view, or type its name) to see its data.</i></div>"
)


class GroupPanel:
    """A bqplot Figure with three marks that are refilled whenever another level is chosen."""

    def __init__(self, response_name: str, y_label: str | None = None):
        self.response_name = response_name
        self.x_scale = bq.LinearScale()
        self.y_scale = bq.LinearScale()
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.points = bq.Scatter(x=[], y=[], scales=scales, colors=["#1f77b4"], default_size=36, enable_hover=False)
        self.fitted = bq.Lines(x=[], y=[], scales=scales, colors=[FITTED], stroke_width=2.5, enable_hover=False)
        self.population = bq.Lines(
            x=[], y=[], scales=scales, colors=[POPULATION], line_style="dashed", stroke_width=2, enable_hover=False
        )
        self.x_axis = bq.Axis(scale=self.x_scale, label="")
        self.y_axis = bq.Axis(scale=self.y_scale, side="left", label=y_label or response_name)
        self.figure = bq.Figure(
            marks=[self.population, self.fitted, self.points],
            axes=[self.x_axis, self.y_axis],
            animation_duration=0,
            fig_margin={"top": 15, "bottom": 45, "left": 60, "right": 15},
            layout=ipw.Layout(width="100%", height="320px", min_width="300px"),
        )
        self.figure.add_class("mw-group-panel")
        self.caption = ipw.HTML(PROMPT, layout=ipw.Layout(width="100%"))
        self.caption.add_class("mw-group-caption")
        self.frame = ipw.Box([self.figure], layout=ipw.Layout(width="100%"))  # bqplot ignores visibility
        self.box = ipw.VBox([self.caption, self.frame], layout=ipw.Layout(flex="1 1 320px"))

    def show(self, group: str, data: GroupPanelData | None) -> None:
        """Fill the marks with `data`, or empty them when nothing is chosen."""
        if data is None:
            for mark in (self.points, self.fitted, self.population):
                with mark.hold_sync():
                    mark.x, mark.y = np.array([]), np.array([])
            self.caption.value = PROMPT
            self.frame.layout.visibility = "hidden"
            return
        self.frame.layout.visibility = "visible"
        with self.points.hold_sync():
            self.points.x, self.points.y = data.x, data.y
        with self.fitted.hold_sync():
            self.fitted.x, self.fitted.y = data.x, data.conditional
        with self.population.hold_sync():
            self.population.x, self.population.y = data.x, data.typical
        self.x_axis.label = data.x_label
        self._rescale(data)
        self.caption.value = (
            f"<div style='white-space:normal;line-height:1.35'><b>{esc(group)} {esc(data.label)}"
            f"</b>: {len(data.y)} observations of {esc(self.response_name)}; solid orange: this "
            f"{esc(group)}'s fitted line (conditional), dashed grey: a typical {esc(group)} "
            "(random effects 0)</div>"
        )

    def _rescale(self, data: GroupPanelData) -> None:
        for scale, arrays in ((self.x_scale, [data.x]), (self.y_scale, [data.y, data.conditional, data.typical])):
            values = np.concatenate(arrays)
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            lo, hi = float(values.min()), float(values.max())
            pad = 0.06 * (hi - lo or abs(hi) or 1.0)
            with scale.hold_sync():
                scale.min, scale.max = lo - pad, hi + pad
