"""The one error scenario loading raises, and how a bad value is shown in it."""

from __future__ import annotations

from typing import Any

#: Longest error message: one paragraph a person reads, not a dump of the input.
MESSAGE_CHARS = 2_000
#: Longest rendering of a bad value inside an error message.
VALUE_CHARS = 60

__all__ = ["ScenarioError", "shown"]


class ScenarioError(ValueError):
    """A scenario could not be loaded; the message names the file, key path and what is allowed."""

    def __init__(self, message: str, file: str | None = None, key_path: str | None = None):
        self.file = file
        self.key_path = key_path
        text = message.translate(_LINE_BREAKS)
        if len(text) > MESSAGE_CHARS:  # a person reads it: never a dump of the input
            text = text[: MESSAGE_CHARS - 60] + f"... ({len(text) - MESSAGE_CHARS + 60:,} more characters)."
        super().__init__(text)


# Characters str.splitlines() breaks at; a key or value read from a file may contain them, and the
# message must stay one paragraph, so they are shown escaped.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def shown(value: Any) -> str:
    """``repr(value)``, cut to a readable length: a message shows what was given, not all of it."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long for Python to print
        return f"a number of about {int(value.bit_length() * 0.30103):,} digits"
    return text if len(text) <= VALUE_CHARS else f"{text[:VALUE_CHARS]}... ({len(text):,} characters)"
