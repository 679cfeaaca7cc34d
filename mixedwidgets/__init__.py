"""mixedwidgets: linear and generalized linear mixed models from lme4-style formulas, inside Jupyter.

    import mixedwidgets as mw
    m = mw.fit("Reaction ~ Days + (Days | Subject)", mw.datasets.load("sleepstudy"))
    m.summary(); m.ranef(); m.icc(); mw.explore(m)   # explore needs the [lab] extra

Importing the package pulls in numpy, scipy, pandas and formulaic only; the widgets and the IPython
magic load when first used.
"""

from . import datasets
from .api import fit
from .errors import MixedModelError, MixedModelWarning
from .results import compare

__version__ = "0.1.0"
__all__ = ["fit", "compare", "explore", "datasets", "MixedModelError", "MixedModelWarning",
           "load_ipython_extension"]


def explore(model, **options):
    """The linked dashboard of a fitted model (caterpillar plots, variance table, covariance explorer)."""
    from .widgets import explore as _explore
    return _explore(model, **options)


def load_ipython_extension(ip) -> None:
    """`%load_ext mixedwidgets`: registers the %mixedmodel and %%mixedmodel magics."""
    from .magic import load_ipython_extension as _load
    _load(ip)
