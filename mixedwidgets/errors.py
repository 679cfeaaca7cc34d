"""The exceptions and warnings mixedwidgets raises for its users."""


class MixedModelError(ValueError):
    """A user mistake or a model that cannot be fitted, with a message naming the problem."""


class MixedModelWarning(UserWarning):
    """Something the user should know about a fit: a boundary, a convergence doubt, dropped rows."""
