"""IPython extension: `%load_ext mixedwidgets` registers %mixedmodel / %%mixedmodel.

Nothing here imports IPython until the extension is loaded.
"""

from __future__ import annotations


def load_ipython_extension(ip) -> None:
    """Register the magics; `Magics` adds itself to `ip.configurables`, so `%config` finds it."""
    from .magics import MixedModelMagics

    if any(isinstance(m, MixedModelMagics) for m in ip.magics_manager.registry.values()):
        return
    ip.register_magics(MixedModelMagics(shell=ip))
