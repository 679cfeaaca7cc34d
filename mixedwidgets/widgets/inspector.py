"""Random-effect inspector: caterpillar plot, interval control and the chosen group's data."""

from __future__ import annotations

import ipywidgets as ipw
import traitlets as tl

from .caterpillar import CaterpillarPlot
from .group_panel import GroupPanel
from .html_util import esc, with_static
from .pictures import caterpillar_svg
from .ranef_data import INTERVAL_LEVELS, SORT_ORDERS, caterpillar_data, group_panel_data
from .reader import reader_for
from .static_html import caterpillar_table_html

CAPTION = (
    "Each dot is one {group}'s <b>conditional mode</b>: the model's prediction of how far this "
    "{group} lies from the average, given its own data and the spread of all {group} groups, so it "
    "is pulled towards 0 (shrunken), most where data are few. The bar is a {pct} prediction interval "
    "from its conditional SD: how uncertain that prediction is, not a test of the {group}."
)


class RanefInspector(ipw.VBox):
    """Caterpillar plot per grouping factor and term, linked through `group` and `selected_level`."""

    group = tl.Unicode()
    term = tl.Unicode()
    interval_level = tl.Float(0.95)
    selected_level = tl.Unicode("")
    order = tl.Enum(SORT_ORDERS, default_value="value")

    def __init__(self, model, interval_level: float = 0.95, **kwargs):
        self.reader = reader_for(model)
        self.plot = CaterpillarPlot(on_select=self._select_from_plot)
        response = self.reader.response_name
        binomial = self.reader.family == "binomial"
        self.panel = GroupPanel(response, f"{response} (proportion)" if binomial else response)
        self._controls()
        super().__init__(**kwargs)
        self.layout.width = "100%"
        self.interval_level = interval_level
        self.group = self.reader.groups[0]
        self.caption = ipw.HTML(layout=ipw.Layout(width="100%"))
        self.caption.add_class("mw-caterpillar-caption")
        self._caption()
        controls = [self.group_choice, self.term_choice, self.level_choice, self.order_choice, self.find]
        self.children = [
            ipw.HBox(controls, layout=ipw.Layout(flex_flow="row wrap", width="100%")),
            self.caption,
            ipw.HBox(
                [ipw.VBox([self.plot.figure], layout=ipw.Layout(flex="1 1 380px", min_width="0")), self.panel.box],
                layout=ipw.Layout(width="100%", flex_flow="row wrap"),
            ),
        ]

    def _controls(self) -> None:
        small = ipw.Layout(width="auto")
        self.group_choice = ipw.Dropdown(options=list(self.reader.groups), description="Grouping", layout=small)
        self.term_choice = ipw.Dropdown(options=[], description="Term", layout=small)
        self.level_choice = ipw.Dropdown(options=_level_options(INTERVAL_LEVELS), description="Interval", layout=small)
        self.order_choice = ipw.Dropdown(
            options=[("by value", "value"), ("by name", "name")], description="Sort", layout=small
        )
        self.find = ipw.Combobox(
            placeholder="type a name", ensure_option=False, description="Find", layout=ipw.Layout(width="240px")
        )
        self.find.add_class("mw-find")
        self.order_choice.observe(lambda ch: setattr(self, "order", ch["new"]), "value")
        self.find.observe(self._found, "value")
        self.group_choice.observe(lambda ch: setattr(self, "group", ch["new"]), "value")
        self.term_choice.observe(lambda ch: setattr(self, "term", ch["new"]) if ch["new"] else None, "value")
        self.level_choice.observe(lambda ch: setattr(self, "interval_level", ch["new"]), "value")

    @tl.validate("group")
    def _valid_group(self, proposal):
        if proposal["value"] not in self.reader.groups:
            raise tl.TraitError(f"no grouping factor named {proposal['value']!r}")
        return proposal["value"]

    @tl.validate("interval_level")
    def _valid_level(self, proposal):
        value = float(proposal["value"])
        if not 0 < value < 1:
            raise tl.TraitError("the interval level must lie strictly between 0 and 1")
        known = [v for _, v in self.level_choice.options]
        if value not in known:
            self.level_choice.options = _level_options(known + [value])
        return value

    def _found(self, change) -> None:
        """A name typed or picked in the find box selects that group (unknown text is ignored)."""
        name = str(change["new"])
        if name and self.reader.level_index(self.group, name) >= 0:
            self.selected_level = name

    def _caption(self) -> None:
        group = esc(self.group or "group")
        self.caption.value = (
            "<div style='font-size:12px;color:#555;white-space:normal;line-height:1.35'>"
            + CAPTION.format(group=group, pct=f"{100 * self.interval_level:g}%")
            + "</div>"
        )

    @tl.observe("group")
    def _group_changed(self, change) -> None:
        self.group_choice.value = change["new"]
        terms = self.reader.terms(change["new"])
        self.selected_level = ""
        names = self.reader.levels(change["new"])
        self.find.options = list(names) if len(names) <= 5000 else []
        self.find.description = "Find"
        self.find.placeholder = "type a name"
        self.term_choice.options = list(terms)
        if self.term not in terms:
            self.term = terms[0]  # redraws through _view_changed
        else:
            self._redraw()
        self.term_choice.value = self.term

    @tl.observe("term", "interval_level", "order")
    def _view_changed(self, _change) -> None:
        self.level_choice.value = self.interval_level
        self.order_choice.value = self.order
        self._redraw()

    @tl.observe("selected_level")
    def _selection_changed(self, _change) -> None:
        if self.plot.data is None:
            return
        self.plot.highlight(self.selected_level)
        self.panel.show(self.group, group_panel_data(self.reader, self.group, self.term, self.selected_level))
        if self.find.value != self.selected_level:
            self.find.value = self.selected_level

    def _redraw(self) -> None:
        if not self.group or self.term not in self.reader.terms(self.group):
            return
        if hasattr(self, "caption"):
            self._caption()
        data = caterpillar_data(self.reader.ranef, self.group, self.term, self.interval_level, self.order)
        self.plot.show(data, self.selected_level)
        self.panel.show(self.group, group_panel_data(self.reader, self.group, self.term, self.selected_level))

    def _select_from_plot(self, label: str) -> None:
        self.selected_level = "" if label == self.selected_level else label

    def picture(self) -> str:
        """The caterpillar as a static SVG (what is on screen now, chosen group included)."""
        return caterpillar_svg(self.plot.data, self.selected_level) if self.plot.data is not None else ""

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if self.plot.data is None:
            return bundle
        return with_static(bundle, self.picture() + caterpillar_table_html(self.plot.data), self.picture())


def _level_options(levels) -> list[tuple[str, float]]:
    return [(f"{100 * v:g}%", v) for v in sorted(set(levels))]
