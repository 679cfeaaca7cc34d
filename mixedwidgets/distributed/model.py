"""The fitted model of a dask DataFrame: estimates and tables as usual, rows only on the cluster.

predict(), fitted() and residuals() of a dask frame return dask Series (lazy, indexed like the frame);
a pandas frame gives NumPy arrays as for any fitted model.
"""

from __future__ import annotations

import numpy as np

from ..results.model import LinearMixedModel
from .partitions import linear_predictor


class DaskLinearMixedModel(LinearMixedModel):
    """A LinearMixedModel whose data are a dask DataFrame."""

    def __init__(self, *, plan, n: int, **kwargs):
        super().__init__(**kwargs)
        self._plan = plan
        self._n = n

    @property
    def nobs(self) -> int:
        return self._n

    def predict(self, newdata=None, kind: str = "conditional", scale: str = "response"):
        """Predictions; for a dask frame (default: the data of the fit) a dask Series."""
        self._check_prediction_arguments(kind, scale)
        return self.linear_predictor(newdata, kind)

    def linear_predictor(self, newdata=None, kind: str = "conditional"):
        data = self.data if newdata is None else newdata
        if not hasattr(data, "map_partitions"):
            return super().linear_predictor(data, kind)
        if kind not in ("conditional", "typical"):
            return super().linear_predictor(None, kind)  # the same error as in memory
        ranef = self._ranef_by_position()
        return data.map_partitions(
            linear_predictor, self._plan, self._fit.beta, ranef, kind == "conditional", meta=("predicted", "f8")
        )

    def fitted(self):
        return self.predict()

    def residuals(self):
        """y − fitted, a dask Series over the rows of the fit."""
        response = self.data[self._plan.response] if self._plan.response in self.data.columns else None
        if response is None:
            raise NotImplementedError("residuals of a transformed response are not computed from a dask frame")
        return response - self.fitted()

    def scaled_residuals(self) -> np.ndarray:
        """Residuals / σ, brought to the client (n numbers) for the summary's quantiles."""
        return np.asarray((self.residuals() / self.sigma).dropna().compute())
