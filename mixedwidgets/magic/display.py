"""What the magic shows after a fit, per --view; widgets are imported only when something is shown."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable


class Summary:
    """The model's summary as text and (escaped) HTML, with no widget needed."""

    def __init__(self, model, ddf: str | None = None):
        self.model = model
        self.ddf = ddf  # df method of the t tests (LMMs); None: the model's default

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
        return {
            "text/plain": "\n".join(f"Note: {n}" for n in self.notes),
            "text/html": f'<ul class="mw-notes" style="color:#8a5300;margin:2px 0">{items}</ul>',
        }


def views_for(model, view: str, interval_level: float, notes: Iterable[str] = (), ddf: str | None = None) -> list:
    """The objects to display for --view `view`.

    The default ("all") is the dashboard alone: it holds the summary's tables (fixed effects, variance
    components) and every note once, so nothing is printed twice; its plain-text form is the summary.
    """
    from mixedwidgets import widgets as w

    if view == "all":
        return [w.explore(model, interval_level=interval_level, notes=notes, ddf=ddf)]
    new_notes = fresh_notes(model, notes)
    shown = [Notes(new_notes)] if new_notes else []
    if view == "summary":
        return shown + [Summary(model, ddf)]
    if view == "ranef":
        return shown + [w.RanefInspector(model, interval_level=interval_level)]
    if view == "varcomp":
        return shown + [w.VarianceTable(model)]
    return shown + [w.CovariancePanel(model)]


def fresh_notes(model, notes: Iterable[str]) -> list[str]:
    """The notes that the model's own messages (shown by every view) do not already say."""
    said = {" ".join(str(m).split()).lower() for m in getattr(model, "messages", []) or []}
    return [n for n in notes if " ".join(n.split()).lower() not in said]


def show_result(
    model, notes: list[str], view: str, interval_level: float, display: Callable | None = None, ddf: str | None = None
) -> None:
    """Display the chosen view(s), with each note said once."""
    if display is None:
        from IPython.display import display as ipython_display

        display = ipython_display
    for item in views_for(model, view, interval_level, notes, ddf):
        display(item)
