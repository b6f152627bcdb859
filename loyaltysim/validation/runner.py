"""Run validation findings and time them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from loyaltysim.validation.experiment import load_validation
from loyaltysim.validation.registry import FINDINGS, finding_module
from loyaltysim.validation.result import FindingResult


def run_finding(key_or_path: str, quick: bool = False) -> FindingResult:
    """Load a validation experiment (shipped finding key or file path), run its finding and
    return the result with its settings and wall-clock seconds filled in."""
    loaded = load_validation(key_or_path, quick=quick)
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
) -> list[FindingResult]:
    """Run the given findings (default: all, in report order); ``on_done`` sees each result."""
    results = []
    for key in list(keys) if keys is not None else list(FINDINGS):
        result = run_finding(key, quick=quick)
        if on_done is not None:
            on_done(result)
        results.append(result)
    return results
