"""The shipped scenarios, and finding a TOML file by shipped name or by path (scenarios, sweep
and validation experiments)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Lookup:
    """Where ``text`` was found (None: nowhere), the shipped names and the closest one to it."""

    path: Path | None
    names: list[str]
    hint: str | None

    def did_you_mean(self) -> str:
        """`` (did you mean 'x'?)`` when a shipped name is close, else ``""``."""
        return f" (did you mean {self.hint!r}?)" if self.hint else ""


def find_toml(text: str, folder: Path, before: Iterable[Path] = ()) -> Lookup:
    """Look for ``text`` as ``<dir>/text`` or ``<dir>/text.toml`` in each of ``before``, then as
    a path, then in ``folder`` (the shipped files); the first existing file wins."""
    candidates = [c for d in before for c in (d / text, d / f"{text}.toml")]
    candidates += [Path(text), folder / text, folder / f"{text}.toml"]
    found = next((c for c in candidates if _is_file(c)), None)
    names = sorted(p.stem for p in folder.glob("*.toml"))
    hint = None
    if found is None:
        close = difflib.get_close_matches(Path(text).stem, names, n=1)
        hint = close[0] if close else None
    return Lookup(found, names, hint)


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a name the file system cannot look up (too long, say)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def scenarios_dir() -> Path:
    """The folder of shipped scenarios: ``$LOYALTYSIM_SCENARIOS``, the repository's
    ``scenarios/`` beside the package, or the copy installed inside the package."""
    env = os.environ.get("LOYALTYSIM_SCENARIOS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent  # the package
    repo = here.parent / "scenarios"
    return repo if repo.is_dir() else here / "_scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names (file stems, leading '_' = abstract bases excluded) -> paths."""
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.toml")) if not p.stem.startswith("_")}
