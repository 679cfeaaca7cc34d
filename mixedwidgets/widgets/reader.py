"""Read-only, cached access to the parts of a fitted model that the views need.

Views never change the results object; they only call its public attributes and methods.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from ..names import find_group


class ModelReader:
    """Wraps a results object (`mw.fit(...)`) and caches what several views share."""

    def __init__(self, model):
        self.model = model

    @property
    def family(self) -> str:
        return str(getattr(self.model, "family", "gaussian"))

    @property
    def is_glmm(self) -> bool:
        return self.family != "gaussian"

    @cached_property
    def ranef(self) -> pd.DataFrame:
        frame = self.model.ranef().copy()
        frame["level"] = frame["level"].astype(str)
        return frame

    @cached_property
    def groups(self) -> tuple[str, ...]:
        return tuple(str(t.group) for t in self.model.design.terms)

    # ---- the design, read here only (views never reach into model.design themselves) ---------------
    @property
    def response_name(self) -> str:
        return str(self.model.design.response_name)

    @property
    def fixed_names(self) -> tuple[str, ...]:
        return tuple(str(n) for n in self.model.design.fixed_names)

    @cached_property
    def fixed_matrix(self) -> np.ndarray:
        """X of the rows used (n × p, the fixed effects' columns)."""
        return np.asarray(self.model.design.X, dtype=float)

    @property
    def design(self):
        """The design, for the few results-layer functions that take one (e.g. find_hybrid_terms)."""
        return self.model.design

    @property
    def design_terms(self) -> tuple:
        return tuple(self.model.design.terms)

    @property
    def data_columns(self) -> list:
        """The caller's column labels, in their order."""
        return list(self.model.data.columns)

    @property
    def fixed_variables(self) -> tuple[str, ...]:
        """The data columns the fixed part reads."""
        return tuple(self.model.design.fixed_variables)

    def terms(self, group: str) -> tuple[str, ...]:
        return tuple(str(c) for c in self.design_term(group).columns)

    def design_term(self, group: str):
        return find_group(self.model.design.terms, group)

    def levels(self, group: str) -> tuple[str, ...]:
        return tuple(str(v) for v in self.design_term(group).levels)

    def level_index(self, group: str, label: str) -> int:
        """Position of `label` among the group's levels, or -1."""
        index = self._level_positions(group)
        return index.get(label, -1)

    def _level_positions(self, group: str) -> dict[str, int]:
        cache = self.__dict__.setdefault("_positions", {})
        if group not in cache:
            cache[group] = {label: i for i, label in enumerate(self.levels(group))}
        return cache[group]

    @cached_property
    def response(self) -> np.ndarray:
        return np.asarray(self.model.design.y, dtype=float)

    @cached_property
    def fitted_conditional(self) -> np.ndarray:
        return np.asarray(self.model.predict(kind="conditional"), dtype=float)

    @cached_property
    def fitted_typical(self) -> np.ndarray:
        return np.asarray(self.model.predict(kind="typical"), dtype=float)

    @cached_property
    def used_data(self) -> pd.DataFrame:
        """The caller's rows that the fit used (a view for reading only)."""
        return self.model.model_frame()


def reader_for(model) -> ModelReader:
    """A ModelReader for a results object (or the reader itself, so views can share one)."""
    return model if isinstance(model, ModelReader) else ModelReader(model)
