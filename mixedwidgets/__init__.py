"""mixedwidgets: linear and generalized linear mixed models from lme4-style formulas, inside Jupyter.

    import mixedwidgets as mw
    m = mw.fit("Reaction ~ Days + (Days | Subject)", mw.datasets.load("sleepstudy"))
    m.summary(); m.ranef(); m.icc(); mw.explore(m)   # explore needs the [lab] extra

Importing the package pulls in numpy, scipy, pandas and formulaic only; the widgets and the IPython
magic load when first used.
"""

from . import datasets
from .demean import demean
from .errors import MixedModelError, MixedModelWarning
from .fitting import compare, fit
from .simulation import simulate

__version__ = "0.1.0"
__all__ = [
    "fit",
    "compare",
    "explore",
    "hybrid_view",
    "profile_view",
    "datasets",
    "demean",
    "simulate",
    "MixedModelError",
    "MixedModelWarning",
    "load_ipython_extension",
]


def explore(model, **options):
    """The linked dashboard of a fitted model (caterpillar plots, variance table, covariance explorer)."""
    from .widgets import explore as _explore

    return _explore(model, **options)


def hybrid_view(model, variable: str, group: str | None = None):
    """Each group's within-slope and the between-group line through the group means (a widget)."""
    from .widgets.hybrid_view import hybrid_view as _hybrid_view

    return _hybrid_view(model, variable, group)


def profile_view(model, level: float = 0.95):
    """The likelihood profile of every parameter, zeta against value, the profile interval marked (a widget)."""
    from .widgets.profile_view import profile_view as _profile_view

    return _profile_view(model, level)


def load_ipython_extension(ip) -> None:
    """`%load_ext mixedwidgets`: registers the %mixedmodel and %%mixedmodel magics."""
    from .magic import load_ipython_extension as _load

    _load(ip)
