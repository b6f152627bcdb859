"""Read an uploaded scenario file into a validated scenario, or fail with the CLI's message.

An upload is TOML text like any scenario file (``extends`` may name shipped scenarios). Errors are
:class:`~loyaltysim.scenario.ScenarioError` with the same one-paragraph message the command line
prints for a file of that name: the file, the key path and what is allowed.
"""

from __future__ import annotations

from pathlib import PurePath

from loyaltysim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_toml

#: Largest upload accepted, in bytes: scenario files are a few kilobytes of text.
MAX_UPLOAD_BYTES = 1_000_000


def read_upload(filename: str, data: bytes) -> Scenario:
    """Validate an uploaded scenario file.

    ``filename`` labels the messages (as the path does on the command line) and names the
    scenario when the file has no ``name``. Raises :class:`ScenarioError`.
    """
    label = PurePath(filename or "uploaded.toml").name
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(f"{label}: {len(data):,} bytes is too large for a scenario file "
                            f"(at most {MAX_UPLOAD_BYTES:,} bytes of TOML text).", file=label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{label}: not a UTF-8 text file; scenario files are TOML text.",
                            file=label) from None
    scenario = scenario_from_toml(text, label=label)
    if not scenario.name:
        scenario = load_scenario(scenario, {"name": PurePath(label).stem})
    return scenario
