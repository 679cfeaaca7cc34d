"""GLMM view: the typical group's curve (random effects at 0) against the population-averaged curve."""

from __future__ import annotations

import bqplot as bq
import ipywidgets as ipw
import numpy as np
import traitlets as tl

from .html_util import esc, with_static
from .marginal_data import CurveData, curve_data, predictor_candidates
from .pictures import CHOSEN, curves_svg
from .reader import reader_for

GAUSSIAN_NOTE = (
    "Typical vs marginal curves: for a Gaussian model with identity link the curve of a "
    "typical group (random effects at zero) and the population-averaged curve coincide, so "
    "this view lights up only for non-Gaussian models (binomial, Poisson, negative binomial, Gamma)."
)
EXPLAIN = (
    "<b>Conditional vs marginal</b> on the response scale. Dashed: a typical group "
    "(all random effects at zero). Solid: the population average over the random effects, "
    "which is pulled towards 1/2 on the probability scale. Orange: the chosen group."
)


class MarginalCurves(ipw.VBox):
    """Typical (kind="typical") vs marginal (kind="marginal") predictions over a chosen predictor."""

    group = tl.Unicode("")
    selected_level = tl.Unicode("")

    def __init__(self, model, **kwargs):
        self.reader = reader_for(model)
        self.note = ipw.HTML()
        super().__init__(**kwargs)
        self.data: CurveData | None = None
        self.predictors = predictor_candidates(self.reader) if self.reader.is_glmm else []
        if not self.reader.is_glmm:
            self.note.value = esc(GAUSSIAN_NOTE)
            self.children = [self.note]
            return
        if not self.predictors:
            self.note.value = esc("Typical vs marginal curves need a predictor in the fixed part.")
            self.children = [self.note]
            return
        self._build()
        explain = ipw.HTML(f"<div style='line-height:1.4;white-space:normal'>{EXPLAIN}</div>")
        self.children = [explain, self.chooser, self.note, self.figure]
        self.refresh()

    def _build(self) -> None:
        self.chooser = ipw.Dropdown(
            options=[(str(p), i) for i, p in enumerate(self.predictors)],
            description="Predictor",
            layout=ipw.Layout(width="280px"),
        )
        self.chooser.observe(lambda _ch: self.refresh(), "value")
        self.x_scale, self.y_scale = bq.LinearScale(), bq.LinearScale(min=0.0)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.typical = bq.Lines(
            x=[],
            y=[],
            scales=scales,
            colors=["#555555"],
            line_style="dashed",
            stroke_width=2,
            labels=["typical group"],
            display_legend=True,
        )
        self.marginal = bq.Lines(
            x=[],
            y=[],
            scales=scales,
            colors=["#1f77b4"],
            stroke_width=2.5,
            labels=["population average"],
            display_legend=True,
        )
        self.selected = bq.Lines(x=[], y=[], scales=scales, colors=[CHOSEN], stroke_width=2)
        self.x_axis = bq.Axis(scale=self.x_scale, label="")
        self.y_axis = bq.Axis(scale=self.y_scale, side="left", label=self._y_label())
        self.figure = bq.Figure(
            marks=[self.typical, self.marginal, self.selected],
            axes=[self.x_axis, self.y_axis],
            animation_duration=0,
            legend_location="top-right",
            fig_margin={"top": 20, "bottom": 45, "left": 60, "right": 15},
            layout=ipw.Layout(width="100%", max_width="640px", height="320px"),
        )
        self.figure.add_class("mw-curves")

    def picture(self) -> str:
        """The curves as a static SVG ("" when there are none)."""
        return curves_svg(self.data, self._y_label()) if self.data is not None else ""

    def _repr_mimebundle_(self, **kwargs):
        picture = self.picture()
        return with_static(super()._repr_mimebundle_(**kwargs), picture or self.note.value, picture)

    def _y_label(self) -> str:
        return "probability" if self.reader.family == "binomial" else "expected response"

    @tl.observe("selected_level", "group")
    def _selection_changed(self, _change) -> None:
        if getattr(self, "chooser", None) is not None and self.predictors:
            self.refresh()

    def refresh(self) -> None:
        """Recompute the curves for the chosen predictor and put them into the existing marks."""
        predictor = self.predictors[self.chooser.value]
        try:
            self.data = curve_data(self.reader, predictor, self.group, self.selected_level)
        except (ValueError, KeyError, NotImplementedError) as exc:
            self.note.value = esc(f"Could not compute the curves: {exc}")
            return
        self.note.value = ""
        self._draw(self.data)

    def _draw(self, data: CurveData) -> None:
        marker = "circle" if data.categorical else None
        chosen = data.selected if data.selected is not None else np.array([])
        for mark, values in ((self.typical, data.typical), (self.marginal, data.marginal), (self.selected, chosen)):
            with mark.hold_sync():
                mark.x = data.x if values.size else np.array([])
                mark.y = values
                mark.marker = marker
        self._set_x_axis(data)
        self._set_y_limit(np.concatenate([data.typical, data.marginal, chosen]))

    def _set_x_axis(self, data: CurveData) -> None:
        with self.x_axis.hold_sync():
            self.x_axis.label = data.predictor
            self.x_axis.tick_values = data.x if data.categorical else None
            self.x_axis.tick_labels = {str(i): s for i, s in enumerate(data.labels)} if data.categorical else None
        pad = 0.3 if data.categorical else 0.0
        with self.x_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = float(data.x.min()) - pad, float(data.x.max()) + pad

    def _set_y_limit(self, values: np.ndarray) -> None:
        top = np.nanmax(values) if values.size else np.nan
        limit = 1.0 if self.reader.family == "binomial" else np.inf
        self.y_scale.max = float(min(limit, top * 1.15)) if np.isfinite(top) and top > 0 else 1.0
