"""Live progress for long fits: shown only after ~1 s, updated a few times a second, cleared at the end."""

from __future__ import annotations

import html
import time
from collections.abc import Callable

SHOW_AFTER = 1.0  # seconds before anything is shown
UPDATE_EVERY = 0.25  # seconds between updates


def _bundle(text: str) -> dict[str, str]:
    style = "font-family:var(--jp-code-font-family,monospace);color:var(--jp-ui-font-color2,#555)"
    return {"text/plain": text, "text/html": f'<div class="mw-progress" style="{style}">{html.escape(text)}</div>'}


class FitProgress:
    """Callable passed to `mw.fit(progress=...)`; owns one display that it updates and finally clears."""

    def __init__(self, formula: str, clock: Callable[[], float] = time.monotonic, display=None):
        self.formula = formula
        self.clock = clock
        self._display = display
        self.start = clock()
        self.last_update = -float("inf")
        self.handle = None
        self.evaluations = 0
        self.objective = float("nan")

    def __call__(self, evaluations: int, objective: float) -> None:
        self.evaluations, self.objective = int(evaluations), float(objective)
        now = self.clock()
        if now - self.start < SHOW_AFTER or now - self.last_update < UPDATE_EVERY:
            return
        self.last_update = now
        bundle = _bundle(self.text(now))
        if self.handle is None:
            self.handle = self._show(bundle)
        else:
            self.handle.update(bundle, raw=True)

    def text(self, now: float) -> str:
        return (
            f"Fitting {self.formula}: {self.evaluations} evaluations, "
            f"objective {self.objective:.6g}, {now - self.start:.1f} s"
        )

    def _show(self, bundle):
        show = self._display
        if show is None:
            from IPython.display import display as show
        return show(bundle, raw=True, display_id=True)

    def close(self) -> None:
        """Clear the progress line (if it was ever shown)."""
        if self.handle is not None:
            self.handle.update({"text/plain": "", "text/html": ""}, raw=True)
            self.handle = None
