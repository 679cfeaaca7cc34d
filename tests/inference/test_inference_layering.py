"""mixedwidgets.inference imports the backend and the design only (never results, fitting, widgets, magic),
counting imports inside functions: checked on the source of every module of the package."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import mixedwidgets

PACKAGE = Path(mixedwidgets.__file__).parent / "inference"
ALLOWED_INTERNAL = {"backend", "design", "errors", "names", "inference"}
ALLOWED_EXTERNAL = {"numpy", "scipy", "pandas", "nlopt", "threadpoolctl"} | set(sys.stdlib_module_names)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
    return out


def allowed(level: int, module: str) -> bool:
    parts = module.split(".")
    if level == 1:
        return True  # inside inference
    if level == 2:
        return parts[0] in ALLOWED_INTERNAL
    if parts[0] == "mixedwidgets":
        return len(parts) > 1 and parts[1] in ALLOWED_INTERNAL
    return level == 0 and parts[0] in ALLOWED_EXTERNAL


def test_inference_imports_only_backend_design_and_libraries():
    bad = [
        (path.name, module)
        for path in PACKAGE.glob("*.py")
        for level, module in imported_modules(path)
        if not allowed(level, module)
    ]
    assert not bad
