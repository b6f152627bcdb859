"""Optional extras: which import needs which ``pip install 'loyaltysim[...]'``.

The core install runs the simulation, ``run``, ``compare``, ``validate``, ``sweep`` and
``analyze``. Code that needs an extra calls :func:`require` first (or lets the import fail and
:func:`missing_extra_message` turns the ``ModuleNotFoundError`` into the install command), so a
user sees what to install instead of a bare "No module named 'solara'".
"""

from __future__ import annotations

import importlib.util
from typing import Final

__all__ = ["EXTRAS", "PROVIDES", "MissingExtraError", "extra_for_module", "missing_extra_message", "require"]

#: Extra -> the top-level modules :func:`require` checks (import names, not distribution names).
EXTRAS: Final[dict[str, tuple[str, ...]]] = {
    "ui": ("solara", "ipyvuetify", "altair"),
    "cluster": ("distributed",),
    "clv": ("pymc_marketing",),
    "ema": ("ema_workbench",),
}

#: Extra -> every top-level module it brings whose absence means the extra is missing.
PROVIDES: Final[dict[str, tuple[str, ...]]] = {
    **EXTRAS,
    "ui": (*EXTRAS["ui"], "ipywidgets", "reacton", "solara_assets"),
    "cluster": ("dask", "distributed"),
    "clv": ("pymc_marketing", "pymc", "pytensor", "arviz", "xarray"),
}

#: What each extra is for, for the message.
PURPOSE: Final[dict[str, str]] = {
    "ui": "the browser UI and Mesa's SolaraViz",
    "cluster": "sweeps on a Dask cluster (--scheduler, --cluster local)",
    "clv": "customer-lifetime-value models (PyMC-Marketing)",
    "ema": "EMA Workbench studies",
}


class MissingExtraError(ModuleNotFoundError):
    """An optional dependency is not installed; the message says which extra installs it."""


def extra_for_module(name: str | None) -> str | None:
    """The extra that provides module ``name`` (dotted names count by their top package)."""
    if not name:
        return None
    top = name.split(".", 1)[0]
    return next((extra for extra, modules in PROVIDES.items() if top in modules), None)


def missing_extra_message(error: ModuleNotFoundError) -> str | None:
    """The install command for a ``ModuleNotFoundError`` of an extra's module, else None."""
    extra = extra_for_module(error.name)
    if extra is None:
        return None
    return (
        f"{PURPOSE[extra]} need(s) the optional package '{error.name.split('.', 1)[0]}', "
        f"which is not installed: pip install 'loyaltysim[{extra}]' "
        f"(or 'loyaltysim[all]' for every extra)"
    )


def require(extra: str) -> None:
    """Raise :class:`MissingExtraError` naming ``pip install 'loyaltysim[<extra>]'`` unless every
    module of ``extra`` can be imported."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; extras: {', '.join(EXTRAS)}")
    for module in EXTRAS[extra]:
        if importlib.util.find_spec(module) is None:
            error = ModuleNotFoundError(f"No module named {module!r}", name=module)
            raise MissingExtraError(missing_extra_message(error), name=module)
