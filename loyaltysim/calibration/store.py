"""The calibration folder: what was asked for, and every finished trial, written as it finishes.

``DIR/calibration.json`` names the targets file, its hash (the file and every CSV or finding file
it reads), the sampler's seed and the batch size; a rerun into the same folder must match them.
``DIR/trials.jsonl`` holds one JSON line per finished trial (and one for the base scenarios,
trial -1), appended and flushed to disk (``fsync``) before the trial counts as done; a line cut off
by a kill is dropped when the folder is opened again, so that trial is simply redone.
``DIR/evaluations.log`` lists every trial sent to the workers, one line per trial and session: an
audit of what was (re)computed. ``DIR/sessions.jsonl`` holds one JSON line per session that ended
(what it evaluated, on what, how long it took), so that a resumed calibration's report still says
how the first session ran; a session killed before its end has no line (its trials name it).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from loyaltysim.calibration.spec import CalibrationError

__all__ = ["TrialStore"]

MANIFEST = "calibration.json"
TRIALS = "trials.jsonl"
EVALUATIONS = "evaluations.log"
SESSIONS = "sessions.jsonl"


def _plain(value: Any) -> Any:
    """JSON-ready: NaN and infinities as strings (JSON has none), tuples as lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _number(value: Any) -> Any:
    if value in ("nan", "inf", "-inf"):
        return float(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


class TrialStore:
    """The trials of one calibration folder."""

    def __init__(self, folder: Path, identity: dict[str, Any], *, must_exist: bool = False):
        self.folder = Path(folder)
        self.identity = identity
        manifest = self.folder / MANIFEST
        if manifest.exists():
            try:
                stored = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CalibrationError(
                    f"{manifest}: not a calibration record ({exc}).", file=str(manifest)
                ) from None
            # Manifests written before the loss rule was recorded were scored by rule 1.
            stored, now = {"loss_rule": 1, **stored}, {"loss_rule": 1, **identity}
            for key in ("targets_sha256", "seed", "batch_size", "sampler", "startup_trials", "loss_rule"):
                if stored.get(key) != now.get(key):
                    what = (
                        "the targets file (or a file it reads) has changed"
                        if key == "targets_sha256"
                        else (f"{key} was {stored.get(key)!r}, now {now.get(key)!r}")
                    )
                    raise CalibrationError(
                        f"{self.folder}: holds a calibration of {stored.get('targets_file')!r} that "
                        f"differs from this one: {what}. Resuming would mix two studies; give another "
                        "--out folder (or delete this one to start again).",
                        file=str(manifest),
                    )
        elif must_exist:
            raise CalibrationError(
                f"{self.folder}: --resume: no calibration to resume here (no {MANIFEST}); run without "
                "--resume to start one.",
                file=str(self.folder),
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        if not manifest.exists():
            tmp = manifest.with_suffix(".tmp")
            tmp.write_text(json.dumps(identity, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(tmp, manifest)
        self.records: dict[int, dict[str, Any]] = self._read()

    def _read(self) -> dict[int, dict[str, Any]]:
        path = self.folder / TRIALS
        if not path.exists():
            return {}
        raw = path.read_bytes()
        records: dict[int, dict[str, Any]] = {}
        good = 0
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # cut off by a kill: dropped, the trial is redone
            try:
                record = _number(json.loads(line))
            except ValueError:
                break
            records[int(record["number"])] = record  # a re-measured slice point replaces the old
            good += len(line)
        if good < len(raw):
            with path.open("r+b") as handle:
                handle.truncate(good)
        return records

    def add(self, record: dict[str, Any]) -> None:
        """Append a finished trial durably (flushed and fsynced before returning)."""
        line = (json.dumps(_plain(record), sort_keys=True) + "\n").encode("utf-8")
        with (self.folder / TRIALS).open("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self.records[int(record["number"])] = record

    def add_session(self, record: dict[str, Any]) -> None:
        """Append the record of a session that ended."""
        with (self.folder / SESSIONS).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(_plain(record), sort_keys=True) + "\n")

    def sessions(self) -> list[dict[str, Any]]:
        """The sessions that ended, in order (a line cut off by a kill is left out)."""
        path = self.folder / SESSIONS
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        return [_number(json.loads(line)) for line in lines if line.endswith("\n")]

    def log_evaluation(self, session: str, numbers: list[int]) -> None:
        """Note the trials sent to the workers in this session."""
        with (self.folder / EVALUATIONS).open("a", encoding="utf-8") as handle:
            handle.writelines(f"{session} {n}\n" for n in numbers)
            handle.flush()
