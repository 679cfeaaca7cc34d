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
    page.wait_for_function("el => /\\[\\d+\\]/.test(el.textContent)", arg=prompt.element_handle(),
                           timeout=timeout_ms)


def code_cell(page: Page, index: int):
    """Code cell `index` of the notebook on screen."""
    return page.locator(f"{CURRENT} .jp-CodeCell").nth(index)
