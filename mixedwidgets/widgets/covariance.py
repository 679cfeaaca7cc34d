"""Intercept–slope covariance explorer: an anywidget view plus a chooser for (group, slope)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anywidget
import ipywidgets as ipw
import traitlets as tl

from ._esm import explorer_esm
from .covariance_data import (
    ExplorerPayload,
    SlopePair,
    explorer_payload,
    floats_to_bytes,
    names_to_bytes,
    own_estimates,
    slope_pairs,
)
from .html_util import esc, with_static
from .pictures import covariance_svg
from .reader import reader_for
from .validate import valid_index, valid_number

if TYPE_CHECKING:
    import numpy as np

NO_SLOPE_NOTE = (
    "The covariance explorer needs a grouping factor with a random intercept and a random "
    "slope, as in (1 + x | g); this model has none."
)


class CovarianceExplorer(anywidget.AnyWidget):
    """Points (u0 + c·u1, u1) per group, the covariance ellipse, and a centring slider for c."""

    _esm = explorer_esm()
    levels_utf8 = tl.Bytes(b"").tag(sync=True)
    n_levels = tl.Int(0).tag(sync=True)
    u0 = tl.Bytes(b"").tag(sync=True)
    u1 = tl.Bytes(b"").tag(sync=True)
    own0 = tl.Bytes(b"").tag(sync=True)  # each group's own least-squares deviations (Gaussian only)
    own1 = tl.Bytes(b"").tag(sync=True)
    show_own = tl.Bool(False).tag(sync=True)
    tau = tl.List(tl.Float(), [1.0, 0.0, 1.0]).tag(sync=True)
    beta = tl.List(tl.Float(), [0.0, 0.0]).tag(sync=True)
    x_range = tl.List(tl.Float(), [0.0, 1.0]).tag(sync=True)
    centre_range = tl.List(tl.Float(), [0.0, 1.0]).tag(sync=True)
    centre = tl.Float(0.0).tag(sync=True)
    contour_level = tl.Float(0.95).tag(sync=True)
    group = tl.Unicode("").tag(sync=True)
    slope_name = tl.Unicode("").tag(sync=True)
    response_label = tl.Unicode("").tag(sync=True)
    selected_level = tl.Unicode("").tag(sync=True)
    note = tl.Unicode("").tag(sync=True)
    data_version = tl.Int(0).tag(sync=True)

    def __init__(self, model, pair: SlopePair | None = None, **kwargs):
        self.reader = reader_for(model)
        self._names: tuple[str, ...] = ()
        self._payload: ExplorerPayload | None = None
        self._own: tuple[np.ndarray, np.ndarray] | None = None
        super().__init__(**kwargs)
        response = self.reader.response_name
        self.response_label = "linear predictor (link scale)" if self.reader.is_glmm else response
        self.on_msg(self._front_end_message)
        pairs = slope_pairs(self.reader)
        self.show(pair or (pairs[0] if pairs else None))

    def show(self, pair: SlopePair | None) -> None:
        """Load one (group, slope) pair; None shows a plain note instead."""
        with self.hold_sync():
            if pair is None:
                self._names, self._payload, self._own = (), None, None
                self.note, self.n_levels, self.levels_utf8 = NO_SLOPE_NOTE, 0, b""
                self.own0 = self.own1 = b""
            else:
                self._load(pair)
            self.data_version += 1

    def _load(self, pair: SlopePair) -> None:
        p = explorer_payload(self.reader, pair)
        self._names, self._payload = p.names, p
        self._own = own_estimates(self.reader, pair)
        self.own0 = floats_to_bytes(self._own[0]) if self._own is not None else b""
        self.own1 = floats_to_bytes(self._own[1]) if self._own is not None else b""
        self.note, self.group, self.slope_name = "", pair.group, pair.slope
        self.levels_utf8, self.n_levels = names_to_bytes(p.names), len(p.names)
        self.u0, self.u1 = floats_to_bytes(p.u0), floats_to_bytes(p.u1)
        self.tau, self.beta = list(p.tau), list(p.beta)
        self.x_range, self.centre_range = list(p.x_range), list(p.centre_range)
        self.centre = min(max(self.centre, p.centre_range[0]), p.centre_range[1])
        if self.selected_level not in self._names:
            self.selected_level = ""

    @property
    def level_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def own_fits(self):
        """(intercept, slope) deviations of each group's own least-squares line, or None (GLMM)."""
        return self._own

    def picture(self) -> str:
        """The points panel as a static SVG, as on screen now (centring, chosen group, own fits)."""
        if self._payload is None:
            return ""
        own = self._own if self.show_own else None
        return covariance_svg(
            self._payload, self.group, self.slope_name, self.centre, self.selected_level, own, self.contour_level
        )

    def _repr_mimebundle_(self, **kwargs):
        picture = self.picture()
        return with_static(super()._repr_mimebundle_(**kwargs), picture or f"<i>{esc(self.note)}</i>", picture)

    def centred(self) -> dict[str, float]:
        """Intercept variance and τ01 at the current centring point (what the front end shows)."""
        t00, t01, t11 = self.tau
        c = self.centre
        return {"intercept_variance": t00 + 2 * c * t01 + c * c * t11, "tau01": t01 + c * t11}

    def _front_end_message(self, _widget, content, _buffers=None) -> None:
        """Only {kind: "centre", value} and {kind: "select", index} are accepted; the rest is ignored."""
        if isinstance(content, dict) and content.get("kind") == "centre":
            self._centre_from_front_end(content.get("value"))
        elif isinstance(content, dict) and content.get("kind") == "select":
            self._select_from_front_end(content.get("index"))

    def _centre_from_front_end(self, value) -> None:
        value = valid_number(value, *self.centre_range)
        if value is not None:
            self.centre = value

    def _select_from_front_end(self, index) -> None:
        if type(index) is int and index == -1:  # a click beside every point clears the choice
            self.selected_level = ""
            return
        index = valid_index(index, len(self._names))
        if index is not None:
            label = self._names[index]
            self.selected_level = "" if label == self.selected_level else label


