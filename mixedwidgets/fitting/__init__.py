"""The fitting layer: `fit` (formula and data in, a results object out), the GLMM branch, the guards
around the engine, the fit-time diagnostics and `compare` (likelihood-ratio tests, which refit).

It sits between the engine (formula, design, backend) and the results objects, which it builds and
hands a `refit` function to; results never import it.
"""

from .compare import compare
from .fit_model import fit, refit

__all__ = ["compare", "fit", "refit"]
