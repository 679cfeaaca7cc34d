#!/usr/bin/env python3
"""Mutation testing of the engine, results and fitting layers with mutmut (outside CI; see docs/testing.md).

mutmut changes the code in small ways (an operator, a constant, an argument dropped: a "mutant") and runs
the tests against each change; a mutant that no test notices "survives". This script runs mutmut in a
scratch copy of the repository (the work tree is never touched), with the fast non-browser tests as the
test command, and prints the score and every survivor with its diff.

    pip install -e '.[mutation]'
    python tools/mutation.py                                   # results/ and fitting/
    python tools/mutation.py --layer backend --files agq.py family.py   # a sample of the engine
    python tools/mutation.py --show-only                       # the last run's survivors again

Mutant names look like mixedwidgets.results.icc.x_icc_at__mutmut_3; `--pattern` restricts a run to
names matching a glob (mutmut's own selection). Runs are slow on purpose: every mutant runs the tests
that cover its function (mutmut maps them in a first traced run); allow about 1-3 s per mutant per core.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"results": "mixedwidgets/results", "fitting": "mixedwidgets/fitting", "backend": "mixedwidgets/backend"}
#: the fast non-browser tests: everything but the browser, the notebooks and the JavaScript
TESTS = [
    "tests/backend",
    "tests/results",
    "tests/fitting",
    "tests/design",
    "tests/formula",
    "tests/simulation",
    "tests/datasets",
    "tests/widgets",
    "tests/magic",
    "tests/test_package_structure.py",
]
PYTEST_ARGS = ["-p", "no:cacheprovider", "-m", "not browser", "-q", "-W", "ignore"]


def _config(globs: list[str], tests: list[str]) -> str:
    quoted = lambda items: "[" + ", ".join(json.dumps(i) for i in items) + "]"
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["mixedwidgets"]\n'
        f"only_mutate = {quoted(globs)}\n"
        f"pytest_add_cli_args_test_selection = {quoted(tests)}\n"
        f"pytest_add_cli_args = {quoted(PYTEST_ARGS)}\n"
        "use_git_change_detection = false\n"
        'also_copy = ["js/"]\n'
    )


def prepare(workdir: Path, globs: list[str], tests: list[str]) -> None:
    """A copy of the tracked files (plus the work tree's changes) with a [tool.mutmut] section."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    workdir.mkdir(parents=True, exist_ok=True)
    for name in files:
        source = ROOT / name
        if source.is_file() and not name.startswith(("notebooks/", "js/node_modules/")):
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != source.read_bytes():
                shutil.copy2(source, target)
    pyproject = workdir / "pyproject.toml"
    text = re.sub(r"\n\[tool\.mutmut\].*?(?=\n\[|\Z)", "", pyproject.read_text(), flags=re.S)
    pyproject.write_text(text + _config(globs, tests))


def run_mutmut(workdir: Path, children: int, patterns: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # mutmut puts mutants/ first itself
    subprocess.run(
        [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *patterns],
        cwd=workdir,
        env=env,
        check=False,
    )


def results(workdir: Path) -> dict[str, str]:
    """mutant name -> status (killed, survived, no tests, timeout, suspicious, skipped, not checked)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    status = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+__mutmut_\d+):\s*(.+)$", line)
        if match:
            status[match.group(1)] = match.group(2).strip()
    return status


def _functions(path: Path) -> dict[str, str]:
    """Every function's source in a mutated file, by name (mutmut keeps the original as ..._mutmut_orig)."""
    text = path.read_text()
    lines = text.splitlines()
    found = {}
    for node in ast.walk(ast.parse(text)):  # whole lines by number: get_source_segment rescans the text each time
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
            found[node.name] = "\n".join(lines[node.lineno - 1 : node.end_lineno])
    return found


def show(workdir: Path, name: str, cache: dict[Path, dict[str, str]] = {}) -> str:  # noqa: B006 (a cache)
    """The mutant's diff against the original function (what `mutmut show` prints, without a process each)."""
    module, function = name.rsplit(".", 1)
    path = workdir / "mutants" / Path(*module.split(".")).with_suffix(".py")
    if path not in cache:
        cache[path] = _functions(path)
    original = cache[path].get(function.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
    mutant = cache[path].get(function, "")
    strip = lambda src: [line.strip() for line in src.splitlines()[1:]]  # without the def line (names differ)
    return "\n".join(difflib.unified_diff(strip(original), strip(mutant), lineterm="", n=0))


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added text of a mutant's diff (first line of each)."""
    old = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    new = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return (old[0] if old else ""), (new[0] if new else "")


def _without_keywords(text: str) -> str:
    text = re.sub(r",?\s*(dtype|rcond|kind|check_finite)=[^,)]*", "", text)
    return re.sub(r",\s*\)", ")", text)


#: survivors read by hand and found equivalent, by mutant-name glob (without "mixedwidgets."): the reason
CHECKED_EQUIVALENT = {
    # BlockedFactor.theta is stored for the record and never read
    "backend.factor.x_factorize__mutmut_15": "BlockedFactor.theta is never read",
    "backend.factor.x_factorize__mutmut_80": "BlockedFactor.theta is never read",
    "backend.factor.x_factorize__mutmut_96": "BlockedFactor.theta is never read",
    "backend.factor.x__factorize_sparse__mutmut_38": "BlockedFactor.theta is never read",
    "backend.factor.x__factorize_sparse__mutmut_55": "BlockedFactor.theta is never read",
    # tail0 is only read when asked for (with_tail0), and then it is set
    "backend.factor.x_factorize__mutmut_11": "tail0 is read only when with_tail0, which sets it",
    "backend.factor.x__factorize_sparse__mutmut_20": "tail0 is read only when with_tail0, which sets it",
    "backend.factor.x_factorize__mutmut_1": "with_tail0 by default only forms a block no caller reads",
    # T_k is square: shape[0] == shape[1]
    "backend.factor.x_first_block__mutmut_2": "T is square (q × q)",
    "backend.factor.x_scale_tail__mutmut_2": "T is square (q × q)",
    "backend.factor.x_dense_tail_lambda__mutmut_4": "T is square (q × q)",
    # bsr_matrix infers the same shape from the block index arrays
    "backend.factor.x_block_diagonal__mutmut_[46]": "bsr_matrix infers the same shape from its block indices",
    # dpotrf: lower=0 is the default; overwrite_a only saves a copy; clean only zeroes the triangle never read
    "backend.factor.x_lower_cholesky__mutmut_[35789]": "dpotrf's defaults; the other triangle is never read",
    "backend.factor.x_lower_cholesky__mutmut_11": "overwrite_a=2 is as true as 1",
    # I + L is stored with its unit diagonal, and lower=True is spsolve_triangular's default
    "backend.factor_sparse.xǁSparseTailǁsolve__mutmut_*": "I + L stores its unit diagonal; lower=True is the default",
    "backend.factor_sparse.xǁSparseTailǁhalf_inverse__mutmut_1[0346]": "I + L stores its unit diagonal",
    "backend.factor_sparse.xǁSparseTailǁhalf_inverse__mutmut_[45]": "with a diagonal L the solve is the identity",
    "backend.factor_sparse.x_tail_lambda_random__mutmut_4": "the sparse format of an intermediate matrix",
    "backend.factor_sparse.x_scale_random__mutmut_3": "T is square (q × q)",
    "backend.factor_sparse.x__ldl__mutmut_[5-8]": "qdldl takes triu(A) when not told upper, and A is upper already",
    "backend.factor_sparse.x__ldl__mutmut_1[245]": "qdldl takes triu(A) when not told upper, and A is upper already",
    "backend.factor_sparse.x_factor_sparse_tail__mutmut_1": "every caller passes with_solves",
    "backend.factor_sparse.x_factor_sparse_tail__mutmut_22": "the solver's factors and solves are read at once",
    "backend.factor_sparse.x_factor_sparse_tail__mutmut_31": "the pivots of S_rr = I + Λ'(Schur complement)Λ are ≥ 1",
    "backend.factor_sparse.x_factor_sparse_tail__mutmut_46": "ldl is read only after a factorization with solves",
    "backend.factor_sparse.x_factor_sparse_tail__mutmut_48": "unit_diagonal=True: the stored diagonal is never read",
    "backend.factor_sparse.x_factor_sparse_tail__mutmut_54": "L is square",
    "backend.crossprod_dense.x_row_chunks__mutmut_1[89]": "n = 0 only: every such slice of no rows is empty",
    "backend.crossprod_dense.x_row_chunks__mutmut_2[0-3]": "n = 0 only: every such slice of no rows is empty",
    "backend.crossprod_dense.x__fixed_cross__mutmut_[35]": "the memory order of a scratch array",
    "backend.crossprod.x_cross_products_from_sums__mutmut_6": "the blocks of diag0 are square (q₀ × q₀)",
    "backend.crossprod.x_sparse_tail_or_none__mutmut_6": "q₀ in the cache key: the other parts of the key differ too",
    "backend.crossprod.x_build_cross_products__mutmut_57": "the dropped argument's default is the same (True)",
    "backend.crossprod_sparse.xǁSparseTailProductsǁsplit__mutmut_2[06]": "only the lower triangle of S_ff is read",
    "backend.crossprod_sparse.x_count_downdate_pairs__mutmut_[26]": "bincount is int64 already; empty levels add 0",
    "backend.crossprod_sparse.x_count_downdate_pairs__mutmut_11": "c(c + 1) is even: / 2 gives the same integer",
    "backend.crossprod_sparse.x__targets__mutmut_17": "entries with j = mr are overwritten by the S_ff assignment",
    "backend.crossprod_sparse.xǁDowndateLayoutǁproducts__mutmut_8": "every slot holds a product: the same length",
    "backend.crossprod_sparse.x_downdate_layout__mutmut_12": "float64 row numbers are exact; positions are cast back",
    "backend.crossprod_sparse.x_downdate_layout__mutmut_69": "duplicate CSR entries are summed: the same matrix",
    "backend.crossprod_sparse.x_downdate_layout__mutmut_93": "the last row (y, y) always has products",
    "backend.crossprod_sparse.x_base_values__mutmut_1[56]": "float64 row numbers are exact; locate casts them",
    "backend.crossprod_sparse.x_sparse_tail_products__mutmut_14": "a fresh symbolic cache: slower, the same values",
    "backend.crossprod_dense.x_dense_tail_fits__mutmut_*": "which of two equal paths (dense, sparse tail) is taken",
    "backend.downdate.x__lower_pairs__mutmut_5": "empty trailing levels add no pairs",
    "backend.downdate.x_build_downdate_pattern__mutmut_1[15]": "bincount is int64 already; empty levels add 0",
    "backend.downdate.x_build_downdate_pattern__mutmut_1[79]": "whether to keep the pattern: speed only",
    "backend.downdate.x_build_downdate_pattern__mutmut_2[0-2]": "whether to keep the pattern: speed only",
    "backend.downdate.x_build_downdate_pattern__mutmut_70": "the last W entry always has products",
    "backend.downdate.x_build_downdate_pattern__mutmut_8[24]": "csc_matrix infers the same shape",
    "backend.solve.x_random_tail_modes__mutmut_4": "no tail terms: the extra zero is never split into a term",
    "backend.solve.x_conditional_covariances__mutmut_23": "the blocks of chol0 are square",
    "backend.solve.x__block0_coupling__mutmut_[57]": "bsr_matrix infers the same shape from its block indices",
    "backend.solve.x__block0_coupling__mutmut_1[68]": "csc_matrix of a sparse matrix is its tocsc()",
    "backend.solve.x__first_block_fill__mutmut_1[29]": "the chunk size of a loop over levels: the same values",
    "backend.solve.x__first_block_fill__mutmut_39": "numpy reads any negative size as 'the rest'",
    "backend.solve.x_gram_per_level__mutmut_8": "L is square",
    "backend.solve.x_gram_per_level__mutmut_[23][0-9]": "the chunk size of a loop over levels: the same values",
    "backend.solve.x_gram_per_level__mutmut_58": "numpy reads any negative size as 'the rest'",
    "backend.crossprod.x_cross_products_from_sums__mutmut_1": "the distributed fit without the downdate pattern: "
    "slower, the same values (test_dense_tail_downdated_without_the_precomputed_pattern)",
    # --- the second engine run (glmm, single_term, start, polish, convergence, family, dispersion, ...) ---
    "backend.glmm.x__finish__mutmut_35": "β has no bound: +inf is not finite either, so no β is ever 'on its bound'",
    "backend.glmm.x__finish__mutmut_49": "_parameter_cov does not read its p argument",
    "backend.glmm.x__finish__mutmut_61": "parameter_cov is square",
    "backend.glmm.x__parameter_cov__mutmut_6": "the Hessian is square",
    "backend.glmm.x_make_problem__mutmut_79": "the log-density constants recomputed at each call: the same values",
    "backend.glmm.x_make_problem__mutmut_5[67]": "PIRLS at fixed β without the modes plan: the general "
    "cross-products, the same values (test_glmm_edges: PIRLS without the dense plan)",
    "backend.glmm.x_make_problem__mutmut_82": "PIRLS at fixed β without the modes plan: the general "
    "cross-products, the same values (test_glmm_edges: PIRLS without the dense plan)",
    "backend.glmm.x_make_problem__mutmut_83": "the Bernoulli shortcut not taken: the general binomial kernel, "
    "the same values",
    "backend.glmm.x_make_problem__mutmut_10[13679]": "the Bernoulli shortcut not taken (or, for 108, not taken when "
    "y has a 0, which Bernoulli data do): the general binomial kernel, the same values",
    "backend.single_term.xǁSingleTermSystemǁfactor__mutmut_29": "only t[0, 0], t[1, 0] and t[1, 1] are read",
    "backend.single_term.xǁSingleTermSystemǁfactor__mutmut_30": "only t[0, 0], t[1, 0] and t[1, 1] are read",
    "backend.single_term.xǁSingleTermSystemǁfactor__mutmut_69": "the Schur pivot of I + T'A_gT is ≥ 1: never exactly 0",
    "backend.single_term.x_lower_factor__mutmut_[367]": "dpotrf's defaults (lower=0, clean=1)",
    "backend.start.x_covariance_ratio__mutmut_4": "Z_g'Z_g is square (q × q)",
    "backend.start.x_level_coefficients__mutmut_2": "Z_g'Z_g is square (q × q)",
    "backend.start.x_level_coefficients__mutmut_[78]": "the condition-number limit moved by one part in 1e8",
    "backend.start.x_theta_entries__mutmut_3": "the jitter's sign: Σ/σ²'s eigenvalues are ≥ MIN_RATIO² = 0.0025, "
    "so θ₀ moves by < 1e-8",
    "backend.polish.x__newton_polish__mutmut_98": "central_gradient does not read its f0 argument",
    "backend.convergence.x_boundary_parameters__mutmut_3": "every finite lower bound is 0: θ + 0 = θ − 0",
    "backend.convergence.x_boundary_parameters__mutmut_4": "a θ of exactly 1e-4 above its bound (a tie)",
    "backend.convergence.x__judge_derivatives__mutmut_42": "a scaled gradient of exactly 2e-3 (a tie)",
    "backend.convergence.x_judge__mutmut_1": "every caller passes keep_hessian",
    "backend.family.x__gamma__mutmut_1[3-6]": "which floating-point warnings np.errstate silences (no values change)",
    "backend.family.x__gamma__mutmut_42": "a scalar 0 broadcasts as the array of zeros does",
    "backend.family.x__log_rising_factorial__mutmut_11": "the placeholder at y = 0 is replaced by 0 in the where",
    "backend.family.xǁDispersionFamilyǁwith_dispersion__mutmut_1": "typing.cast does nothing at run time",
    "backend.family.x__clip_probability__mutmut_[48]": "a new array instead of clipping in place: the same values",
    "backend.family.x__clip_probability__mutmut_11": "a new array instead of clipping in place: the same values",
    "backend.family.x__expit__mutmut_[34]": "scipy's expit on arrays instead of the in-place passes: within 1 ulp",
    "backend.family.x__expit__mutmut_11": "which floating-point warnings np.errstate silences (no values change)",
    "backend.family.x__expit__mutmut_2[36]": "a new array instead of dividing in place: the same values",
    "backend.family.xǁLinkǁderivative__mutmut_2": "dμ/dη from η instead of from μ = g⁻¹(η): the same derivative "
    "(for the logit, μ(1 − μ) of the clipped μ differs by less than ε²)",
    "backend.dispersion.x__finish__mutmut_37": "a θ of exactly 1e-4 above its bound (a tie)",
    "backend.dispersion.x__finish__mutmut_5[57]": "term_scales is never None here (_fit always scales the columns)",
    "backend.dispersion.x__finish__mutmut_69": "slice(None, n) is slice(0, n)",
    "backend.dispersion.x__finish__mutmut_71": "slice(n) is slice(0, n)",
    "backend.dispersion.x__parameter_cov__mutmut_5": "the Hessian is square",
    "backend.dispersion.x__stage_two__mutmut_2": "the whitening matrix is square",
    "backend.dispersion.xǁDispersionProblemǁat__mutmut_11": "typing.cast does nothing at run time",
    "backend.agq.x_agq_deviance__mutmut_13": "numpy reads any negative size as 'the rest'",
    "backend.agq.x_agq_deviance__mutmut_29": "Gauss–Hermite nodes and weights are symmetric: u − s·x sums the "
    "same terms",
    "backend.agq.x_agq_deviance__mutmut_47": "every level has a row, so bincount has its full length anyway",
    "backend.optimizer.x_minimize_bounded__mutmut_[235]": "every caller passes ftol_abs, xtol_abs and initial_step",
    "backend.optimizer.x_minimize_bounded__mutmut_4": "a limit of 10,001 instead of 10,000 evaluations "
    "(no fit nears it)",
    "backend.optimizer.x_minimize_bounded__mutmut_52": "the value handed to NLopt after force_stop is never used",
    "backend.optimizer.x_minimize_bounded__mutmut_61": "on a tie both points have the same objective value",
    "backend.optimizer.x_minimize_bounded__mutmut_139": "the default text is only for codes outside the table",
    "backend.optimizer.x_minimize_bounded__mutmut_141": "the default text is only for codes outside the table",
    "backend.optimizer.x_minimize_bounded__mutmut_78": "force_stop is called only on an error, which is raised before "
    "final is read",
    "backend.reterms.x_build_structure__mutmut_51": "astype(None) is float64 too",
    "backend.reterms.xǁRandomEffectsStructureǁcolumn_ids__mutmut_8": "a structure without terms is never built "
    "(a mixed model has a random-effect term)",
    "backend.reterms.xǁRandomEffectsStructureǁcolumn_ids__mutmut_1[024]": "a structure without terms is never built "
    "(a mixed model has a random-effect term)",
    "backend.row_sums.x_term_matrix__mutmut_18": "csr_matrix infers the same shape: every level has a row",
    "backend.row_sums.x_term_matrix__mutmut_20": "csr_matrix infers the same shape: every level has a row",
    "backend.scaling.x_column_rms__mutmut_22": "every design has more than one row",
    "backend.scaling.x_scaled_terms__mutmut_1[579]": "dividing by d = 1 instead of keeping the term: the same values",
    "backend.tail_pattern.x_expand_units__mutmut_17": "meshgrid's other indexing lists the same pairs in another "
    "order, and the keys are sorted",
    "backend.tail_pattern.x_expand_units__mutmut_3[368]": "a tail always has unit pairs (pieces is never empty)",
    "backend.tail_pattern.x_expand_units__mutmut_40": "a tail always has unit pairs (pieces is never empty)",
    "backend.tail_pattern.x_expand_units__mutmut_51": "every row of the pattern holds its diagonal: bincount has "
    "its full length anyway",
    "backend.tail_pattern.xǁTailPatternǁsymmetric__mutmut_8": "the diagonal is in the pattern: the inferred shape "
    "is mr × mr",
    "backend.tail_pattern.xǁTailPatternǁsymmetric__mutmut_10": "the diagonal is in the pattern: the inferred shape "
    "is mr × mr",
    "backend.tail_pattern.x_eliminates_without_fill__mutmut_5": "one off-diagonal entry never fills in: the general "
    "test says True as well",
    "backend.tail_pattern.x_eliminates_without_fill__mutmut_37": "found = size means wanted is above every entry, "
    "and the comparison with the last entry fails anyway",
    "backend.tail_pattern.xǁTailPatternǁlocate__mutmut_15": "where is not empty there: max needs no initial value",
    "backend.tail_pattern.xǁTailPatternǁupper__mutmut_[24]": "csc_matrix infers the same shape: the last column "
    "holds its diagonal",
    "backend.tail_pattern.x_sorted_unique__mutmut_9": "keep[1] is overwritten by the comparison that follows",
    "backend.start.x_starting_theta__mutmut_3[013]": "one term: a second sweep repeats the first (nothing else "
    "changes the residuals)",
    "backend.start.x_starting_theta__mutmut_58": "one term: its shrunken effects are computed after its θ and "
    "never read",
    "backend.start.x_level_sums__mutmut_32": "astype(None) is float64 too",
    "backend.single_term.x_lower_factor__mutmut_4": "clean=None: dpotrf's default (clean=1) is used",
    "backend.family.x__clip_probability__mutmut_13": "arrays: the same; the inverse links' scalars are numpy scalars "
    "(ndim 0), so out is None either way",
    "backend.glmm.x_make_problem__mutmut_108": "y != 0 where the data are Bernoulli: the shortcut is off when "
    "y has a 0 "
    "(the general kernel, the same values) and on when all y are 1 (as it should be)",
    "backend.glmm.x_make_problem__mutmut_11[01]": "the Bernoulli shortcut off: the general binomial kernel, "
    "the same values",
    "backend.glmm.x_make_problem__mutmut_95": "PIRLS at fixed β without the modes plan: the general cross-products, "
    "the same values",
    "backend.glmm.x_make_problem__mutmut_96": "the Bernoulli shortcut off: the general binomial kernel, the "
    "same values",
    "backend.dispersion.x__deviance_of__mutmut_1[167]": "PIRLS at fixed β through the full cross-products (modes_only "
    "off): the same modes",
    "backend.polish.x__newton_polish__mutmut_42": "a decrement of exactly the threshold (a tie)",
    "backend.polish.x__newton_polish__mutmut_88": "a decrement of exactly the threshold (a tie)",
    "backend.polish.x__newton_step__mutmut_37": "lower is 0 or −inf, and where it is −inf 'towards' is False anyway",
    "backend.polish.x__newton_step__mutmut_46": "lower is 0 or −inf, and where it is −inf 'towards' is False anyway",
    "backend.polish.x__newton_step__mutmut_4[07]": "a direction of exactly 0 or a distance of exactly "
    "SNAP_TO_BOUND (a tie)",
    "backend.polish.x_boundary_escape__mutmut_27": "flipping an empty set of entries: the same trial point",
    "backend.polish.x_boundary_escape__mutmut_30": "flipping an empty set of entries: the same trial point",
    "backend.polish.x_boundary_escape__mutmut_40": "a trial exactly at the threshold (a tie)",
    "backend.polish.x_polish_and_check__mutmut_1": "the LMM's report keeps its Hessian, which nothing reads",
    "backend.polish.x_polish_and_check__mutmut_18": "callers pass restart and column_ids together or neither",
    "backend.lmm.x_make_objective__mutmut_*": "the one-term objective replaced by the blocked factorization: the "
    "same values (test_single_term pins both to the dense formulas)",
    "backend.polish.x__newton_decrement__mutmut_2[02]": "L⁻¹g is never empty: derivatives are taken only when "
    "a parameter is free (else hess is None and the decrement is 0)",
}


#: survivors read by hand that change only what a message says, by mutant-name glob: how
CHECKED_TEXT = {
    "backend.convergence.x_judge__mutmut_23": "' ()' after the singular-fit sentence when no names are given",
    "backend.family.x__gamma__mutmut_64": "the dispersion parameter's name ('shape') in summaries",
    "backend.lmm.x_theta_names__mutmut_[789]": "parameter names in convergence messages",
    "backend.polish.x_polish_and_check__mutmut_97": "NLopt's reason in the 'did not report convergence' message",
    "backend.dispersion.x__fit__mutmut_126": "NLopt's reason in the 'did not report convergence' message",
    "backend.agq.x_require_single_scalar_term__mutmut_10": "the model's terms in the refusal message",
}

#: survivors read by hand that are real gaps (no test notices them), by mutant-name glob: what they change
KNOWN_GAPS: dict[str, str] = {
    # the optimizers' settings and starts: the path to the optimum, not the optimum, on every test case
    "backend.glmm.x__stage_one__mutmut_*": "stage one's BOBYQA settings (first step, tolerances, evaluation limit)",
    "backend.dispersion.x__stage_one__mutmut_*": "stage one's BOBYQA settings and its PIRLS with β fixed",
    "backend.glmm.x__stage_two__mutmut_*": "stage two's tolerances, the whitening's sign, the record's start",
    "backend.dispersion.x__stage_two__mutmut_*": "stage two's tolerances, the whitening's sign, the record's start",
    "backend.glmm.x_fit_glmm_problem__mutmut_*": "stage two's start (PIRLS updating β, the whitening's jitter) or the "
    "GLMM's bound escape (restart, column ids, factors) and the restart check's names, step and progress: no GLMM "
    "test case needs the escape (every sweep GLMM reaches lme4 without it)",
    "backend.dispersion.x__fit__mutmut_*": "stage two's start (PIRLS updating β, the whitening's jitter, log φ's start "
    "from rows of weight 0), the restart run's progress, the Hessian's step (1e-4 instead of 1e-3: SEs agree to ~1e-4)",
    "backend.dispersion.x_feasible_start__mutmut_*": "the fallback start's mean with prior weights or an offset (the "
    "test has neither)",
    "backend.glmm.x__finish__mutmut_40": "free judged in the engine's units: differs only for a θ within 1e-4 of 0 in "
    "one unit and not the other",
    "backend.glmm.x__finish__mutmut_5[56]": "the R_X fallback covariance, used only when the Hessian is unusable: no "
    "test GLMM gives such a Hessian (_parameter_cov's refusals are tested)",
    "backend.dispersion.x__finish__mutmut_6[45]": "the R_X fallback covariance, used only when the Hessian is unusable",
    "backend.glmm.x_make_problem__mutmut_58": "a modes plan built for a sparse tail too (no GLMM test has a "
    "sparse tail)",
    "backend.polish.x__newton_step__mutmut_*": "which trial points a Newton step tries (the eigenvalue floor, a "
    "parameter moving away from its bound also tried on it): the path",
    "backend.polish.x__newton_polish__mutmut_*": "when the Hessian is reused or recomputed, the caller's units after a "
    "step, the GLMM Hessian's step (1e-4 instead of 1e-3: SEs agree to ~1e-4): evaluations and last digits",
    "backend.polish.x__better__mutmut_*": "the restart's polish without factors or its threshold, or a tie between "
    "two optima of the same value",
    "backend.polish.x__doubtful__mutmut_*": "when the fine restart runs (its result is kept only if lower)",
    "backend.polish.x_polish_and_check__mutmut_*": "the polish threshold (1e-3 instead of the LMM's 1e-5), factors and "
    "progress in the escape and the fine restart, a fine restart tried without an optimizer (GLMMs with a doubtful "
    "gradient: none in the tests)",
    "backend.polish.x_boundary_escape__mutmut_28": "only the flipped trial where the column has other entries: "
    "lmm007 escapes either way",
    "backend.optimizer.x_minimize_bounded__mutmut_109": "which of two points with the same value is returned",
    "backend.convergence.x__judge_derivatives__mutmut_32": "the 'numerically singular' verdict: positive eigenvalues "
    "and a failing Cholesky, only at the edge of round-off (no portable test)",
    "backend.start.x_starting_theta__mutmut_52": "an unusable term ends the sweep instead of being skipped (no test "
    "has an unusable term before a usable one)",
    "backend.tail_pattern.xǁTailUnitsǁfrom_terms__mutmut_*": "differs only for a tail without terms, which no test "
    "builds on the sparse path",
    "backend.lmm.x_fit_cross_products__mutmut_*": "BOBYQA's settings and the polish's wiring (pure, the fine "
    "settings, the record's start, names, factors, the LMM polish threshold): the same optimum on every test case",
    "backend.lmm.x_initial_steps__mutmut_*": "BOBYQA's first trust region: the path",
    "backend.lmm.x_finish_fit__mutmut_*": "the record's pwrss, log-determinants and optsummary.initial's units, which "
    "no test reads",
    "backend.pirls.*": "PIRLS's stopping, step-halving and restart details, the cross-products' path and the "
    "record's iteration count and state (the modes agree within the tests' tolerances)",
    "backend.tail_pattern.xǁTailPatternǁlocate__mutmut_16": "a one-entry pattern (a tail of one scalar level) would be "
    "refused: no test has one",
}


def category(old: str, new: str, name: str = "") -> str:
    """A first reading of a survivor (docs/testing.md explains each kind); 'gap' means a test is missing."""
    short = name.replace("mixedwidgets.", "")
    for pattern, reason in CHECKED_EQUIVALENT.items():
        if fnmatch.fnmatch(short, pattern):
            return f"equivalent (checked): {reason}"
    for pattern, reason in CHECKED_TEXT.items():
        if fnmatch.fnmatch(short, pattern):
            return f"text (checked): {reason}"
    known = next((reason for pattern, reason in KNOWN_GAPS.items() if fnmatch.fnmatch(short, pattern)), None)
    strip = lambda text: re.sub(r"(\"[^\"]*\"|'[^']*')", "S", text)
    if "einsum(" in new and new.lower() == old.lower():
        return "equivalent: einsum subscripts in upper case"
    if strip(old) == strip(new) and old != new:
        return "text: a message, label or note changed"
    if re.search(r"(Error|warn_user|notes?\.append|messages?\.append)\(None\)", new):
        return "text: a message replaced by None"
    if new.strip(", ") == "None" and re.match(r"""^[fr]?["']""", old):  # a multi-line message's argument
        return "text: a message replaced by None"
    if _without_keywords(old) == _without_keywords(new):
        return "equivalent: a keyword whose value does not matter here"
    without_format = lambda text: re.sub(r",\s*\)", ")", re.sub(r",?\s*format=[^,)\]]*", "", text))
    if without_format(old) == without_format(new):
        return "equivalent: the sparse format of an intermediate matrix (the same values)"
    return "gap" if known is None else f"gap: {known}"


def write_markdown(status: dict[str, str], workdir: Path, path: Path) -> None:
    rows = []
    for name in sorted(n for n, s in status.items() if s in ("survived", "no tests", "suspicious")):
        old, new = changed_lines(show(workdir, name))
        rows.append((name, status[name], category(old, new, name), old, new))
    lines = ["| mutant | status | reading | was | became |", "| --- | --- | --- | --- | --- |"]
    cell = lambda text: "`" + text.replace("|", "\\|").replace("`", "'")[:110] + "`"
    lines += [f"| {n.replace('mixedwidgets.', '')} | {s} | {c} | {cell(o)} | {cell(w)} |" for n, s, c, o, w in rows]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    summary = [f"- {k}: {v}" for k, v in sorted(counts.items())]
    path.write_text(
        "# Surviving mutants (generated by tools/mutation.py --markdown)\n\n"
        + "\n".join(summary)
        + "\n\n"
        + "\n".join(lines)
        + "\n"
    )


def report(status: dict[str, str], workdir: Path, diffs: bool) -> int:
    counts: dict[str, int] = {}
    for value in status.values():
        counts[value] = counts.get(value, 0) + 1
    tested = sum(v for k, v in counts.items() if k not in ("not checked", "skipped"))
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    print(f"mutants: {len(status)}; " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if tested:
        print(f"score (killed or timed out / checked): {killed}/{tested} = {100 * killed / tested:.1f}%")
    survivors = sorted(n for n, s in status.items() if s in ("survived", "no tests", "suspicious"))
    for name in survivors:
        print(f"\n=== {name} ({status[name]})")
        if diffs:
            print(show(workdir, name))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layer", nargs="+", choices=sorted(LAYERS), default=["results", "fitting"])
    parser.add_argument("--files", nargs="*", default=[], help="only these file names inside the layer(s)")
    parser.add_argument("--pattern", nargs="*", default=[], help="mutant name globs for mutmut run")
    parser.add_argument("--tests", nargs="+", default=TESTS, help="test paths (default: the fast non-browser tests)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mixedwidgets-mutation"))
    parser.add_argument("--children", type=int, default=1, help="parallel workers (the machine has 2 cores)")
    parser.add_argument("--show-only", action="store_true", help="report the last run without running")
    parser.add_argument("--no-diffs", action="store_true")
    parser.add_argument("--markdown", type=Path, help="write the survivors, with a first reading of each, here")
    args = parser.parse_args(argv)
    globs = [f"{LAYERS[layer]}/{name}" for layer in args.layer for name in (args.files or ["*"])]
    if not args.show_only:
        prepare(args.workdir, globs, args.tests)
        run_mutmut(args.workdir, args.children, args.pattern)
    status = results(args.workdir)
    if args.markdown:
        write_markdown(status, args.workdir, args.markdown)
    return report(status, args.workdir, diffs=not args.no_diffs)


if __name__ == "__main__":
    sys.exit(main())
