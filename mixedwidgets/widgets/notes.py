"""The fit's notes gathered in one place: one plain line each, most important first, each said once."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .html_util import esc, tag

NOT_CONVERGED = "The optimizer did not report convergence; treat these estimates with caution."
SINGULAR = (
    "Singular fit: a variance is estimated as zero or a correlation as ±1; the data do not support "
    "this random-effects structure (consider dropping a correlation with || or a random slope)."
)


def _rank(note: str) -> int:
    text = note.lower()
    if "converge" in text or "gradient" in text or "hessian" in text:
        return 0
    if "singular" in text or "boundary" in text:
        return 1
    if "dropped" in text or "missing" in text:
        return 3
    return 2


def _key(note: str) -> str:
    return re.sub(r"\s+", " ", note).strip().lower()


def gather_notes(model, extra: Iterable[str] = ()) -> list[str]:
    """The model's messages, the caller's extra notes (warnings seen during the fit) and the plain-word
    flags (convergence, singular fit), without repeats, most important first."""
    notes = [str(m) for m in getattr(model, "messages", []) or []] + [str(n) for n in extra]
    if not getattr(model, "converged", True) and not any(_rank(n) == 0 for n in notes):
        notes.append(NOT_CONVERGED)
    if getattr(model, "singular", False) and not any(_rank(n) == 1 for n in notes):
        notes.append(SINGULAR)
    dropped = getattr(model, "n_dropped", 0)
    if dropped:
        notes.append(f"{dropped} row(s) with missing values were dropped before fitting.")
    unique: dict[str, str] = {}
    for note in notes:
        unique.setdefault(_key(note), re.sub(r"\s+", " ", note).strip())
    return sorted(unique.values(), key=_rank)


def notes_html(notes: list[str]) -> str:
    """One line per note (wrapping inside its box, never sticking out), or "" when there is none."""
    if not notes:
        return ""
    lines = "".join(
        tag("div", esc(n), class_="mw-note", style="margin:1px 0;white-space:normal;overflow-wrap:anywhere")
        for n in notes
    )
    return tag(
        "div",
        lines,
        class_="mw-notes",
        style="color:#8a5300;background:#fff8e6;border-left:3px solid #e0a800;padding:4px 8px;"
        "margin:4px 0;font-size:12px;line-height:1.4;max-width:100%;box-sizing:border-box",
    )
