"""Running a parsed request: find the data, call mw.fit with live progress, turn mistakes into UsageErrors.

The user's namespace is only read here; storing the result is the caller's last step.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from .args import MagicRequest
from .progress import FitProgress


class FitFailed(Exception):
    """A short, user-facing reason why no model was fitted."""


def find_data(request: MagicRequest, namespace: Mapping[str, Any]):
    """The DataFrame named by --data (and the weights, when --weights names a variable)."""
    import pandas as pd

    if request.data not in namespace:
        raise FitFailed(
            f"there is no variable named {request.data!r} in the notebook; load or create the DataFrame first"
        )
    data = namespace[request.data]
    if not isinstance(data, pd.DataFrame):
        raise FitFailed(f"{request.data!r} is a {type(data).__name__}, not a pandas DataFrame")
    return data, find_weights(request, data, namespace)


def find_weights(request: MagicRequest, data, namespace: Mapping[str, Any]):
    """--weights NAME: a column of the data, else a variable of the notebook."""
    name = request.weights
    if name is None:
        return None
    if name in data.columns:
        return data[name].to_numpy(dtype=float)
    if name in namespace:
        return namespace[name]
    raise FitFailed(f"--weights {name}: no column {name!r} in {request.data!r} and no variable of that name")


def default_fit() -> Callable:
    import mixedwidgets

    return mixedwidgets.fit


def run_fit(
    request: MagicRequest,
    namespace: Mapping[str, Any],
    fit: Callable | None = None,
    progress_factory: Callable[[str], FitProgress] | None = None,
):
    """Fit the requested model; returns (model, warning messages). Raises FitFailed for user mistakes."""
    from mixedwidgets.errors import MixedModelError, MixedModelWarning

    data, weights = find_data(request, namespace)
    fit = fit or default_fit()
    progress = (progress_factory or FitProgress)(request.formula)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MixedModelWarning)
            model = fit(
                request.formula,
                data,
                reml=not request.ml,
                family=request.family,
                nagq=request.nagq,
                weights=weights,
                link=request.link,
                progress=progress,
            )
    except MixedModelError as exc:
        raise FitFailed(in_magic_words(str(exc))) from None
    except KeyboardInterrupt:
        raise FitFailed("the fit was interrupted; nothing was stored") from None
    finally:
        progress.close()
    named = getattr(model, "named", None)
    model = named(request.data) if callable(named) else model
    return model, [in_magic_words(n) for n in _sort_warnings(caught, MixedModelWarning)]


# mw.fit's keyword arguments as the magic spells them (a message about `weights=` means `--weights`)
_OPTION_WORDS = [
    (re.compile(r"\bweights=(?=[\s,;.)]|$)"), "--weights"),
    (re.compile(r"\bnagq must\b"), "--nagq must"),
    (re.compile(r"\bnagq applies\b"), "--nagq applies"),
    (re.compile(r"\bfamily=(?=[\s,;.)]|$)"), "--family"),
    (re.compile(r"\bweights must\b"), "--weights must"),
]


def in_magic_words(message: str) -> str:
    """A fit message with mw.fit's argument names replaced by the magic's options."""
    for pattern, option in _OPTION_WORDS:
        message = pattern.sub(option, message)
    return message


def _sort_warnings(caught, ours) -> list[str]:
    """Our warnings become notes; other warnings are passed on unchanged."""
    notes = []
    for record in caught:
        if issubclass(record.category, ours):
            notes.append(str(record.message))
        else:
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    return list(dict.fromkeys(notes))
