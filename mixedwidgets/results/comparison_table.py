"""The table of mw.compare: a DataFrame whose notes (ML refits, boundary tests) show in its text and HTML."""

from __future__ import annotations

from html import escape
from typing import ClassVar

import pandas as pd


class ComparisonTable(pd.DataFrame):
    """A DataFrame with `notes` (a tuple of sentences) printed under it and shown in its HTML."""

    _metadata: ClassVar[list[str]] = ["notes"]

    @property
    def _constructor(self):
        return ComparisonTable

    def __repr__(self) -> str:
        text = super().__repr__()
        notes = getattr(self, "notes", ())
        return text + "".join(f"\nNote: {n}" for n in notes)

    def _repr_html_(self) -> str:
        table = super()._repr_html_() or ""  # pandas escapes the cells (model formulas come from the user)
        notes = "".join(
            f"<p class='mw-note' style='color:#8a5300;margin:2px 0'>{escape(n)}</p>" for n in getattr(self, "notes", ())
        )
        return f"<div class='mw-compare'>{table}{notes}</div>"
