"""%%mixedmodel with --family negative_binomial / gamma and --link, in a real IPython shell."""

from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import mixedwidgets as mw

DATA = Path(__file__).resolve().parents[1] / "reference" / "families" / "data"


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mixedwidgets")
    return shell


@pytest.mark.parametrize(
    "name,options,family,link",
    [
        ("nb_intercept", "--family negative_binomial", "negative_binomial", "log"),
        ("gamma_inverse_intercept", "--family gamma --link inverse", "gamma", "inverse"),
    ],
)
def test_the_magic_fits_the_new_families(ip, name, options, family, link):
    ip.user_ns["frame"] = pd.read_csv(DATA / f"{name}.csv")
    with capture_output():
        result = ip.run_cell(f"%%mixedmodel --data frame --out fitted {options} --view summary\ny ~ x + (1 | g)")
    assert result.success
    fitted = ip.user_ns["fitted"]
    assert (fitted.family, fitted.link) == (family, link)
    direct = mw.fit("y ~ x + (1 | g)", ip.user_ns["frame"], family=family, link=link)
    assert fitted.dispersion == direct.dispersion and fitted.objective == direct.objective


def test_a_link_the_family_does_not_take_is_a_usage_error(ip):
    ip.user_ns["frame"] = pd.read_csv(DATA / "nb_intercept.csv")
    with capture_output():
        result = ip.run_cell("%%mixedmodel --data frame --family negative_binomial --link logit\ny ~ x + (1 | g)")
    assert not result.success and isinstance(result.error_in_exec, UsageError)
    assert "takes the log link, not 'logit'" in str(result.error_in_exec)
