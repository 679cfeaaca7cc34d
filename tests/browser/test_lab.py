"""End to end in JupyterLab + headless Chromium: the quickstart notebook and a 2,000-group model."""

from __future__ import annotations

import json
import re

import pytest
from lab_page import (
    code_cell,
    count_in,
    layout_problems,
    open_notebook,
    run_all_cells,
    run_cell,
)

pytestmark = pytest.mark.browser

FIT_CELL = 2  # code-cell index of the %%mixedmodel cell for sleepstudy
GLMM_CELL = 5  # code-cell index of the cbpp (binomial) cell
VARCOMP_CELL = 3  # code-cell index of the --view varcomp line magic
PROFILE_CELL = 6  # code-cell index of mw.explore(fit, profile=True)

RENDER_CLOCK = """([cellIndex, expected]) => new Promise((resolve) => {
  const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell');
  const cell = cells[cellIndex];
  const prompt = cell.querySelector('.jp-InputPrompt');
  const start = performance.now();
  let done = null;
  const tick = () => {
    const now = performance.now();
    if (done === null && /\\[\\d+\\]/.test(prompt.textContent)) done = now;
    const dots = cell.querySelectorAll('.mw-caterpillar .object_grp').length;
    const points = cell.querySelectorAll('.mw-cov-points circle').length;
    if (done !== null && dots >= expected && points >= expected) {
      resolve({finished: done - start, drawn: now - start, dots, points});
    } else if (now - start > 240000) {
      resolve({finished: done, drawn: null, dots, points});
    } else {
      requestAnimationFrame(tick);
    }
  };
  tick();
})"""


def test_quickstart_dashboard(lab, page, screenshots):
    open_notebook(page, lab, "01_quickstart.ipynb")
    run_all_cells(page)
    output = code_cell(page, FIT_CELL).locator(".jp-OutputArea")
    dashboard = output.locator(".mw-dashboard")
    dashboard.wait_for(timeout=60_000)

    caterpillar = dashboard.locator(".mw-caterpillar")
    caterpillar.locator(".object_grp").nth(17).wait_for(timeout=30_000)
    assert caterpillar.locator("path.line").count() >= 2  # zero line and the intervals
    assert "309" in caterpillar.inner_text()

    table = dashboard.locator(".mw-varcomp-table")
    assert "612.09" in table.inner_text() and "Residual" in table.inner_text()
    assert "0.483" in dashboard.locator(".mw-icc-table").inner_text()
    assert_each_table_once(output)
    page.wait_for_timeout(1_000)  # let bqplot settle its sizes
    assert_fits(page, output, screenshots / "quickstart_fit_cell.png")

    explorer = dashboard.locator(".mw-cov")
    explorer.locator(".mw-cov-points circle").nth(17).wait_for(timeout=30_000)
    assert explorer.locator(".mw-cov-points circle").count() == 18
    assert explorer.locator(".ellipse").get_attribute("d").startswith("M")
    dashboard.screenshot(path=str(screenshots / "quickstart_dashboard.png"))
    page.screenshot(path=str(screenshots / "quickstart_page.png"))

    move_centring_slider(page, explorer, screenshots)
    hover_and_click_explorer(page, dashboard, screenshots)
    click_caterpillar(page, dashboard, screenshots)
    find_box_and_lines_select(page, dashboard, screenshots)
    shrinkage_switch(page, dashboard, screenshots)
    glmm_curves_follow_the_chosen_herd(page, screenshots)
    assert_no_front_end_errors(page)


def move_centring_slider(page, explorer, screenshots):
    tau01 = explorer.locator(".mw-cov-tau01")
    before = tau01.inner_text()
    first_cx = explorer.locator(".mw-cov-points circle").first.get_attribute("cx")
    assert re.search(r"τ01 \+ cτ11 = 9\.60", before), before
    slider = explorer.locator("input.mw-cov-centre")
    slider.focus()
    for _ in range(100):
        page.keyboard.press("ArrowRight")
    after = tau01.inner_text()
    assert after != before
    assert "c = 4.5" in explorer.locator(".mw-cov-label").inner_text()
    assert re.search(r"= 167\.", after), after  # 9.604 + 4.5 * 35.07
    assert explorer.locator(".mw-cov-points circle").first.get_attribute("cx") != first_cx
    explorer.screenshot(path=str(screenshots / "explorer_centred.png"))


