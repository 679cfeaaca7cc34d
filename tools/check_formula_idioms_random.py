#!/usr/bin/env python3
"""Fresh random check of the R formula idioms against lme4 (needs R with lme4 and jsonlite).

Simulates a new data set (a new seed each run unless ``--seed``), fits every case of
``tools/make_formula_references.py`` (except the sleepstudy one) with lme4 and with mixedwidgets,
and prints per case: the relative difference of the criterion, the largest fixed-effect
difference in units of lme4's SE, whether all names agree, and the largest prediction
difference for new rows in units of sigma. Exit status 1 if any case misses the acceptance
(criterion 1e-6 relative, fixed effects 1% of SE, names).

    python tools/check_formula_idioms_random.py [--seed N] [--rows N] [--groups N]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import make_formula_references as references

import mixedwidgets as mw


def _r_answers(folder: Path, rows: int, groups: int, seed: int) -> list[tuple[str, str, bool, dict]]:
    rng = np.random.default_rng(seed)
    references.simulate(rng, rows, groups, seed + 1).to_csv(folder / "data.csv", index=False)
    references.simulate(rng, 40, groups, seed + 1).to_csv(folder / "new.csv", index=False)
    cases = [c for c in references.CASES if not c[4]]
    lines = ["name\tcsv\tformula\tr_formula\treml\tfactors"]
    lines += [
        f"{n}\t\t{f}\t{r or f}\t{'TRUE' if reml else 'FALSE'}\t{references.FACTORS}" for n, f, r, reml, _ in cases
    ]
    (folder / "cases.tsv").write_text("\n".join(lines) + "\n")
    subprocess.run(
        [
            "Rscript",
            str(references.SCRIPT),
            str(folder / "data.csv"),
            str(folder / "new.csv"),
            str(folder / "cases.tsv"),
            str(folder),
        ],
        check=True,
    )
    return [(n, f, reml, json.loads((folder / f"{n}.json").read_text())) for n, f, _, reml, _ in cases]


def _compare(formula: str, reml: bool, answer: dict, data: pd.DataFrame, new: pd.DataFrame) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mw.fit(formula, data, reml=reml)
    names = [n[1:-1] if re.fullmatch(r"`[^`]+`", n) else n for n in answer["fixef"]]
    ours = [n.replace("np.", "") for n in model.fixef.index]
    beta, se = np.array(list(answer["fixef"].values())), np.array(list(answer["se"].values()))
    row = {"criterion_rel": (model.objective - answer["objective"]) / abs(answer["objective"]), "names": ours == names}
    row["fixef_in_se"] = float(np.max(np.abs(model.fixef.to_numpy() - beta) / se)) if row["names"] else np.nan
    groups = {re.sub(r"\.\d+$", "", r["grp"]) for r in answer["varcorr"]}
    row["groups"] = groups == set(model.varcorr.group)
    if answer.get("predict_conditional"):
        diff = np.abs(model.predict(new) - np.array(answer["predict_conditional"]))
        row["predict_in_sigma"] = float(diff.max() / model.sigma)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=int(np.random.SeedSequence().entropy % 2**31))
    parser.add_argument("--rows", type=int, default=int(np.random.default_rng().integers(300, 3000)))
    parser.add_argument("--groups", type=int, default=int(np.random.default_rng().integers(8, 60)))
    args = parser.parse_args()
    print(f"seed {args.seed}, {args.rows} rows, {args.groups} groups")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        answers = _r_answers(folder, args.rows, args.groups, args.seed)
        data, new = pd.read_csv(folder / "data.csv"), pd.read_csv(folder / "new.csv")
        table = pd.DataFrame({name: _compare(f, reml, answer, data, new) for name, f, reml, answer in answers}).T
    print(table.to_string(float_format=lambda v: f"{v:.2e}"))
    bad = (table.criterion_rel.abs() > 1e-6) | (table.fixef_in_se > 0.01) | ~table.names.astype(bool)
    bad |= ~table.groups.astype(bool)
    print("all within the acceptance" if not bad.any() else f"outside the acceptance: {list(table.index[bad])}")
    return int(bad.any())


if __name__ == "__main__":
    sys.exit(main())
