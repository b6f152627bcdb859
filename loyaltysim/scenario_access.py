"""Scenarios read on behalf of someone else (an upload): what they may extend, what their
messages may show. See docs/security.md."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from loyaltysim.scenario_errors import ScenarioError
from loyaltysim.shipped import scenarios_dir, shipped_scenarios

__all__ = ["TRUSTED", "UNTRUSTED", "Access", "resolve_untrusted"]


@dataclass(frozen=True)
class Access:
    """Which files a scenario may extend, and what its error messages may show.

    ``allowed_dirs=None`` (the default, the command line): the operator's own files, any path.
    Otherwise (an upload, or any scenario read on behalf of someone else) ``extends`` may name
    only shipped scenarios and files inside ``allowed_dirs``, messages name those files by their
    name inside that folder (never a server path), and values are echoed only from the scenario
    the person sent and from shipped files.
    """

    allowed_dirs: tuple[Path, ...] | None = None

    @property
    def trusted(self) -> bool:
        return self.allowed_dirs is None

    def roots(self) -> list[Path]:
        """Folders an untrusted scenario may extend from: the shipped ones first."""
        return [scenarios_dir().resolve(), *(Path(d).resolve() for d in self.allowed_dirs or ())]

    def label(self, path: Path) -> str:
        """How messages name ``path``: the path itself, or for untrusted loading its name inside
        the allowed folder it lies in."""
        if self.trusted:
            return str(path)
        resolved = path.resolve()
        shipped, *allowed = self.roots()
        if resolved.parent == shipped:
            return resolved.name
        for root in allowed:  # "<folder>/<file>": never mistaken for a shipped file
            if resolved.is_relative_to(root):
                return f"{root.name}/{resolved.relative_to(root).as_posix()}"
        return path.name

    def shows_values_of(self, label: str, own: str) -> bool:
        """Whether a message may echo a value that ``label`` set (``own``: the sent scenario)."""
        if self.trusted or label == own or label.startswith("override "):
            return True
        return "/" not in label and (scenarios_dir() / label).is_file()


TRUSTED = Access()

#: How an upload is read: only shipped scenarios may be extended, no server path is shown.
UNTRUSTED = Access(allowed_dirs=())


def resolve_untrusted(
    text: str, relative_to: Path | None, where: str, referrer: str | None, access: Access
) -> Path:
    """A file an untrusted scenario may extend: a shipped scenario, or a file inside an allowed
    folder, named relative to it. The refusal is the same whether or not a file exists there,
    so that it tells nothing about the server's files."""
    roots = access.roots()
    bases = [relative_to.resolve()] if relative_to is not None else []
    name = Path(text)
    if text and not name.is_absolute() and ".." not in name.parts and "\\" not in text and "\x00" not in text:
        for base in [*bases, *roots]:
            for candidate in (base / text, base / f"{text}.toml"):
                try:
                    resolved = candidate.resolve()
                    inside = any(resolved.is_relative_to(root) for root in roots)
                    if inside and resolved.suffix == ".toml" and resolved.is_file():
                        return resolved
                except (OSError, ValueError):
                    continue
    names = sorted(shipped_scenarios())
    close = difflib.get_close_matches(name.stem, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    folders = " or a file in the folders the server's operator allowed" if access.allowed_dirs else ""
    raise ScenarioError(
        f"{where}: not allowed{hint}: a scenario sent to this server may extend only shipped "
        f"scenarios ({', '.join(names)}){folders}, by name.",
        file=referrer,
        key_path="extends" if referrer else None,
    )
