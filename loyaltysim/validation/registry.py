"""The findings the validation suite reproduces, in the order the report lists them.

Each finding is a module in ``loyaltysim/validation/findings/`` with ``TITLE``, ``SOURCE``,
``CLAIM`` (what the research measured), a pydantic ``Params`` class (its knobs, set in the
experiment file's ``[params]``) and ``run(loaded) -> FindingResult``. Its experiment file is
``experiments/validation/<key>.toml``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Finding key -> one-line description, in report order.
FINDINGS: dict[str, str] = {
    "complaint_repurchase": "Complaint handling and repurchase (TARP)",
    "satisfaction_defection": "Why satisfied customers defect (Jones & Sasser)",
    "recovery_paradox": "Service recovery paradox",
    "service_profit_chain": "Service-profit chain (Heskett; Harter, Schmidt & Hayes)",
    "bass_diffusion": "Word of mouth follows Bass diffusion",
    "attitude_patronage": "Attitude vs patronage (Dick & Basu)",
    "zero_defections": "Zero defections (Reichheld & Sasser)",
    "buy_till_you_die": "Buy-till-you-die: BG/NBD against CDNOW",
}


def finding_module(key: str) -> ModuleType:
    """The module implementing finding ``key`` (imported on first use)."""
    if key not in FINDINGS:
        raise KeyError(f"unknown finding {key!r}; known: {', '.join(FINDINGS)}")
    return importlib.import_module(f"loyaltysim.validation.findings.{key}")
