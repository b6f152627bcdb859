"""Run validation findings and time them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from loyaltysim.validation.experiment import load_validation
from loyaltysim.validation.registry import FINDINGS, finding_module
from loyaltysim.validation.result import FindingResult


def run_finding(
    key_or_path: str, quick: bool = False, overrides: Mapping[str, Any] | None = None
) -> FindingResult:
    """Load a validation experiment (shipped finding key or file path), run its finding and
    return the result with its settings and wall-clock seconds filled in. ``overrides`` (dotted
    scenario keys, e.g. a candidate calibration's coefficients) apply after the experiment's
    [set] and [quick]; a variant of the experiment still has the last word on its own keys."""
    loaded = load_validation(key_or_path, quick=quick)
    if overrides:
        spec = loaded.spec.model_copy(
            update={"set": {**loaded.spec.set, **overrides}, "quick": {**loaded.spec.quick, **overrides}}
        )
        loaded = loaded.model_copy(update={"spec": spec})
    module = finding_module(loaded.key)
    start = time.perf_counter()
    result = module.run(loaded)
    result.seconds = time.perf_counter() - start
    result.settings = {**loaded.settings(), **result.settings}
    return result


def run_validation(
    keys: Iterable[str] | None = None,
    quick: bool = False,
    on_done: Callable[[FindingResult], None] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> list[FindingResult]:
    """Run the given findings (default: all, in report order); ``on_done`` sees each result;
    ``overrides`` as in :func:`run_finding`."""
    results = []
    for key in list(keys) if keys is not None else list(FINDINGS):
        result = run_finding(key, quick=quick, overrides=overrides)
        if on_done is not None:
            on_done(result)
        results.append(result)
    return results
