"""Conditional modes and conditional SDs as a tidy table (lme4's as.data.frame(ranef(fit, condVar = TRUE)))."""

from __future__ import annotations

import numpy as np
import pandas as pd


def ranef_frame(structure, design_terms, modes, covariances) -> pd.DataFrame:
    """group, term, level, condval, condsd: per sorted term, column by column, every level."""
    pieces = []
    for layout, b, cov in zip(structure.terms, modes, covariances):
        levels = np.asarray(design_terms[layout.design_position].levels, dtype=object)
        for i, name in enumerate(layout.columns):
            pieces.append(
                pd.DataFrame(
                    {
                        "group": layout.group,
                        "term": name,
                        "level": levels,
                        "condval": b[:, i],
                        "condsd": np.sqrt(np.maximum(cov[:, i, i], 0.0)),
                    }
                )
            )
    return pd.concat(pieces, ignore_index=True)
