"""HTML for the variance-component table (also used as the static fallback outside a live kernel)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..results.number_format import format_r
from .html_util import esc, fmt, pct, tag
from .notes import SINGULAR, gather_notes, notes_html

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
RESIDUAL = "#c7c7c7"
CELL = "padding:2px 10px;text-align:right;border-bottom:1px solid #ddd;white-space:nowrap"
CELL_LEFT = "padding:2px 10px;text-align:left;border-bottom:1px solid #ddd"
SINGULAR_TEXT = SINGULAR


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def component_rows(varcorr: pd.DataFrame) -> list[dict]:
    """One dict per variance row: group, term, variance, sd, correlations [(other term, r)]."""
    rows: list[dict] = []
    for rec in varcorr.to_dict("records"):
        if _is_missing(rec.get("var2")):
            rows.append(
                {
                    "group": str(rec["group"]),
                    "term": "" if _is_missing(rec.get("var1")) else str(rec["var1"]),
                    "variance": float(rec["vcov"]),
                    "sd": float(rec["sdcor"]),
                    "corr": [],
                }
            )
    for rec in varcorr.to_dict("records"):
        if not _is_missing(rec.get("var2")):
            for row in rows:
                if row["group"] == str(rec["group"]) and row["term"] == str(rec["var2"]):
                    row["corr"].append((str(rec["var1"]), float(rec["sdcor"])))
    return rows


def _flag(text: str) -> str:
    return tag("span", esc(text), style="color:#b00020;font-weight:600;margin-left:4px")


def _corr_cell(corr: list[tuple[str, float]]) -> str:
    parts = []
    for other, r in corr:
        text = f"{r:.2f} with {esc(other)}"
        parts.append(text + (_flag("±1") if abs(r) > 0.999 else ""))
    return "<br>".join(parts)


def component_table(varcorr: pd.DataFrame) -> str:
    """Variance, SD and correlations per grouping factor, then the residual."""
    rows = component_rows(varcorr)
    total = sum(r["variance"] for r in rows if np.isfinite(r["variance"])) or 1.0
    head = "".join(
        tag("th", esc(h), style=CELL_LEFT if i < 2 else CELL)
        for i, h in enumerate(["Group", "Term", "Variance", "SD", "Correlation"])
    )
    body = []
    previous = None
    variances, sds = format_r([r["variance"] for r in rows], 4), format_r([r["sd"] for r in rows], 4)
    for i, r in enumerate(rows):
        zero = r["group"] != "Residual" and r["variance"] <= 1e-8 * total
        cells = [
            tag("td", esc(r["group"]) if r["group"] != previous else "", style=CELL_LEFT),
            tag("td", esc(r["term"]), style=CELL_LEFT),
            tag("td", esc(variances[i]) + (_flag("≈ 0") if zero else ""), style=CELL),
            tag("td", esc(sds[i]), style=CELL),
            tag("td", _corr_cell(r["corr"]), style=CELL),
        ]
        body.append(tag("tr", "".join(cells)))
        previous = r["group"]
    return tag(
        "table",
        tag("thead", tag("tr", head)) + tag("tbody", "".join(body)),
        class_="mw-varcomp-table",
        style="border-collapse:collapse;margin:4px 0",
    )


def share_bar(icc: pd.DataFrame) -> str:
    """Stacked bar of each grouping factor's share of variance (its ICC) and the residual's."""
    shares = [(str(g), float(v)) for g, v in zip(icc["group"], icc["icc"], strict=True) if np.isfinite(v)]
    if not shares:
        return ""
    rest = max(0.0, 1.0 - sum(v for _, v in shares))
    latent = any("latent" in str(s) for s in icc.get("scale", []))
    residual = "residual (latent scale)" if latent else "residual"
    segments, legend, start = [], [], 0.0
    for i, (name, share) in enumerate(shares + [(residual, rest)]):
        colour = RESIDUAL if i == len(shares) else PALETTE[i % len(PALETTE)]
        segments.append(
            tag(
                "rect",
                tag("title", esc(f"{name}: {pct(share)}")),
                x=f"{320 * start:.1f}",
                y="0",
                width=f"{320 * share:.1f}",
                height="14",
                fill=colour,
            )
        )
        start += share
        swatch = tag(
            "span", "", style=f"display:inline-block;width:10px;height:10px;background:{colour};margin:0 4px 0 10px"
        )
        legend.append(tag("span", swatch + esc(name) + " " + pct(share), style="white-space:nowrap"))
    bar = tag(
        "svg",
        "".join(segments),
        class_="mw-share-bar",
        xmlns="http://www.w3.org/2000/svg",
        width="320",
        height="14",
        viewBox="0 0 320 14",
        style="display:block;max-width:100%;border:1px solid #999;margin:4px 0",
    )
    return tag(
        "div", "Share of variance" + bar + tag("div", " ".join(legend), style="font-size:11px;white-space:normal")
    )


def icc_table(icc: pd.DataFrame) -> str:
    """ICC per grouping factor with its scale (latent scale for GLMMs); notes as lines below the table."""
    head = "".join(tag("th", esc(h), style=CELL_LEFT) for h in ["Group", "ICC", "Scale"])
    records = icc.to_dict("records")
    body = "".join(
        tag(
            "tr",
            tag("td", esc(r["group"]), style=CELL_LEFT)
            + tag("td", fmt(r["icc"], 3), style=CELL)
            + tag("td", esc(r["scale"]), style=CELL_LEFT),
        )
        for r in records
    )
    notes = "".join(
        tag(
            "div",
            esc(f"{r['group']}: ICC {r['note']}"),
            class_="mw-icc-note",
            style="color:#555;white-space:normal;overflow-wrap:anywhere",
        )
        for r in records
        if r.get("note")
    )
    if any("latent" in str(r["scale"]) for r in records):
        notes += tag(
            "div",
            "Latent scale: ICC = τ² / (τ² + π²/3). A logistic model is a latent continuous "
            "outcome cut at a threshold; π²/3 ≈ 3.29 is the variance of the standard logistic "
            "distribution, which plays the part of the residual variance.",
            class_="mw-icc-note",
            style="color:#555;white-space:normal",
        )
    return (
        tag(
            "table",
            tag("thead", tag("tr", head)) + tag("tbody", body),
            class_="mw-icc-table",
            style="border-collapse:collapse;margin:4px 0",
        )
        + notes
    )


def status_notes(model) -> str:
    """Plain-words flags (convergence, singular fit) and the fit's own messages, one line each."""
    return notes_html(gather_notes(model))


def _safe_icc(model) -> pd.DataFrame | None:
    try:
        return model.icc()
    except Exception:  # noqa: BLE001 - an ICC that cannot be computed must not hide the table
        return None


def varcomp_html(model, with_notes: bool = True) -> str:
    """The whole variance-component block as one HTML fragment (the dashboard shows the notes itself)."""
    parts = [
        tag("div", tag("b", "Variance components"), style="margin-bottom:2px"),
        status_notes(model) if with_notes else "",
        component_table(model.varcorr),
    ]
    icc = _safe_icc(model)
    if icc is not None and len(icc):
        parts += [icc_table(icc), share_bar(icc)]
    return tag(
        "div",
        "".join(parts),
        class_="mw-varcomp",
        style="font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;line-height:1.4;"
        "max-width:100%;overflow-x:auto",
    )
