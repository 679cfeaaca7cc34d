"""The views read a fitted model's design through ModelReader only (widgets/reader.py): no other widget
file reaches into `model.design`, so the reader is the one place that knows the design's layout."""

from __future__ import annotations

import re
from pathlib import Path

import mixedwidgets

WIDGETS = Path(mixedwidgets.__file__).parent / "widgets"
REACH = re.compile(r"\bmodel\.design\b|\bmodel\.data\b")


def test_no_view_reaches_around_the_reader():
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(WIDGETS.glob("*.py"))
        if path.name != "reader.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REACH.search(line)
    ]
    assert offenders == []


def test_the_check_sees_a_reach():
    assert REACH.search("x = self.reader.model.design.X") and not REACH.search("x = reader.fixed_matrix")
