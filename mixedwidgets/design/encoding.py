"""What a fit remembers to rebuild its matrices for new data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from formulaic import ModelSpec

from ..errors import MixedModelError
from .columns import require_columns
from .evaluate import reapply
from .grouping import GroupEncoding
from .within_between import one_warning_for_unseen_groups


@dataclass(frozen=True)
class TermEncoding:
    """A merged random-effect term: its grouping factor and the specs of its parts."""

    group: GroupEncoding
    parts: tuple[ModelSpec | None, ...]  # one per formula term; None is an intercept only

    def values_for(self, data: pd.DataFrame) -> np.ndarray:
        where = f"the random term for '{self.group.group}'"
        blocks = [np.ones((len(data), 1)) if spec is None else reapply(spec, data, where) for spec in self.parts]
        return np.column_stack(blocks) if len(blocks) > 1 else blocks[0]


@dataclass(frozen=True)
class DesignEncoding:
    """Encodings of the fixed part, offsets and random terms of a fitted design."""

    formula_text: str
    fixed_spec: ModelSpec
    fixed_kept: tuple[int, ...]  # columns of the formulaic matrix kept in X
    offset_specs: tuple[ModelSpec, ...]
    terms: tuple[TermEncoding, ...]
    fixed_columns: tuple[str, ...]  # data columns read by the fixed part and offsets
    random_columns: tuple[str, ...]  # data columns read by random terms and groups

    def model_matrices(self, newdata: pd.DataFrame, *, random: bool = True):
        """``(X, codes, values, offset)`` for ``newdata`` (see Design.model_matrices)."""
        if not isinstance(newdata, pd.DataFrame):
            raise MixedModelError(f"new data must be a pandas DataFrame, not {type(newdata).__name__}")
        needed = self.fixed_columns + (self.random_columns if random else ())
        require_columns(needed, newdata, self.formula_text, "the new data")
        with one_warning_for_unseen_groups():  # within()/between() of groups not in the fit
            X = reapply(self.fixed_spec, newdata, "the fixed part")[:, list(self.fixed_kept)]
            offset = self._offset(newdata)
            if not random:
                return X, [], [], offset
            codes = [term.group.codes_for(newdata) for term in self.terms]
            values = [term.values_for(newdata) for term in self.terms]
        return X, codes, values, offset

    def _offset(self, newdata: pd.DataFrame) -> np.ndarray | None:
        if not self.offset_specs:
            return None
        columns = [reapply(spec, newdata, "the offset")[:, 0] for spec in self.offset_specs]
        return np.sum(columns, axis=0)
