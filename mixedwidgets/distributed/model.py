"""Fitted models of a dask DataFrame: estimates and tables as usual, rows only on the cluster.

predict(), fitted() and residuals() of a dask frame return dask Series (lazy, indexed like the frame);
a pandas frame gives NumPy arrays as for any fitted model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import MixedModelError
from ..results.glmm import GeneralizedLinearMixedModel
from ..results.model import LinearMixedModel
from .partitions import linear_predictor, partition_rows


class DaskRows:
    """What a fitted model of a dask frame does differently: rows counted on the cluster, η per partition."""

    data: Any
    _plan: Any
    _n: int

    def _init_rows(self, plan, n: int) -> None:
        self._plan = plan
        self._n = n

    @property
    def nobs(self) -> int:
        return self._n

    def _dask_eta(self, data, kind: str):
        ranef = self._ranef_by_position()  # type: ignore[attr-defined]
        beta = self._fit.beta  # type: ignore[attr-defined]
        return data.map_partitions(
            linear_predictor, self._plan, beta, ranef, kind == "conditional", meta=("predicted", "f8")
        )


class DaskLinearMixedModel(DaskRows, LinearMixedModel):
    """A LinearMixedModel whose data are a dask DataFrame."""

    def __init__(self, *, plan, n: int, **kwargs):
        super().__init__(**kwargs)
        self._init_rows(plan, n)

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
        return self._dask_eta(data, kind)

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


def _inverse_link(eta: pd.Series, link) -> pd.Series:
    return pd.Series(link.inverse(eta.to_numpy()), index=eta.index, name=eta.name)


def _pearson(part: pd.DataFrame, plan, beta, ranef, family) -> pd.Series:
    """(y − μ)/√(V(μ)/w) of a partition's complete rows (those the fit used)."""
    rows = partition_rows(part, plan)
    eta = linear_predictor(part, plan, beta, ranef, True).dropna().to_numpy()
    mu = family.link.inverse(eta)
    w = np.ones_like(mu) if rows.weights is None else rows.weights
    return pd.Series((rows.y - mu) / np.sqrt(family.variance(mu) / w))


class DaskGeneralizedLinearMixedModel(DaskRows, GeneralizedLinearMixedModel):
    """A GeneralizedLinearMixedModel whose data are a dask DataFrame."""

    def __init__(self, *, plan, n: int, **kwargs):
        super().__init__(**kwargs)
        self._init_rows(plan, n)

    def predict(self, newdata=None, kind: str = "conditional", scale: str = "response"):
        """conditional or typical predictions; for a dask frame (default: the data of the fit) a dask Series."""
        self._check_prediction_arguments(kind, scale)
        data = self.data if newdata is None else newdata
        if not hasattr(data, "map_partitions"):
            return super().predict(data, kind, scale)
        if kind == "marginal":
            raise MixedModelError("marginal predictions of a dask frame are not computed; pass a pandas frame")
        eta = self._dask_eta(data, kind)
        if scale == "link":
            return eta
        return eta.map_partitions(_inverse_link, self._fit.family.link, meta=("predicted", "f8"))

    def fitted(self):
        return self.predict()

    def _rows(self, newdata):
        if newdata is None:
            raise MixedModelError(
                "marginal (population-averaged) answers average over the rows of the fit, which stay on the "
                "cluster; compute() the frame, or pass a pandas frame as newdata"
            )
        return super()._rows(newdata)

    def scaled_residuals(self) -> np.ndarray:
        """Pearson residuals, brought to the client (n numbers) for the summary's quantiles."""
        pearson = self.data.map_partitions(
            _pearson, self._plan, self._fit.beta, self._ranef_by_position(), self._fit.family, meta=(None, "f8")
        )
        return np.asarray(pearson.compute())
