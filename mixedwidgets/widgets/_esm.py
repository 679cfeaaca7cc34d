"""Find the explorer's ES modules (source checkout or installed wheel) and inline them into one module.

anywidget ships one ES module as text, so relative imports cannot be resolved in the browser.
The explorer's single `import {...} from "./covariance_math.js";` statement is replaced by the
text of that module (whose named exports stay valid inside the combined module).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

_IMPORT = re.compile(r'import\s*\{[^}]*\}\s*from\s*"\./([A-Za-z0-9_]+\.js)";', re.MULTILINE)


def js_directory() -> Path:
    """The folder holding the ES modules: `mixedwidgets/_js` in a wheel, repo-root `js/` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_js", package.parent / "js"):
        if (candidate / "covariance_explorer.js").is_file():
            return candidate
    raise FileNotFoundError(
        "mixedwidgets cannot find its JavaScript files (expected mixedwidgets/_js or js/ beside the package)"
    )


def inline_module(name: str, folder: Path) -> str:
    """Text of module `name` with its relative imports replaced by the imported modules' text."""
    source = (folder / name).read_text(encoding="utf-8")

    def replace(match: re.Match) -> str:
        return inline_module(match.group(1), folder)

    return _IMPORT.sub(replace, source)


@functools.cache
def explorer_esm() -> str:
    """The covariance explorer as one self-contained ES module."""
    return inline_module("covariance_explorer.js", js_directory())
