"""Keep numba's on-disk cache of the kernels in step with every source they compile in.

numba re-compiles a cached function when the file that defines it changes, but not when a function
it inlines, or a constant it reads, lives in another file and that file changes: the kernels inline
the mechanisms' formulas (:mod:`loyaltysim.mechanisms`) and compile in the tally columns
(:mod:`loyaltysim.tallies`) and state codes (:mod:`loyaltysim.codes`). Edit a formula and the
kernels would go on running the old one from the cache - the engines would disagree, or worse, a
stale compiled call could crash. So on import the kernels hash those sources and, when the hash
differs from the one recorded beside the cache, delete the cached kernels (they are compiled again
on first use) and record the new hash. Installs from a wheel are not affected (every file is new);
this is for working copies.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent

#: Sources whose text ends up inside compiled kernels (besides each kernel's own file).
SOURCES = ("codes.py", "tallies.py", "mechanisms/*.py", "kernels/*.py")

#: File beside the cached kernels that records the hash of :data:`SOURCES` they were built from.
STAMP = "loyaltysim-kernel-sources.sha256"


def sources_digest() -> str:
    """SHA-256 of the texts of :data:`SOURCES` (sorted by path)."""
    digest = hashlib.sha256()
    for pattern in SOURCES:
        for path in sorted(_PACKAGE.glob(pattern)):
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_folders() -> list[Path]:
    """Where numba keeps the cached kernels: ``__pycache__`` beside each source folder, or the same
    folders under ``NUMBA_CACHE_DIR`` when that is set (numba's layout)."""
    folders = [_PACKAGE, _PACKAGE / "kernels", _PACKAGE / "mechanisms"]
    root = os.environ.get("NUMBA_CACHE_DIR")
    if root:
        return [Path(root) / folder.relative_to(folder.anchor) for folder in folders]
    return [folder / "__pycache__" for folder in folders]


def drop_stale_kernels() -> int:
    """Delete cached kernels built from other sources than the current ones; return how many files
    were deleted. Never fails: a read-only or missing cache folder is left alone."""
    try:
        digest = sources_digest()
    except OSError:
        return 0
    dropped = 0
    for folder in cache_folders():
        stamp = folder / STAMP
        try:
            if stamp.read_text(encoding="ascii").strip() == digest:
                continue
        except OSError:
            pass  # no stamp yet: whatever is cached there is of unknown origin
        try:
            for cached in list(folder.glob("*.nbi")) + list(folder.glob("*.nbc")):
                cached.unlink(missing_ok=True)
                dropped += 1
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f"{STAMP}.{os.getpid()}"
            partial.write_text(digest + "\n", encoding="ascii")
            partial.replace(stamp)  # atomic: parallel test workers may get here together
        except OSError:
            continue
    return dropped