def hover_and_click_explorer(page, dashboard, screenshots):
    explorer = dashboard.locator(".mw-cov")
    point = explorer.locator(".mw-cov-points circle").nth(3)
    point.hover()
    page.wait_for_function(
        "el => el.textContent.length > 0", arg=explorer.locator(".mw-cov-hover").element_handle(), timeout=5_000
    )
    assert explorer.locator(".hover-line").get_attribute("d").startswith("M")
    point.click()
    explorer.locator("circle.selected").wait_for(timeout=10_000)
    dashboard.locator(".mw-caterpillar").locator(".object_grp").last.wait_for()
    caption = dashboard.locator(".mw-group-caption")
    page.wait_for_function(
        "el => el.textContent.includes('observations')", arg=caption.element_handle(), timeout=10_000
    )
    dashboard.screenshot(path=str(screenshots / "quickstart_linked_from_explorer.png"))


def click_caterpillar(page, dashboard, screenshots):
    dots = dashboard.locator(".mw-caterpillar .object_grp")
    dots.nth(5).hover()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.bqplot_tooltip_div')].some(
             d => d.textContent.includes('conditional SD') && d.textContent.includes('95% interval'))""",
        timeout=10_000,
    )
    dots.first.click()
    explorer = dashboard.locator(".mw-cov")
    page.wait_for_function(
        "el => el.querySelectorAll('circle.selected').length === 1"
        " && el.querySelector('.selected-line').getAttribute('d')",
        arg=explorer.element_handle(),
        timeout=10_000,
    )
    dashboard.locator(".mw-caterpillar").screenshot(path=str(screenshots / "caterpillar_selected.png"))


def find_box_and_lines_select(page, dashboard, screenshots):
    """Typing a name selects that subject everywhere; clicking its line in the explorer picks it again."""
    dashboard.locator(".mw-find input").fill("331")
    caption = dashboard.locator(".mw-group-caption")
    page.wait_for_function("el => el.textContent.includes('Subject 331')", arg=caption.element_handle(), timeout=10_000)
    explorer = dashboard.locator(".mw-cov")
    explorer.locator("circle.selected").wait_for(timeout=10_000)
    path = explorer.locator(".selected-line").get_attribute("d")
    x1, y1, x2, y2 = (float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path)[:4])
    lines = explorer.locator("svg.mw-cov-lines")
    box = lines.bounding_box()
    scale = box["width"] / float(lines.get_attribute("width"))
    t = 0.8  # near the right end, where the subjects' lines fan out most
    lines.click(position={"x": (x1 + t * (x2 - x1)) * scale, "y": (y1 + t * (y2 - y1)) * scale})
    page.wait_for_function(
        "el => !el.textContent.includes('Subject 331')", arg=caption.element_handle(), timeout=10_000
    )  # clicking the chosen subject's line un-chooses it (or picks a neighbour)


def shrinkage_switch(page, dashboard, screenshots):
    explorer = dashboard.locator(".mw-cov")
    explorer.locator("input.mw-cov-own-switch").check()
    explorer.locator("circle.own").nth(17).wait_for(timeout=10_000)
    assert explorer.locator("circle.own").count() == 18
    assert len(explorer.locator(".shrink").get_attribute("d")) > 100
    assert "conditional modes" in explorer.locator(".mw-cov-caption").first.inner_text()
    explorer.screenshot(path=str(screenshots / "explorer_shrinkage.png"))


def glmm_curves_follow_the_chosen_herd(page, screenshots):
    glmm = code_cell(page, GLMM_CELL).locator(".mw-dashboard")
    glmm.locator(".mw-caterpillar .object_grp").nth(14).wait_for(timeout=30_000)
    drawn = "el => [...el.querySelectorAll('path.line')].filter(p => (p.getAttribute('d') || '').length > 4).length"
    curves = glmm.locator(".mw-curves")
    before = curves.evaluate(drawn)  # typical and marginal (and their legend swatches)
    assert before >= 2
    glmm.locator(".mw-caterpillar .object_grp").first.click()  # adds the chosen herd's curve
    page.wait_for_function(f"el => ({drawn})(el) === {before + 1}", arg=curves.element_handle(), timeout=10_000)
    glmm.screenshot(path=str(screenshots / "quickstart_glmm.png"))


def assert_fits(page, output, picture):
    """No clipped or protruding text in `output`; a screenshot is taken first, to look at."""
    output.screenshot(path=str(picture))
    problems = layout_problems(output)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def assert_each_table_once(output):
    """The default %%mixedmodel output shows every table once (no separate summary, no repeated notes)."""
    assert count_in(output, ".mw-varcomp-table") == 1
    assert count_in(output, ".mw-fixef-table") == 1
    assert count_in(output, ".mw-icc-table") == 1
    assert count_in(output, ".mw-summary") == 0 and count_in(output, ".mw-notes") <= 1
    assert count_in(output, ".mw-dashboard") == 1


def test_quickstart_glmm_and_intercept_only_fit_their_boxes(lab, page, screenshots):
    open_notebook(page, lab, "01_quickstart.ipynb")
    run_all_cells(page)
    glmm = code_cell(page, GLMM_CELL).locator(".jp-OutputArea")
    glmm.locator(".mw-caterpillar .object_grp").nth(14).wait_for(timeout=30_000)
    assert count_in(glmm, ".mw-cov") == 0  # intercept only: no covariance explorer
    assert count_in(glmm, ".mw-curves") == 1
    assert_each_table_once(glmm)
    page.wait_for_timeout(1_000)
    assert_fits(page, glmm, screenshots / "quickstart_glmm_cell.png")
    varcomp = code_cell(page, VARCOMP_CELL).locator(".jp-OutputArea")
    assert count_in(varcomp, ".mw-varcomp-table") == 1
    assert not layout_problems(varcomp)
    page.screenshot(path=str(screenshots / "quickstart_glmm_page.png"), full_page=True)
    assert_no_front_end_errors(page)


def test_profile_view_drawn_beside_the_variance_table(lab, page, screenshots):
    """mw.explore(fit, profile=True): the zeta curves drawn to the right of the variance table, in one row."""
    open_notebook(page, lab, "01_quickstart.ipynb")
    run_all_cells(page)
    output = code_cell(page, PROFILE_CELL).locator(".jp-OutputArea")
    dashboard = output.locator(".mw-dashboard")
    dashboard.wait_for(timeout=90_000)
    profile, table = dashboard.locator(".mw-profile-view"), dashboard.locator(".mw-varcomp-table")
    profile.locator(".mw-profile-figure").wait_for(timeout=30_000)
    page.wait_for_timeout(1_500)
    assert "profile interval" in profile.inner_text() and "sd_(Intercept)|Subject" in profile.inner_text()
    curve = profile.locator(".mw-profile-figure path.line").evaluate_all("els => els.map(e => e.getAttribute('d'))")
    assert max(len(d or "") for d in curve) > 200  # the zeta curve is drawn through its points, not empty
    p_box, t_box = profile.bounding_box(), table.bounding_box()
    assert p_box and t_box
    assert p_box["x"] >= t_box["x"] + t_box["width"] - 1  # to the right of the table ...
    assert p_box["y"] < t_box["y"] + t_box["height"]  # ... in the same row
    assert not layout_problems(output)
    page.wait_for_timeout(500)
    output.screenshot(path=str(screenshots / "quickstart_profile_view.png"))
    assert_no_front_end_errors(page)


def assert_no_front_end_errors(page):
    assert not page.errors, page.errors


def test_two_thousand_groups_render_within_two_seconds(lab, page, screenshots):
    open_notebook(page, lab, "scale_2000.ipynb")
    run_cell(page, 0)
    assert code_cell(page, 0).locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    # start the in-page clock first, then run the second cell (selected after Shift+Enter)
    page.evaluate(f"args => {{ window.__mwClock = ({RENDER_CLOCK})(args); }}", [1, 2000])
    page.keyboard.press("Shift+Enter")
    timing = page.evaluate("() => window.__mwClock")
    assert timing["drawn"] is not None, timing
    render = (timing["drawn"] - timing["finished"]) / 1000
    (screenshots / "scale_2000_timing.json").write_text(json.dumps({**timing, "render_seconds": render}))
    code_cell(page, 1).locator(".mw-dashboard").screenshot(path=str(screenshots / "scale_2000.png"))
    assert timing["dots"] == 2000 and timing["points"] == 2000
    assert render <= 2.0, f"2,000-group dashboard took {render:.2f} s after its cell finished"