class CovariancePanel(ipw.VBox):
    """The explorer with a chooser when a model has several (group, slope) pairs."""

    group = tl.Unicode("")
    selected_level = tl.Unicode("")

    def __init__(self, model, **kwargs):
        self.reader = reader_for(model)
        self.pairs = slope_pairs(self.reader)
        self.explorer = CovarianceExplorer(self.reader)
        self.chooser = ipw.Dropdown(
            options=[(p.label, i) for i, p in enumerate(self.pairs)],
            description="Slope",
            layout=ipw.Layout(width="360px"),
        )
        self.chooser.observe(self._chosen, "value")
        children = [self.chooser, self.explorer] if len(self.pairs) > 1 else [self.explorer]
        super().__init__(children=children, **kwargs)
        self.group = self.explorer.group
        self.explorer.observe(self._picked_in_explorer, "selected_level")

    @tl.observe("selected_level")
    def _selection_changed(self, change) -> None:
        same_group = self.group == self.explorer.group
        self.explorer.selected_level = change["new"] if same_group else ""

    def _picked_in_explorer(self, change) -> None:
        if change["new"] and self.group != self.explorer.group:
            self.group = self.explorer.group
        if change["new"] or self.group == self.explorer.group:
            self.selected_level = change["new"]

    def _repr_mimebundle_(self, **kwargs):
        picture = self.explorer.picture()
        html = picture or f"<i>{esc(self.explorer.note)}</i>"
        return with_static(super()._repr_mimebundle_(**kwargs), html, picture)

    def _chosen(self, change) -> None:
        if change["new"] is not None:
            self.explorer.show(self.pairs[change["new"]])
            self.group = self.explorer.group

    @tl.observe("group")
    def _group_changed(self, change) -> None:
        current = self.pairs[self.chooser.value] if self.pairs and self.chooser.value is not None else None
        if current is not None and current.group == change["new"]:
            return
        for i, pair in enumerate(self.pairs):
            if pair.group == change["new"]:
                self.chooser.value = i
                return
