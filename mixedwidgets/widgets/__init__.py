"""Interactive views of a fitted mixed model (ipywidgets, bqplot, anywidget).

`explore(m)` returns the linked dashboard; each view can also be used alone.
"""

from .covariance import CovarianceExplorer, CovariancePanel
from .dashboard import Dashboard, explore
from .inspector import RanefInspector
from .marginal import MarginalCurves
from .varcomp import VarianceTable

__all__ = [
    "explore",
    "Dashboard",
    "RanefInspector",
    "VarianceTable",
    "CovarianceExplorer",
    "CovariancePanel",
    "MarginalCurves",
]
