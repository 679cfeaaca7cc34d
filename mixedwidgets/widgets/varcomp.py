"""Variance-component table widget: variance, SD, correlations, residual, ICC and share of variance."""

from __future__ import annotations

import ipywidgets as ipw

from .html_util import with_static
from .reader import reader_for
from .varcomp_html import varcomp_html


class VarianceTable(ipw.HTML):
    """An HTML widget whose (escaped) content is built from the results object once."""

    def __init__(self, model, with_notes: bool = True, **kwargs):
        self.model = reader_for(model).model
        super().__init__(value=varcomp_html(self.model, with_notes=with_notes), **kwargs)
        self.add_class("mw-varcomp-widget")

    def _repr_mimebundle_(self, **kwargs):
        return with_static(super()._repr_mimebundle_(**kwargs), self.value)
