"""Limits on what a scenario file may hold, so that a small or hostile file cannot cost minutes.

A scenario is a few kilobytes of TOML: a dozen tables, a handful of firms and events. These
limits are far above any real scenario and far below what ties up a server. Each is checked
while reading (file size) or before the expensive step (validation), and each breach is a
:class:`~loyaltysim.scenario.ScenarioError` naming the file, the key path and the limit.

The file size and the number of events can be raised through environment variables
(``LOYALTYSIM_MAX_SCENARIO_BYTES``, ``LOYALTYSIM_MAX_EVENTS``); docs/security.md lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loyaltysim.scenario_errors import (  # noqa: F401  (message lengths: re-exported)
    MESSAGE_CHARS,
    VALUE_CHARS,
    ScenarioError,
    shown,
)


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"environment variable {name}={text!r} must be a whole number") from None
    if value < 1:
        raise ValueError(f"environment variable {name}={value} must be at least 1")
    return value


@dataclass(frozen=True)
class ScenarioLimits:
    """The limits applied while loading one scenario (see the module docstring)."""

    #: Bytes of one scenario file, checked while reading (the UI's upload limit too).
    file_bytes: int = 1_000_000
    #: Nesting of tables and arrays; the schema's deepest key has 5 levels.
    depth: int = 12
    #: Entries of any one array (other than ``events``).
    list_length: int = 1_000
    #: Entries of ``events``. Validating them is linear (20,000 in a few seconds), and a run
    #: re-validates the scenario without its timeline when an event fires (loyaltysim/events.py),
    #: so 2,000 firing events cost a run a few seconds.
    events: int = 2_000
    #: Names in one ``extends``, and files in one ``extends`` chain.
    extends: int = 16
    #: Characters of one ``extends`` name or path.
    extends_chars: int = 255
    #: Characters of a name, firm key, label or other one-line text.
    label_chars: int = 200
    #: Characters of a description.
    description_chars: int = 5_000

    @classmethod
    def from_env(cls) -> ScenarioLimits:
        """The defaults, with the file size and event count from the environment if set."""
        return cls(
            file_bytes=_env_int("LOYALTYSIM_MAX_SCENARIO_BYTES", cls.file_bytes),
            events=_env_int("LOYALTYSIM_MAX_EVENTS", cls.events),
        )


def check_shape(
    data: dict[str, Any], file: str, limits: ScenarioLimits, blame: Callable[[tuple], str] | None = None
) -> None:
    """Nesting depth, list lengths and text lengths, checked without recursion and before the
    costly steps, so that no file can exhaust the stack, the time or the message. ``blame``
    (merged data): the file or override that set a key path; ``file`` otherwise."""

    def refuse(path: tuple, problem: str) -> ScenarioError:
        where = ".".join(str(p) for p in path)
        label = file if blame is None else blame(path)
        return ScenarioError(
            f"{label}: {shown(where) if len(where) > 80 else where}{problem}", file=label, key_path=where
        )

    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > limits.depth:
            raise refuse(
                path,
                f" is nested {len(path)} levels deep; scenario files nest at most {limits.depth} levels.",
            )
        if type(node) is dict:
            for key, value in node.items():
                if len(key) > limits.label_chars:
                    raise refuse(
                        (*path, key),
                        f": a key of {len(key):,} characters is too long; "
                        f"keys have at most {limits.label_chars}.",
                    )
                if type(value) in _CONTAINERS:
                    stack.append((value, (*path, key)))
        elif type(node) is list:
            most = limits.events if path == ("events",) else limits.list_length
            if len(node) > most:
                knob = " (LOYALTYSIM_MAX_EVENTS)" if path == ("events",) else ""
                raise refuse(path, f" has {len(node):,} entries; at most {most:,} are allowed{knob}.")
            stack.extend((value, (*path, i)) for i, value in enumerate(node) if type(value) in _CONTAINERS)
        else:
            most = limits.label_chars if path and path[-1] in _ONE_LINE_TEXT else limits.description_chars
            if len(node) > most:
                raise refuse(path, f" has {len(node):,} characters; at most {most:,} are allowed.")


#: What :func:`_check_shape` looks into: tables, arrays and text.
_CONTAINERS = frozenset({dict, list, str})
#: Keys of one-line text (names, labels), kept short for folder names, plots and tables.
_ONE_LINE_TEXT = frozenset({"name", "label", "focus"})
