"""`python -m mixedwidgets fit`: run as a subprocess; its JSON must hold exactly the API's numbers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = ROOT / "tests" / "reference" / "families" / "data"


def run(*args, cwd=None, pythonpath=str(ROOT), code=None):
    env = {**os.environ, "PYTHONPATH": pythonpath}
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "mixedwidgets", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    sleep = mw.datasets.load("sleepstudy")
    sleep.to_csv(folder / "sleep.csv", index=False)
    cbpp = mw.datasets.load("cbpp")
    cbpp.assign(w=np.where(np.arange(len(cbpp)) % 3 == 0, 2.0, 1.0)).to_csv(folder / "cbpp.csv", index=False)
    (folder / "empty.csv").write_text("")
    (folder / "sleep.xlsx").write_text("not a table")
    return folder


def _api(csv, formula, **kwargs):
    return mw.fit(formula, pd.read_csv(csv), **kwargs)


def _assert_same_numbers(out: dict, model):
    fit = out["fit"]
    assert fit["loglik"] == model.loglik and fit["aic"] == model.aic and fit["bic"] == model.bic
    assert fit["objective"] == model.objective and out["nobs"] == model.nobs
    assert fit["df_residual"] == model.nobs - model.n_parameters
    table = model.coef_table()
    assert [row["term"] for row in out["fixed_effects"]] == list(table.index)
    for row in out["fixed_effects"]:
        for column in table.columns:
            assert row[column] == table.loc[row["term"], column], (row["term"], column)
    vc = model.varcorr
    assert [r["vcov"] for r in out["varcorr"]] == vc.vcov.tolist()
    assert [r["sdcor"] for r in out["varcorr"]] == vc.sdcor.tolist()
    assert [r["group"] for r in out["varcorr"]] == vc.group.tolist()
    assert out["dispersion"] == getattr(model, "dispersion", None)
    assert out["messages"] == model.messages and out["converged"] == model.converged


CASES = [
    ("sleep.csv", "Reaction ~ Days + (Days | Subject)", [], {}),
    ("sleep.csv", "Reaction ~ Days + (Days | Subject)", ["--ml"], {"reml": False}),
    (
        "cbpp.csv",
        "cbind(incidence, size - incidence) ~ period + (1 | herd)",
        ["--family", "binomial"],
        {"family": "binomial"},
    ),
    (
        "cbpp.csv",
        "incidence ~ period + (1 | herd)",
        ["--family", "poisson", "--nagq", "5", "--weights", "w"],
        {"family": "poisson", "nagq": 5, "weights": "w"},
    ),
    (
        FAMILIES / "nb_slope.csv",
        "y ~ x + (1 + x | g)",
        ["--family", "negative_binomial"],
        {"family": "negative_binomial"},
    ),
    (
        FAMILIES / "gamma_inverse_intercept.csv",
        "y ~ x + (1 | g)",
        ["--family", "gamma", "--link", "inverse"],
        {"family": "gamma", "link": "inverse"},
    ),
]


@pytest.mark.parametrize("csv,formula,options,kwargs", CASES, ids=lambda v: str(v)[:30])
def test_json_numbers_equal_the_apis(files, csv, formula, options, kwargs):
    path = files / csv if isinstance(csv, str) else csv
    result = run("fit", str(path), formula, *options, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    if "weights" in kwargs:
        kwargs = {**kwargs, "weights": pd.read_csv(path)[kwargs["weights"]]}
    model = _api(path, formula, **kwargs)
    _assert_same_numbers(out, model)
    assert out["formula"] == formula and out["family"] == model.family
    assert result.stdout.count("\n") == 1


def test_summary_is_the_apis_summary(files):
    result = run("fit", str(files / "sleep.csv"), "Reaction ~ Days + (Days | Subject)")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == _api(files / "sleep.csv", "Reaction ~ Days + (Days | Subject)").summary() + "\n"


def test_parquet_gives_the_same_answer_as_csv(files):
    pytest.importorskip("pyarrow")
    pd.read_csv(FAMILIES / "nb_intercept.csv").to_parquet(files / "nb.parquet")
    from_parquet = run("fit", str(files / "nb.parquet"), "y ~ x + (1 | g)", "--family", "negative_binomial", "--json")
    from_csv = run(
        "fit", str(FAMILIES / "nb_intercept.csv"), "y ~ x + (1 | g)", "--family", "negative_binomial", "--json"
    )
    assert from_parquet.returncode == 0, from_parquet.stderr
    assert json.loads(from_parquet.stdout) == json.loads(from_csv.stdout)


def test_parquet_without_pyarrow_is_a_clear_user_error(files):
    code = "import sys; sys.modules['pyarrow'] = None; from mixedwidgets.cli import main; sys.exit(main(sys.argv[1:]))"
    (files / "x.parquet").write_bytes(b"PAR1")
    result = run("fit", str(files / "x.parquet"), "y ~ x", code=code)
    assert result.returncode == 2 and result.stdout == ""
    assert "pip install pyarrow" in result.stderr and result.stderr.count("\n") == 1


USER_ERRORS = [
    (["fit", "{f}/missing.csv", "y ~ x"], "no such file"),
    (["fit", "{f}/sleep.csv", "Reaction ~ Dayz + (1 | Subject)"], "Dayz"),
    (["fit", "{f}/sleep.csv", "Reaction ~ Days + (1 | Subject)", "--family", "tweedie"], "invalid choice"),
    (["fit", "{f}/sleep.csv", "Reaction ~ Days + (1 | Subject)", "--link", "log"], "identity link"),
    (["fit", "{f}/sleep.csv", "Reaction ~ Days + (1 | Subject)", "--nagq", "0"], "--nagq"),
    (["fit", "{f}/sleep.csv", "Reaction ~ Days + (1 | Subject)", "--nagq", "two"], "--nagq"),
    (["fit", "{f}/sleep.csv", "Reaction ~ Days + (1 | Subject)", "--weights", "nope"], "nope"),
    (["fit", "{f}/sleep.csv", "Reaction ~ Days + (1 | Subject)", "--ddf", "magic"], "--ddf"),
    (
        ["fit", "{f}/cbpp.csv", "incidence ~ period + (1 | herd)", "--family", "poisson", "--ddf", "satterthwaite"],
        "Gaussian",
    ),
    (["fit", "{f}/sleep.csv", "Reaction ~ Days + (1 | Subject)", "--family", "gamma", "--link", "logit"], "link"),
    (["fit", "{f}/empty.csv", "y ~ x"], "could not read"),
    (["fit", "{f}/sleep.xlsx", "y ~ x"], ".csv or .parquet"),
    (["fit", "{f}/sleep.csv"], "required"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
]


@pytest.mark.parametrize("args,message", USER_ERRORS, ids=lambda v: " ".join(v)[-40:] if isinstance(v, list) else v)
def test_user_errors_print_one_line_and_exit_2(files, args, message):
    result = run(*[a.format(f=files) for a in args])
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("mixedwidgets: error: ")
    assert message in result.stderr


def test_warnings_go_to_stderr_and_stdout_stays_json(files):
    sleep = mw.datasets.load("sleepstudy")
    sleep.loc[[3, 7], "Reaction"] = np.nan
    sleep.to_csv(files / "sleep_missing.csv", index=False)
    result = run("fit", str(files / "sleep_missing.csv"), "Reaction ~ Days + (Days | Subject)", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["n_dropped"] == 2
    assert result.stderr.startswith("warning: ") and "dropped" in result.stderr


def test_ddf_is_used_when_coef_table_has_it(files):
    from inspect import signature

    result = run(
        "fit", str(files / "sleep.csv"), "Reaction ~ Days + (Days | Subject)", "--ddf", "satterthwaite", "--json"
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    model = _api(files / "sleep.csv", "Reaction ~ Days + (Days | Subject)")
    if "ddf" in signature(model.coef_table).parameters:
        assert out["ddf"] == "satterthwaite"
        assert [r["df"] for r in out["fixed_effects"]] == model.coef_table(ddf="satterthwaite")["df"].tolist()
    else:
        assert out["ddf"] is None and "--ddf satterthwaite not applied" in result.stderr


def test_runs_from_a_fresh_install(tmp_path, files):
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    result = run(
        "fit",
        str(FAMILIES / "gamma_log_slope.csv"),
        "y ~ x + (1 + x | g)",
        "--family",
        "gamma",
        "--json",
        cwd=tmp_path,
        pythonpath=str(target),
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    model = _api(FAMILIES / "gamma_log_slope.csv", "y ~ x + (1 + x | g)", family="gamma")
    _assert_same_numbers(out, model)
    script = run(
        "fit",
        str(files / "sleep.csv"),
        "Reaction ~ Days + (1 | Subject)",
        cwd=tmp_path,
        pythonpath=str(target),
        code="import runpy, sys; sys.argv[0] = 'mixedwidgets'; "
        f"runpy.run_path({str(target / 'bin' / 'mixedwidgets')!r}, run_name='__main__')",
    )
    assert script.returncode == 0 and script.stdout.startswith("Linear mixed model fit by REML")
