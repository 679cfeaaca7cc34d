"""The fit's global view of a dask DataFrame: encodings from a first pass over the partitions.

The fixed part's encoding (formulaic's model spec, columns kept) comes from the design of the first
partition; every grouping factor's levels come from all partitions (its distinct level combinations,
encoded exactly as the in-memory design would encode the whole column, so levels sort the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..design import build_design
from ..design.encoding import DesignEncoding
from ..design.grouping import GroupEncoding, encode_group
from ..design.types import Design, RandomEffectTerm
from ..errors import MixedModelError
from ..formula import group_factor_names


@dataclass(frozen=True)
class DaskPlan:
    """What every partition needs to turn its rows into model matrices (small; shipped to workers)."""

    encoding: DesignEncoding  # DesignEncoding with the global group encodings
    terms: tuple[RandomEffectTerm, ...]  # global levels, no rows
    response: str
    family: str
    used_columns: tuple[str, ...]
    sample: Design  # the first partition's design (names, blocks, formula)


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """dask reads strings as pandas' nullable "string" dtype, which the design does not take: use str."""
    nullable = [c for c, t in frame.dtypes.items() if isinstance(t, pd.StringDtype) and t.na_value is pd.NA]
    if not nullable:
        return frame
    return frame.assign(**{c: frame[c].astype(object).where(frame[c].notna(), np.nan).astype("str") for c in nullable})


def _global_group(group: str, ddf) -> GroupEncoding:
    names = list(group_factor_names(group))
    combos = ddf[names].drop_duplicates(split_out=1).compute().reset_index(drop=True)
    combos = plain_strings(combos.dropna())
    return encode_group(group, combos)[1]


def make_plan(parsed, ddf, family: str) -> DaskPlan:
    first = plain_strings(ddf.get_partition(0).compute())
    if len(first) == 0:
        raise MixedModelError("the first partition of the dask DataFrame is empty; repartition it")
    sample = build_design(parsed, first, family=family)
    if sample.encoding is None:
        raise MixedModelError("this model cannot be fitted from a dask DataFrame (no reusable encoding)")
    groups = {t.group: _global_group(t.group, ddf) for t in sample.terms}
    encoding = replace(
        sample.encoding, terms=tuple(replace(te, group=groups[te.group.group]) for te in sample.encoding.terms)
    )
    terms = tuple(
        replace(
            t, levels=groups[t.group].levels, codes=np.zeros(0, dtype=np.int64), values=np.zeros((0, len(t.columns)))
        )
        for t in sample.terms
    )
    used = tuple(dict.fromkeys(encoding.fixed_columns + encoding.random_columns + _response_columns(parsed)))
    plan = DaskPlan(encoding, terms, parsed.response, family, used, sample)
    return replace(plan, sample=summary_design(plan, 0, 0))  # no rows: the plan is shipped with every task


def _response_columns(parsed) -> tuple[str, ...]:
    from ..formula import call_arguments, column_name

    arguments = call_arguments(parsed.response, "cbind") or [parsed.response]
    names = [column_name(a) for a in arguments]
    return tuple(n for n in names if n)


def summary_design(plan: DaskPlan, n: int, dropped: int) -> Design:
    """A Design for the results layer: global levels and encodings, no rows (they stay on the cluster)."""
    p = len(plan.sample.fixed_names)
    return replace(
        plan.sample,
        y=np.zeros(0),
        X=np.zeros((0, p)),
        terms=plan.terms,
        weights=None,
        offset=None,
        n_dropped=dropped,
        row_index=pd.RangeIndex(0),
        encoding=plan.encoding,
        row_positions=None,
    )
