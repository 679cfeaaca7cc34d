"""Find the within- and between-group columns of a variable among a model's fixed effects.

Three ways of writing a hybrid (within-between) model are recognised:

* formula transforms: ``within(A, g) + between(A, g)`` (the design records them: `Design.split_columns`);
* columns made by ``mw.demean``: ``A_within + A_between`` (found by their names);
* Mundlak's form: ``A + between(A, g)`` (or ``A + A_between``), where the coefficient of the
  group mean is already the contextual effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..design.types import Design
from ..errors import MixedModelError
from ..formula import group_factor_names
from ..formula.groups import join_group

WITHIN_SUFFIX = "_within"
BETWEEN_SUFFIX = "_between"


@dataclass(frozen=True)
class HybridTerms:
    """Which fixed-effect columns carry the within and between parts of one variable."""

    variable: str
    within_name: str  # column of the within effect ("within(A, g)", "A_within", or "A" in Mundlak form)
    between_name: str  # column of the group mean ("between(A, g)", "A_between")
    mundlak: bool  # True when within_name is the raw variable (its partner is the contextual effect)
    group: str | None  # grouping factor named in the transform ("g", "a:b"); None for demean columns


def _split_columns(design: Design, variable: str, part: str) -> dict[str, str]:
    """grouping factor -> column, for the within() or between() columns of `variable`."""
    return {c.group: c.column for c in design.split_columns if c.variable == variable and c.part == part}


def _candidates(design: Design, variable: str) -> list[HybridTerms]:
    names = design.fixed_names
    within = _split_columns(design, variable, "within")
    between = _split_columns(design, variable, "between")
    found = [HybridTerms(variable, within[g], between[g], False, g) for g in within if g in between]
    demeaned = (variable + WITHIN_SUFFIX, variable + BETWEEN_SUFFIX)
    if all(n in names for n in demeaned):
        found.append(HybridTerms(variable, *demeaned, False, None))
    if not found and variable in names:
        found += [HybridTerms(variable, variable, b, True, g) for g, b in between.items()]
        if demeaned[1] in names:
            found.append(HybridTerms(variable, variable, demeaned[1], True, None))
    return found


def canonical_group(group: str) -> str:
    """A grouping factor as the design spells it: "g", "a:b", "`my g`" (a raw "my g" too)."""
    try:
        return join_group(list(group_factor_names(group)))
    except MixedModelError:
        return join_group([group])


def find_hybrid_terms(design: Design, variable: str, group: str | None = None) -> HybridTerms:
    """The within/between columns of ``variable``; ``group`` picks one when there are several."""
    if not isinstance(variable, str) or not variable:
        raise MixedModelError("name the variable as a string, e.g. contextual_effect(m, 'A')")
    found = _candidates(design, variable)
    if group is not None:
        found = [t for t in found if t.group == canonical_group(group)]
    if not found:
        raise MixedModelError(_not_found_message(design.fixed_names, variable, group))
    if len(found) > 1:
        groups = ", ".join(repr(t.group) for t in found)
        raise MixedModelError(
            f"'{variable}' has within/between parts for several grouping factors ({groups}); choose one with group="
        )
    return found[0]


def _not_found_message(names, variable: str, group: str | None) -> str:
    where = f" for grouping factor '{group}'" if group is not None else ""
    return (
        f"no within- and between-group columns of '{variable}'{where} among the fixed effects "
        f"({', '.join(names)}); fit the hybrid model as 'y ~ within({variable}, g) + "
        f"between({variable}, g) + (1 | g)', or with columns {variable}{WITHIN_SUFFIX} and "
        f"{variable}{BETWEEN_SUFFIX} from mw.demean()"
    )
