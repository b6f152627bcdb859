"""Read an uploaded scenario file into a validated scenario, or fail with the CLI's message.

An upload is TOML text like any scenario file, read on behalf of whoever uses the page, so it is
read as untrusted (:class:`~loyaltysim.scenario.Access`): ``extends`` may name shipped scenarios
and files in the folders the operator allowed (``loyaltysim ui --allow-extends DIR``), nothing
else; messages name files by their name inside those folders, never by a server path, and echo
values only from the upload itself and from shipped scenarios. Errors are
:class:`~loyaltysim.scenario.ScenarioError`, one paragraph naming the file, the key path and what
is allowed. See docs/security.md.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePath
from typing import BinaryIO

from loyaltysim.scenario import Access, Scenario, ScenarioError, load_scenario, scenario_from_toml

#: Largest upload accepted, in bytes: scenario files are a few kilobytes of text. The browser
#: sends at most one byte more than this (:func:`read_at_most`), whatever the file's size.
MAX_UPLOAD_BYTES = 1_000_000
#: Folders (``os.pathsep``-separated) whose files an upload may extend; set by ``--allow-extends``.
EXTENDS_ENV = "LOYALTYSIM_UPLOAD_EXTENDS"
#: Longest file name shown for an upload.
NAME_CHARS = 80


def upload_access() -> Access:
    """What an upload may extend: shipped scenarios and the folders in ``$LOYALTYSIM_UPLOAD_EXTENDS``."""
    folders = [Path(d) for d in os.environ.get(EXTENDS_ENV, "").split(os.pathsep) if d.strip()]
    return Access(allowed_dirs=tuple(folders))


def read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``stream``; a longer file is never read (nor sent) past them."""
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def upload_label(filename: str) -> str:
    """The name an upload is shown by: the file's own name, made printable and short."""
    name = PurePath((filename or "").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]+", "_", name)[:NAME_CHARS]
    return name or "uploaded.toml"


def read_upload(filename: str, data: bytes) -> Scenario:
    """Validate an uploaded scenario file.

    ``filename`` labels the messages (as the path does on the command line) and names the
    scenario when the file has no ``name``. ``data`` may be cut at ``MAX_UPLOAD_BYTES + 1``
    bytes (:func:`read_at_most`): longer is refused. Raises :class:`ScenarioError`.
    """
    label = upload_label(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(
            f"{label}: the file is larger than {MAX_UPLOAD_BYTES:,} bytes, the "
            "limit for an uploaded scenario (scenario files are a few kilobytes "
            "of TOML text).",
            file=label,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(
            f"{label}: not a UTF-8 text file; scenario files are TOML text.", file=label
        ) from None
    scenario = scenario_from_toml(text, label=label, access=upload_access())
    if not scenario.name:
        scenario = load_scenario(scenario, {"name": PurePath(label).stem})
    return scenario
