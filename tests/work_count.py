"""How much Python work a call does, counted rather than timed.

A guard against work that grows faster than its input (a quadratic check, a file read whole)
must not depend on how busy the machine is, so it counts the function calls a profiler sees
instead of reading a clock (performance itself is measured in ``benchmarks/``). The count is
the same on every run of the same code and input.
"""

from __future__ import annotations

import cProfile
import functools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loyaltysim.limits import ScenarioLimits


@dataclass(frozen=True)
class Counted:
    calls: int
    value: Any = None
    error: BaseException | None = None


def counted(work: Callable[[], Any], *, expect: type[BaseException] | None = None) -> Counted:
    """Run ``work()``, counting its function calls; an ``expect`` exception is its outcome."""
    profile = cProfile.Profile()  # counts in C: cheaper than a Python profile hook
    value = error = None
    profile.enable()
    try:
        value = work()
    except BaseException as exc:
        if expect is None or not isinstance(exc, expect):
            raise
        error = exc
    finally:
        profile.disable()
    return Counted(sum(entry.callcount for entry in profile.getstats()), value, error)


def function_calls(work: Callable[[], Any], *, expect: type[BaseException] | None = None) -> int:
    """Function calls made by ``work()`` (raising ``expect``, if given, is part of the work)."""
    return counted(work, expect=expect).calls


@functools.cache
def reading_the_largest_file_allowed() -> int:
    """Function calls that parsing a TOML file at the size limit costs: the unit a "quick"
    refusal is measured in (the refusals the issues measured cost minutes, hundreds of times
    this)."""
    lines = ScenarioLimits().file_bytes // len("key_100000 = 100000\n")
    text = "".join(f"key_{i} = {i}\n" for i in range(100_000, 100_000 + lines))
    return function_calls(lambda: tomllib.loads(text))
