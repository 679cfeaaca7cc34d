"""%%mixedmodel --ddf: parsing, refusals that say why, and a summary that names the method."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import mixedwidgets as mw
from mixedwidgets.magic.args import MagicArgumentError, parse_magic

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mixedwidgets")
    shell.user_ns["sleep"] = mw.datasets.load("sleepstudy")
    return shell


def test_ddf_option_is_parsed():
    assert parse_magic("--data d --ddf kenward-roger", FORMULA).ddf == "kenward-roger"
    assert parse_magic("--data d --ddf=Asymptotic", FORMULA).ddf == "asymptotic"
    assert parse_magic("--data d", FORMULA).ddf is None


@pytest.mark.parametrize(
    "line, reason",
    [
        ("--data d --ddf kenward-roger --ml", "REML"),
        ("--data d --family binomial --ddf satterthwaite", "z tests"),
        ("--data d --ddf containment", "invalid choice"),
    ],
)
def test_ddf_choices_that_cannot_apply_are_refused(line, reason):
    with pytest.raises(MagicArgumentError, match=reason):
        parse_magic(line, FORMULA)


@pytest.mark.parametrize(
    "option, title", [("", "Satterthwaite's method"), ("--ddf kenward-roger", "Kenward-Roger's method")]
)
def test_summary_names_the_chosen_method(ip, option, title):
    with capture_output() as cap:
        result = ip.run_cell(f"%%mixedmodel --data sleep --view summary {option}\n{FORMULA}")
    assert result.success
    bundle = cap.outputs[0].data
    assert f"t-tests use {title}" in bundle["text/plain"]
    assert title.replace("'", "&#x27;") in bundle["text/html"]
