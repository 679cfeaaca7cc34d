"""The magic speaks its own language: option names in errors, the data's name in the summary, notes once."""

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import mixedwidgets as mw
from mixedwidgets.magic.display import views_for
from mixedwidgets.magic.execute import in_magic_words


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mixedwidgets")
    shell.user_ns["cbpp"] = mw.datasets.load("cbpp")
    shell.user_ns["sleep"] = mw.datasets.load("sleepstudy")
    return shell


def test_proportion_without_trials_names_the_weights_option(ip):
    with pytest.raises(UsageError) as caught:
        ip.run_cell_magic("mixedmodel", "--data cbpp --family binomial --quiet", "incidence/size ~ period + (1 | herd)")
    message = str(caught.value)
    assert "--weights" in message and "weights=" not in message


def test_fit_keywords_become_options_and_other_words_stay():
    assert (
        in_magic_words("give the number of trials with weights=, or") == "give the number of trials with --weights, or"
    )
    assert in_magic_words("nagq applies to binomial and Poisson models only").startswith("--nagq")
    assert in_magic_words("the column 'weights_total' is used") == "the column 'weights_total' is used"


def test_stored_fit_knows_the_data_name(ip):
    ip.run_cell_magic("mixedmodel", "--data sleep --out named_fit --quiet", "Reaction ~ Days + (1 | Subject)")
    fit = ip.user_ns["named_fit"]
    assert fit.data_name == "sleep" and "Data: sleep (180 observations)" in fit.summary()
    assert "data: sleep" in fit._repr_html_()


def test_summary_view_does_not_repeat_the_models_own_notes():
    fit = mw.fit("Reaction ~ Days + (1 | Subject)", mw.datasets.load("sleepstudy"))

    class Noted:
        def __init__(self, inner):
            self._inner = inner
            self.messages = ["said by the model"]

        def __getattr__(self, name):
            return getattr(self._inner, name)

    shown = views_for(Noted(fit), "summary", 0.95, ["said by the model", "only the magic saw this"])
    assert [type(o).__name__ for o in shown] == ["Notes", "Summary"]
    assert shown[0].notes == ["only the magic saw this"]
