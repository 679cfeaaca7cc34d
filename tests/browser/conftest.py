"""Fixtures for the browser tests: a JupyterLab server and a headless Chromium page (Playwright)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from lab_server import REPO, start_lab
from scale_notebook import write_scale_notebook

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def lab():
    """JupyterLab serving a temporary copy of notebooks/ plus a generated 2,000-group notebook."""
    source = Path(tempfile.mkdtemp(prefix="mw-notebooks-"))
    shutil.copy(REPO / "notebooks" / "01_quickstart.ipynb", source)
    write_scale_notebook(source / "scale_2000.ipynb")
    server = start_lab(source)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(source, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="mw-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )  # the file browser stays open
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(msg.text))
    yield page
    page.close()
