"""%%mixedmodel refuses a formula that tries to run code, as mw.fit does (issue 15)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import mixedwidgets as mw


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mixedwidgets")
    shell.user_ns["sleep"] = mw.datasets.load("sleepstudy")
    return shell


@pytest.mark.parametrize(
    "call",
    [
        "open(TARGET, 'w').write('x') * 0",
        "exec(\"open(TARGET, 'w').write('x')\") or 0",
        "().__class__.__bases__[0].__subclasses__() and 0",
    ],
)
def test_magic_refuses_code_in_a_formula_and_nothing_happens(ip, tmp_path, call):
    target = tmp_path / "written"
    formula = f"Reaction ~ I({call.replace('TARGET', repr(str(target)))} + Days) + (1 | Subject)"
    with capture_output():
        result = ip.run_cell(f"%%mixedmodel --data sleep --out refused_fit\n{formula}\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert "not allowed in a formula" in str(result.error_in_exec)
    assert not target.exists() and "refused_fit" not in ip.user_ns
