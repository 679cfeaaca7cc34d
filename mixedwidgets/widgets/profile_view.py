"""Profile view (bqplot): ζ against the value of one parameter, with its profile interval marked.

`mw.profile_view(m)` draws the likelihood profile of every parameter of a fitted model (chosen from a
list, in lme4's confint order) as lme4's `xyplot(profile(m))`: the curve through the profile's points,
ζ = 0 at the estimate, dashed lines at ζ = ±z(1 − α/2), and the interval where the curve crosses them.

Linking: the view has traits `group` (a grouping factor) and `parameter` (a row label such as
`sd_(Intercept)|Subject`). Setting `group` shows that factor's first variance parameter; `link_to(dash)`
links `group` with a dashboard (or any widget with a `group` trait, as the variance-component views of
`explore` share), so choosing a factor there shows its profile here.
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as ipw
import numpy as np
import pandas as pd
import traitlets as tl
from scipy import stats

from .html_util import esc, fmt, tag

CURVE = "#1f77b4"
INTERVAL = "#d62728"
CELL = "padding:2px 8px;text-align:right;border-bottom:1px solid #ddd"


def group_of(parameter: str) -> str:
    """The grouping factor of a variance parameter's label ('' for sigma and the fixed effects)."""
    if parameter.startswith(("sd_", "cor_")) and "|" in parameter:
        return parameter.rsplit("|", 1)[1]
    return ""


def interval_table(intervals: pd.DataFrame, level: float) -> str:
    """The profile intervals as an HTML table (every label escaped)."""
    head = "".join(tag("th", esc(h), style=CELL) for h in ("parameter", f"{100 * level:g}% lower", "upper"))
    body = "".join(
        tag(
            "tr",
            tag("td", esc(name), style=CELL + ";text-align:left")
            + tag("td", fmt(row.lower), style=CELL)
            + tag("td", fmt(row.upper), style=CELL),
        )
        for name, row in intervals.iterrows()
    )
    return tag(
        "table",
        tag("thead", tag("tr", head)) + tag("tbody", body),
        style="border-collapse:collapse;font-size:12px",
        class_="mw-profile-table",
    )


class ProfileView(ipw.VBox):
    """One bqplot Figure whose marks are updated in place when the parameter changes."""

    parameter = tl.Unicode("")
    group = tl.Unicode("")

    def __init__(self, model, level: float = 0.95, **kwargs):
        self.level = float(level)
        self.z = float(stats.norm.ppf(0.5 + self.level / 2))
        self.curves = model.profile(zeta_max=max(self.z, 2.0) + 0.3)
        self.intervals = model.confint("profile", level=self.level)
        names = list(self.intervals.index)
        self.selector = ipw.Dropdown(
            options=names, description="parameter", layout=ipw.Layout(width="95%", max_width="420px")
        )
        self.caption = ipw.HTML()
        self.figure = self._build_figure()
        self.table = ipw.HTML(interval_table(self.intervals, self.level))
        super().__init__(children=[self.selector, self.figure, self.caption, self.table], **kwargs)
        self.add_class("mw-profile-view")
        tl.link((self.selector, "value"), (self, "parameter"))
        self.observe(self._show, names="parameter")
        self.observe(self._group_chosen, names="group")
        self.parameter = names[0]
        self._show()

    def _build_figure(self) -> bq.Figure:
        self.x_scale, self.y_scale = bq.LinearScale(), bq.LinearScale()
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.cutoffs = bq.Lines(
            x=[[0, 1], [0, 1]],
            y=[[-self.z, -self.z], [self.z, self.z]],
            scales=scales,
            colors=["#999999"],
            line_style="dashed",
            enable_hover=False,
        )
        self.curve = bq.Lines(x=[], y=[], scales=scales, colors=[CURVE], stroke_width=2, enable_hover=False)
        self.points = bq.Scatter(x=[], y=[], scales=scales, colors=[CURVE], default_size=20, enable_hover=False)
        self.bounds = bq.Lines(
            x=[[0, 0], [0, 0]], y=[[0, 0], [0, 0]], scales=scales, colors=[INTERVAL], stroke_width=2, enable_hover=False
        )
        x_axis = bq.Axis(scale=self.x_scale, label="value", grid_lines="dashed")
        y_axis = bq.Axis(scale=self.y_scale, orientation="vertical", label="ζ", grid_lines="dashed")
        figure = bq.Figure(
            marks=[self.cutoffs, self.curve, self.points, self.bounds],
            axes=[x_axis, y_axis],
            animation_duration=0,
            fig_margin={"top": 10, "bottom": 45, "left": 55, "right": 15},
            layout=ipw.Layout(width="100%", height="320px", min_width="300px"),
        )
        figure.add_class("mw-profile-figure")
        return figure

    def _show(self, change=None) -> None:
        curve = self.curves[self.curves.parameter == self.parameter]
        if curve.empty:
            return
        x, zeta = curve.value.to_numpy(), curve.zeta.to_numpy()
        lower, upper = self.intervals.loc[self.parameter, ["lower", "upper"]]
        x_lo, x_hi = float(np.min(x)), float(np.max(x))
        ends = [v for v in (lower, upper) if np.isfinite(v)]
        with self.curve.hold_sync(), self.points.hold_sync(), self.bounds.hold_sync(), self.cutoffs.hold_sync():
            self.curve.x, self.curve.y = x, zeta
            self.points.x, self.points.y = x, zeta
            self.cutoffs.x = [[x_lo, x_hi], [x_lo, x_hi]]
            self.bounds.x = [[v, v] for v in ends] or [[x_lo, x_lo]]
            self.bounds.y = [[-self.z if v == lower else 0.0, 0.0 if v == lower else self.z] for v in ends] or [[0, 0]]
        self.caption.value = tag(
            "div",
            f"{esc(self.parameter)}: {100 * self.level:g}% profile interval [{fmt(lower)}, {fmt(upper)}]",
            style="font-size:12px",
        )

    def _group_chosen(self, change) -> None:
        for name in self.intervals.index:
            if group_of(name) == self.group:
                self.parameter = name
                return

    def link_to(self, other) -> tl.link:
        """Keep this view's `group` and `other.group` equal (e.g. the dashboard of `mw.explore`), showing
        `other`'s group at once."""
        link = tl.link((other, "group"), (self, "group"))
        self._group_chosen(None)
        return link

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = tag("div", self.caption.value + self.table.value, class_="mw-profile-view")
        return bundle


def profile_view(model, level: float = 0.95) -> ProfileView:
    """The likelihood profile of every parameter of a fitted model, ζ against value, intervals marked."""
    return ProfileView(model, level=level)
