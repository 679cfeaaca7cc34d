"""Small helpers for building HTML from data: everything from the model or the data is escaped."""

from __future__ import annotations

import html
import math
from typing import Any, cast

import numpy as np


def esc(value: object) -> str:
    """Text of `value`, escaped for HTML text and attribute contexts."""
    return html.escape(str(value), quote=True)


def fmt(value: object, digits: int = 4) -> str:
    """A number with `digits` significant digits; blanks for missing values."""
    try:
        x = float(cast(Any, value))  # non-numbers raise, caught below
    except (TypeError, ValueError):
        return esc(value)
    if math.isnan(x):
        return ""
    if x == 0:
        return "0"
    if abs(x) >= 1e6 or abs(x) < 1e-4:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def pct(share: float) -> str:
    """A share in [0, 1] as a percentage with one decimal."""
    if share is None or not np.isfinite(share):
        return ""
    return f"{100 * share:.1f}%"


def tag(name: str, inner: str, **attrs: str) -> str:
    """`<name attrs>inner</name>`; `inner` must already be safe HTML, attribute values are escaped."""
    rendered = "".join(f' {key.rstrip("_").replace("_", "-")}="{esc(val)}"' for key, val in attrs.items())
    return f"<{name}{rendered}>{inner}</{name}>"


def with_static(bundle, html: str, svg: str = "", text: str = ""):
    """A widget's mime bundle with static HTML (and an SVG picture, and plain text) beside the widget view.

    ipywidgets returns the bundle as a dict, anywidget as a (data, metadata) pair: both are handled.
    """
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
    data = dict(data or {})
    data["text/html"] = html
    if svg:
        data["image/svg+xml"] = svg
    if text:
        data["text/plain"] = text
    return data if metadata is None else (data, metadata)
