"""The interval code imports the backend, design and errors only (never results, fitting, widgets, magic or
IPython), counting imports inside functions: checked on the source of every module I wrote."""

import ast
from pathlib import Path

import mixedwidgets

INFERENCE = Path(mixedwidgets.__file__).parent / "inference"
MODULES = ["sdcor", "lmm_problem", "single_term", "batched_lmm", "profile_walk", "profile", "refit", "bootstrap",
           "confint", "boundary_lrt"]
FORBIDDEN = ("results", "fitting", "widgets", "magic", "api", "glmm_api", "simulate")
FORBIDDEN_TOP = ("IPython", "ipywidgets", "bqplot", "anywidget", "traitlets")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
        elif isinstance(node, ast.Import):
            out += [(0, alias.name) for alias in node.names]
    return out


def test_inference_interval_modules_import_no_upper_layer():
    for name in MODULES:
        for level, module in imported_modules(INFERENCE / f"{name}.py"):
            first = module.split(".")[0]
            if level == 2 or (level == 0 and first == "mixedwidgets"):
                inner = module.split(".")[1 if level == 0 else 0] if module else ""
                assert inner not in FORBIDDEN, (name, module)
            assert level > 0 or first not in FORBIDDEN_TOP, (name, module)


def test_the_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from ..results.model import LinearMixedModel\n")
    assert (2, "results.model") in imported_modules(bad)
