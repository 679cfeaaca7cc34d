"""The %mixedmodel / %%mixedmodel magic: parse, fit, store, show (each step in its own module)."""

from __future__ import annotations

import traitlets as tl
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from .args import VIEWS, MagicArgumentError, parse_magic
from .display import show_result
from .execute import FitFailed, run_fit


@magics_class
class MixedModelMagics(Magics):
    """Fit lme4-style mixed models from a cell:

        %%mixedmodel --data sleep --out fit
        Reaction ~ Days + (Days | Subject)

    Options: --data/-d NAME, --out/-o NAME, --family gaussian|binomial|poisson|negative_binomial|gamma,
    --link NAME (default: the family's), --ml, --nagq N,
    --weights NAME, --view summary|ranef|varcomp|covariance|all, --quiet,
    --ddf satterthwaite|kenward-roger|asymptotic (df of the summary's t tests; Satterthwaite by default).
    """

    default_view = tl.Enum(VIEWS, default_value="all", help="View shown after a fit when --view is not given").tag(
        config=True
    )
    interval_level = tl.Float(0.95, help="Interval level of the caterpillar plot (between 0 and 1)").tag(config=True)

    @tl.validate("interval_level")
    def _valid_level(self, proposal):
        if not 0 < proposal["value"] < 1:
            raise tl.TraitError("interval_level must lie strictly between 0 and 1")
        return proposal["value"]

    @property
    def namespace(self) -> dict:
        """The user's namespace (the shell is always set once the magic is registered)."""
        assert self.shell is not None
        return self.shell.user_ns

    @line_cell_magic
    def mixedmodel(self, line: str, cell: str | None = None) -> None:
        """Fit a mixed model; see the class docstring for the options."""
        try:
            request = parse_magic(line, cell)
            model, notes = run_fit(request, self.namespace)
        except (MagicArgumentError, FitFailed) as exc:
            raise UsageError(str(exc)) from None
        if request.out:
            self.namespace[request.out] = model
        if not request.quiet:
            show_result(model, notes, request.view or self.default_view, self.interval_level, ddf=request.ddf)
