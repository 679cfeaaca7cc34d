"""What the magic shows after a fit, per --view; widgets are imported only when something is shown."""

from __future__ import annotations

import html
from typing import Callable, Iterable


class Summary:
    """The model's summary as text and (escaped) HTML, with no widget needed."""

    def __init__(self, model, ddf: str | None = None):
        self.model = model
        self.ddf = ddf   # df method of the t tests (LMMs); None: the model's default

    def _repr_mimebundle_(self, **_kwargs):
        extra = {} if self.ddf is None else {"ddf": self.ddf}
        bundle = {"text/plain": str(self.model.summary(**extra))}
        html_repr = getattr(self.model, "_repr_html_", None)
        if callable(html_repr):
            bundle["text/html"] = html_repr(**extra)
        return bundle


class Notes:
    """Warnings raised during the fit, as short plain-words notes."""

    def __init__(self, notes: Iterable[str]):
        self.notes = list(notes)

    def _repr_mimebundle_(self, **_kwargs):
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return {"text/plain": "\n".join(f"Note: {n}" for n in self.notes),
                "text/html": f'<ul class="mw-notes" style="color:#8a5300;margin:2px 0">{items}</ul>'}


def views_for(model, view: str, interval_level: float, ddf: str | None = None) -> list:
    """The objects to display for --view `view`."""
    from mixedwidgets import widgets as w

    if view == "summary":
        return [Summary(model, ddf)]
    if view == "ranef":
        return [w.RanefInspector(model, interval_level=interval_level)]
    if view == "varcomp":
        return [w.VarianceTable(model)]
    if view == "covariance":
        return [w.CovariancePanel(model)]
    return [Summary(model, ddf), w.explore(model, interval_level=interval_level)]


def show_result(model, notes: list[str], view: str, interval_level: float,
                display: Callable | None = None, ddf: str | None = None) -> None:
    """Display the notes and the chosen view(s)."""
    if display is None:
        from IPython.display import display as ipython_display
        display = ipython_display
    if notes:
        display(Notes(notes))
    for item in views_for(model, view, interval_level, ddf):
        display(item)
