"""The linked dashboard: every view of one fitted model, sharing `group` and `selected_level`."""

from __future__ import annotations

import ipywidgets as ipw
import traitlets as tl

from .covariance import CovariancePanel
from .html_util import esc, tag
from .inspector import RanefInspector
from .marginal import MarginalCurves
from .reader import ModelReader
from .static_html import dashboard_html
from .varcomp import VarianceTable

SECTION = "margin:10px 0 2px;font-size:13px;font-weight:600"


def _heading(text: str) -> ipw.HTML:
    return ipw.HTML(tag("div", esc(text), style=SECTION))


class Dashboard(ipw.VBox):
    """Variance components, covariance explorer, random-effect inspector and (GLMM) curves, linked."""

    group = tl.Unicode("")
    selected_level = tl.Unicode("")

    def __init__(self, model, interval_level: float = 0.95, **kwargs):
        self.reader = ModelReader(model)
        self.varcomp = VarianceTable(self.reader)
        self.covariance = CovariancePanel(self.reader)
        self.inspector = RanefInspector(self.reader, interval_level=interval_level)
        self.curves = MarginalCurves(self.reader)
        super().__init__(children=self._layout(), **kwargs)
        self.add_class("mw-dashboard")
        self.group = self.inspector.group
        for view in (self.inspector, self.covariance, self.curves):
            tl.link((self, "group"), (view, "group"))
            tl.link((self, "selected_level"), (view, "selected_level"))

    def _layout(self) -> list[ipw.Widget]:
        model = self.reader.model
        title = tag("div", "Mixed model: " + tag("code", esc(model.formula)) + " (" + esc(self.reader.family) + ")",
                    style="font-size:14px;font-weight:600")
        top = ipw.HBox([ipw.VBox([self.varcomp], layout=ipw.Layout(flex="1 1 360px", margin="0 16px 0 0")),
                        ipw.VBox([self.covariance], layout=ipw.Layout(flex="2 1 700px"))],
                       layout=ipw.Layout(flex_flow="row wrap", width="100%"))
        return [ipw.HTML(title), top, _heading("Random effects (conditional modes)"), self.inspector,
                _heading("Typical vs population-averaged curves"), self.curves]

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = dashboard_html(self.reader.model, self.inspector.plot.data)
        return bundle


def explore(model, interval_level: float = 0.95) -> Dashboard:
    """All views of a fitted model, linked: choosing a level in one highlights it in the others."""
    return Dashboard(model, interval_level=interval_level)
