"""Driving a JupyterLab notebook page with Playwright: open, run, wait, find outputs."""

from __future__ import annotations

from playwright.sync_api import Page

CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
ALL_EXECUTED = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


def open_notebook(page: Page, server, name: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(server.url(f"lab/tree/{name}") + "&reset")  # a fresh workspace: only this notebook open
    page.wait_for_selector(f"{CURRENT} .jp-Notebook", timeout=90_000)
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=90_000)
    if not page.locator("#filebrowser").is_visible():  # the layout a reader has: file browser open
        page.locator(".jp-SideBar.jp-mod-left [data-id='filebrowser']").first.click()
    page.wait_for_selector("#filebrowser", state="visible", timeout=10_000)


def run_all_cells(page: Page, timeout_ms: int = 180_000) -> None:
    """Run menu → Run All Cells, then wait until every code cell shows an execution count."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(ALL_EXECUTED, timeout=timeout_ms)


def run_cell(page: Page, index: int, timeout_ms: int = 180_000) -> None:
    """Select code cell `index`, run it with Shift+Enter in command mode, wait for its count."""
    prompt = code_cell(page, index).locator(".jp-InputPrompt")
    prompt.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("el => /\\[\\d+\\]/.test(el.textContent)", arg=prompt.element_handle(), timeout=timeout_ms)


def code_cell(page: Page, index: int):
    """Code cell `index` of the notebook on screen."""
    return page.locator(f"{CURRENT} .jp-CodeCell").nth(index)


# Text boxes that are cut off (their content is wider than the box and overflow is hidden), and text that
# sticks out on the right of the widget holding it. Elements inside bqplot's hidden tooltip are skipped.
LAYOUT_PROBLEMS = """(root) => {
  const problems = [];
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    for (let node = el; node && node !== root.parentElement; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') return false;
    }
    return true;
  };
  const ownText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  for (const el of root.querySelectorAll('*')) {
    if (el.closest('.bqplot_tooltip_div, .bqplot-tooltip') || !visible(el)) continue;
    const style = getComputedStyle(el);
    const hidden = ['hidden', 'clip'].includes(style.overflowX);
    if (hidden && el.scrollWidth > el.clientWidth + 1 && el.textContent.trim()) {
      problems.push({kind: 'clipped', cls: String(el.className.baseVal ?? el.className),
                     text: el.textContent.trim().slice(0, 80), scrollWidth: el.scrollWidth, width: el.clientWidth});
    }
    if (hidden && el.scrollHeight > el.clientHeight + 2 && ownText(el) && style.textOverflow === 'ellipsis') {
      problems.push({kind: 'cut', cls: String(el.className), text: el.textContent.trim().slice(0, 80)});
    }
    if (ownText(el)) {
      const widget = el.parentElement.closest('.jupyter-widgets, .widget-html, .lm-Widget');
      if (widget) {
        const right = widget.getBoundingClientRect().right;
        const box = el.getBoundingClientRect();
        if (box.right > right + 2) {
          problems.push({kind: 'sticks out', cls: String(el.className.baseVal ?? el.className),
                         text: el.textContent.trim().slice(0, 80), right: box.right, widgetRight: right});
        }
      }
    }
  }
  return problems;
}"""


def layout_problems(locator) -> list[dict]:
    """Clipped or protruding text inside `locator` (an output area)."""
    return locator.evaluate(LAYOUT_PROBLEMS)


def count_in(locator, selector: str) -> int:
    return locator.locator(selector).count()
