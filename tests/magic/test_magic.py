"""%mixedmodel / %%mixedmodel in a real IPython shell with real fits."""

import subprocess
import sys

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import mixedwidgets as mw
from mixedwidgets.magic import execute, progress

HISTORY = {"_", "__", "___", "_i", "_ii", "_iii", "_oh", "_dh", "In", "Out", "_exit_code"}
FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mixedwidgets")
    shell.user_ns["sleep"] = mw.datasets.load("sleepstudy")
    return shell


@pytest.fixture(autouse=True)
def default_config(ip):
    yield
    ip.run_line_magic("config", "MixedModelMagics.default_view = 'all'")
    ip.run_line_magic("config", "MixedModelMagics.interval_level = 0.95")


def user_state(ip):
    return {k: v for k, v in ip.user_ns.items() if k not in HISTORY and not k.startswith("_i")}


def run(ip, code):
    with capture_output() as cap:
        result = ip.run_cell(code)
    return result, cap


def shown_types(cap):
    return [type(o).__name__ for o in cap.outputs]


def test_importing_the_package_does_not_import_ipython_or_widgets():
    code = (
        "import sys, mixedwidgets; bad = [m for m in ('IPython', 'ipywidgets', 'traitlets', 'bqplot', "
        "'anywidget') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cell_magic_stores_the_same_fit_as_mw_fit(ip):
    result, cap = run(ip, f"%%mixedmodel --data sleep --out fit_a\n# slopes per subject\n{FORMULA}\n")
    assert result.success, result.error_in_exec
    expected = mw.fit(FORMULA, ip.user_ns["sleep"])
    np.testing.assert_allclose(ip.user_ns["fit_a"].fixef.to_numpy(), expected.fixef.to_numpy())
    assert len(cap.outputs) == 1  # the dashboard: it holds the summary's tables once


def test_default_view_shows_the_dashboard_once_with_the_summary_as_text(ip, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    result, _ = run(ip, f"%%mixedmodel -d sleep\n{FORMULA}")
    assert result.success
    assert [type(o).__name__ for o in shown] == ["Dashboard"]
    bundle = shown[0]._repr_mimebundle_()
    assert "Reaction" in bundle["text/plain"] and "Data: sleep" in bundle["text/plain"]
    html = bundle["text/html"]
    for table in ("mw-varcomp-table", "mw-fixef-table"):
        assert html.count(f'class="{table}"') == 1
    assert "<svg" in html and bundle["image/svg+xml"].startswith("<svg")


@pytest.mark.parametrize(
    "view, kind",
    [
        ("summary", "Summary"),
        ("ranef", "RanefInspector"),
        ("varcomp", "VarianceTable"),
        ("covariance", "CovariancePanel"),
    ],
)
def test_view_option(ip, monkeypatch, view, kind):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    assert run(ip, f"%%mixedmodel -d sleep --view {view}\n{FORMULA}")[0].success
    assert [type(o).__name__ for o in shown] == [kind]


def test_line_magic_and_ml(ip):
    result, _ = run(ip, f"%mixedmodel {FORMULA} --data sleep --out fit_ml --ml --quiet")
    assert result.success, result.error_in_exec
    expected = mw.fit(FORMULA, ip.user_ns["sleep"], reml=False)
    assert ip.user_ns["fit_ml"].sigma == pytest.approx(expected.sigma)


def test_weights_name_a_column(ip):
    data = ip.user_ns["sleep"].assign(w=lambda f: 1.0 + f.Days % 2)
    ip.user_ns["sleep_w"] = data
    result, _ = run(ip, f"%mixedmodel {FORMULA} --data sleep_w --weights w --out fit_w --quiet")
    assert result.success, result.error_in_exec
    assert ip.user_ns["fit_w"].sigma == pytest.approx(mw.fit(FORMULA, data, weights="w").sigma)


def test_loading_twice_registers_once(ip):
    ip.run_line_magic("load_ext", "mixedwidgets")
    from mixedwidgets.magic import load_ipython_extension

    load_ipython_extension(ip)
    kinds = [type(m).__name__ for m in ip.configurables]
    assert kinds.count("MixedModelMagics") == 1


def test_quiet_shows_nothing(ip):
    result, cap = run(ip, f"%%mixedmodel --data sleep --out fit_q --quiet\n{FORMULA}")
    assert result.success and cap.outputs == [] and cap.stdout == ""
    assert "fit_q" in ip.user_ns


def test_config_default_view_and_interval_level(ip, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    ip.run_line_magic("config", "MixedModelMagics.default_view = 'ranef'")
    ip.run_line_magic("config", "MixedModelMagics.interval_level = 0.8")
    assert run(ip, f"%%mixedmodel -d sleep\n{FORMULA}")[0].success
    assert type(shown[0]).__name__ == "RanefInspector" and shown[0].interval_level == 0.8
    run(ip, "%config MixedModelMagics.interval_level = 1.5")  # rejected (IPython logs the error)
    magics = ip.magics_manager.registry["MixedModelMagics"]
    assert magics.interval_level == 0.8


@pytest.mark.parametrize(
    "line, cell, words",
    [
        ("--data nowhere --out fit_bad", FORMULA, "no variable named 'nowhere'"),
        ("--data not_a_frame --out fit_bad", FORMULA, "not a pandas DataFrame"),
        ("--data sleep --out fit_bad", "Reaction ~ Days + (Days | Subject", "never closed"),
        ("--data sleep --out fit_bad", "Reaction ~ Dayz + (1 | Subject)", "Dayz"),
        ("--data sleep --out fit_bad --nagq 3", FORMULA, "nagq"),
        ("--data sleep --out fit_bad --weights nothing", FORMULA, "--weights nothing"),
        ("--data sleep --out fit_bad --view nope", FORMULA, "invalid choice"),
    ],
)
def test_mistakes_are_usage_errors_and_change_nothing(ip, line, cell, words):
    ip.user_ns["not_a_frame"] = [1, 2, 3]
    ip.user_ns["fit_bad"] = "keep me"
    before = user_state(ip)
    result, cap = run(ip, f"%%mixedmodel {line}\n{cell}")
    assert isinstance(result.error_in_exec, UsageError)
    assert words in str(result.error_in_exec)
    assert "Traceback" not in cap.stdout + cap.stderr
    assert user_state(ip) == before


class InterruptingProgress(progress.FitProgress):
    def __call__(self, evaluations, objective):
        raise KeyboardInterrupt


def test_keyboard_interrupt_during_fit_leaves_namespace_unchanged(ip, monkeypatch):
    monkeypatch.setattr(execute, "FitProgress", InterruptingProgress)
    ip.user_ns.pop("fit_int", None)
    before = user_state(ip)
    result, _ = run(ip, f"%%mixedmodel --data sleep --out fit_int\n{FORMULA}")
    assert isinstance(result.error_in_exec, UsageError)
    assert "interrupted" in str(result.error_in_exec)
    assert user_state(ip) == before


def test_slow_fit_shows_live_progress_and_clears_it(ip, monkeypatch):
    events = []

    class Handle:
        def update(self, bundle, raw=False):
            events.append(("update", bundle["text/plain"]))

    def fake_display(bundle, raw=False, display_id=False):
        events.append(("show", bundle["text/plain"]))
        return Handle()

    ticks = iter(range(0, 10_000))

    class SlowClock(progress.FitProgress):
        def __init__(self, formula):
            super().__init__(formula, clock=lambda: 0.5 * next(ticks), display=fake_display)

    monkeypatch.setattr(execute, "FitProgress", SlowClock)
    assert run(ip, f"%%mixedmodel --data sleep --out fit_slow --quiet\n{FORMULA}")[0].success
    assert events[0][0] == "show" and "evaluations" in events[0][1] and "objective" in events[0][1]
    assert events[-1] == ("update", "")


def test_fast_fit_shows_no_progress():
    calls = []
    p = progress.FitProgress("y ~ x", clock=lambda: 0.0, display=lambda *a, **k: calls.append(a))
    for i in range(50):
        p(i, 1.0)
    p.close()
    assert calls == []


def test_fit_warnings_become_notes(ip, monkeypatch):
    def warn_fit(formula, data, **kwargs):
        import warnings

        warnings.warn(mw.MixedModelWarning("3 rows dropped for missing values"), stacklevel=2)
        return mw.fit(formula, data, **kwargs)

    shown = []
    monkeypatch.setattr(execute, "default_fit", lambda: warn_fit)
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    assert run(ip, f"%%mixedmodel --data sleep --view summary\n{FORMULA}")[0].success
    assert type(shown[0]).__name__ == "Notes"
    assert "3 rows dropped" in shown[0]._repr_mimebundle_()["text/plain"]
