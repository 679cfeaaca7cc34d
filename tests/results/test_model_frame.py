"""model_frame(): the caller's rows the fit used, as a copy, in order, even with repeated index labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

import mixedwidgets as mw


def test_model_frame_is_the_used_rows_in_order(sleep):
    data = sleep.copy()
    data.loc[[3, 50], "Reaction"] = np.nan
    data.index = np.repeat(np.arange(len(data) // 2), 2)  # repeated labels: positions must be used
    m = mw.fit("Reaction ~ Days + (1 | Subject)", data)
    frame = m.model_frame()
    expected = data.iloc[[i for i in range(len(data)) if i not in (3, 50)]]
    pd.testing.assert_frame_equal(frame, expected)
    assert m.nobs == len(frame) == len(data) - 2
    np.testing.assert_array_equal(frame["Reaction"].to_numpy(), m.design.y)


def test_model_frame_is_a_copy(sleep_fit, sleep):
    frame = sleep_fit.model_frame()
    frame["Reaction"] = 0.0
    assert (sleep_fit.data["Reaction"] > 0).all() and (sleep["Reaction"] > 0).all()
