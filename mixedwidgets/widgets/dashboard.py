"""The linked dashboard: every view of one fitted model, sharing `group` and `selected_level`.

Layout, top to bottom, each part wrapping to the width it is given (it fits 1,000 px and narrower):
the title line; the notes (one line each, most important first); the fixed-effects and
variance-component tables side by side (each shown once); the random effects (caterpillar, search,
the chosen group's data); the intercept–slope covariance (only when a grouping factor has a random
slope); the typical-vs-population curves (only for non-Gaussian families); then any extra panels added
with `add_panel` (a profile view, say), linked like the others when they have the two traits.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw
import traitlets as tl

from .covariance import CovariancePanel
from .covariance_data import slope_pairs
from .html_util import esc, tag, with_static
from .inspector import RanefInspector
from .marginal import MarginalCurves
from .notes import gather_notes, notes_html
from .reader import ModelReader
from .static_html import (
    fixed_effects_html,
    has_rows,
    header_html,
    page_html,
    section_html,
)
from .varcomp import VarianceTable

SECTION = "margin:12px 0 4px;font-size:13px;font-weight:600"
RANEF_TITLE = "Random effects: conditional modes"
COVARIANCE_TITLE = "Intercept–slope covariance"
CURVES_TITLE = "Typical group vs population average"


def _heading(text: str) -> ipw.HTML:
    return ipw.HTML(tag("div", esc(text), style=SECTION), layout=ipw.Layout(width="100%"))


class Dashboard(ipw.VBox):
    """Tables, notes and the linked views of one fitted model; panels that do not apply are left out."""

    group = tl.Unicode("")
    selected_level = tl.Unicode("")

    def __init__(
        self, model, interval_level: float = 0.95, notes=(), ddf: str | None = None, profile: bool = False, **kwargs
    ):
        self.ddf = ddf
        self.profile = _profile_view(model, interval_level) if profile else None
        self.reader = ModelReader(model)
        self.notes = gather_notes(model, notes)
        self.varcomp = VarianceTable(self.reader, with_notes=False)
        self.inspector = RanefInspector(self.reader, interval_level=interval_level)
        self.covariance = CovariancePanel(self.reader) if slope_pairs(self.reader) else None
        self.curves = MarginalCurves(self.reader) if self.reader.is_glmm else None
        self.extras = ipw.VBox(layout=ipw.Layout(width="100%"))
        self.panels: list[tuple[str, ipw.Widget]] = []
        super().__init__(children=self._layout(), **kwargs)
        self.layout.width = "100%"
        self.add_class("mw-dashboard")
        self.group = self.inspector.group
        for view in self.linked_views():
            self._link(view)
        if self.profile is not None:  # choosing a grouping factor shows its first variance parameter's profile
            self.profile.link_to(self)

    def linked_views(self) -> list[ipw.Widget]:
        """The views that share the grouping factor and the chosen group."""
        views = [self.inspector, self.covariance, self.curves] + [w for _, w in self.panels]
        return [v for v in views if v is not None and v.has_trait("group") and v.has_trait("selected_level")]

    def _link(self, view: ipw.Widget) -> None:
        tl.link((self, "group"), (view, "group"))
        tl.link((self, "selected_level"), (view, "selected_level"))

    def _layout(self) -> list[ipw.Widget]:
        model = self.reader.model
        from ..results import tables

        header = ipw.HTML(header_html(model, tables.title(model, self.ddf)), layout=ipw.Layout(width="100%"))
        parts: list[ipw.Widget] = [header]
        if self.notes:
            parts.append(ipw.HTML(notes_html(self.notes), layout=ipw.Layout(width="100%")))
        # each table keeps its natural width; the row wraps when both do not fit side by side
        fixed = ipw.HTML(
            fixed_effects_html(model, self.ddf),
            layout=ipw.Layout(flex="0 0 auto", margin="0 28px 0 0", max_width="100%"),
        )
        self.varcomp.layout = ipw.Layout(flex="0 0 auto", max_width="100%")
        wrap = ipw.Layout(flex_flow="row wrap", width="100%")
        if self.profile is None:
            parts.append(ipw.HBox([fixed, self.varcomp], layout=wrap))
        else:  # the profiles of the variance parameters beside their table, sharing the row
            self.varcomp.layout = ipw.Layout(flex="1 1 420px", min_width="0", max_width="100%")
            self.profile.layout = ipw.Layout(flex="1 1 340px", min_width="0", max_width="100%", margin="0 0 0 20px")
            parts += [fixed, ipw.HBox([self.varcomp, self.profile], layout=wrap)]
        parts += [_heading(RANEF_TITLE), self.inspector]
        if self.covariance is not None:  # the explorer carries its own title
            parts += [self.covariance]
        if self.curves is not None:
            parts += [_heading(CURVES_TITLE), self.curves]
        return parts + [self.extras]

    def add_panel(self, title: str, widget: ipw.Widget) -> None:
        """Add a panel below the others; it is linked when it has `group` and `selected_level` traits."""
        self.panels.append((title, widget))
        self.extras.children = self.extras.children + (_heading(title), widget)
        if widget.has_trait("group") and widget.has_trait("selected_level"):
            self._link(widget)

    # ---- static pictures -----------------------------------------------------------------------
    def picture(self) -> str:
        """The caterpillar (with the chosen group) as one SVG."""
        return self.inspector.picture()

    def static_html(self) -> str:
        """Everything on screen as static HTML: header, notes, tables once, and each view as inline SVG."""
        model = self.reader.model
        from ..results import tables
        from .varcomp_html import varcomp_html

        parts = [
            header_html(model, tables.title(model, self.ddf)),
            notes_html(self.notes),
            tag(
                "div",
                fixed_effects_html(model, self.ddf) + varcomp_html(model, with_notes=False),
                style="display:flex;flex-wrap:wrap;gap:8px 28px",
            ),
        ]
        views = []
        if has_rows(self.inspector.plot.data):
            caption = tag("div", self.inspector.caption.value, style="max-width:460px")
            views.append(section_html(RANEF_TITLE, self.inspector.picture() + caption))
        if self.covariance is not None and self.covariance.explorer.picture():
            views.append(section_html(COVARIANCE_TITLE, self.covariance.explorer.picture()))
        if self.curves is not None and self.curves.picture():
            views.append(section_html(CURVES_TITLE, self.curves.picture()))
        for title, widget in self.panels:
            picture = getattr(widget, "picture", None)
            if callable(picture) and picture():
                views.append(section_html(title, picture()))
        parts.append(tag("div", "".join(views), style="display:flex;flex-wrap:wrap;gap:0 24px"))
        return tag("div", "".join(parts), class_="mw-static")

    def save(self, path: str | Path) -> Path:
        """Write the dashboard as one self-contained HTML file (inline SVG, escaped text); returns the path."""
        target = Path(path)
        title = f"Mixed model: {self.reader.model.formula}"
        target.write_text(page_html(title, self.static_html()), encoding="utf-8")
        return target

    def _repr_mimebundle_(self, **kwargs):
        return with_static(
            super()._repr_mimebundle_(**kwargs), self.static_html(), self.picture(), str(self.reader.model.summary())
        )


def _profile_view(model, level: float):
    from .profile_view import ProfileView

    return ProfileView(model, level=level)


def explore(model, interval_level: float = 0.95, notes=(), ddf: str | None = None, profile: bool = False) -> Dashboard:
    """All views of a fitted model, linked: choosing a group in one highlights it in the others.

    ddf chooses the t tests' degrees of freedom of an LMM (Satterthwaite's by default, as lmerTest);
    profile=True adds the likelihood profiles (mw.profile_view) beside the variance table."""
    return Dashboard(model, interval_level=interval_level, notes=notes, ddf=ddf, profile=profile)
