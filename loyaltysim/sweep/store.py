"""The results folder of a sweep: run files written atomically, failures, the manifest.

Layout of ``--out DIR``::

    DIR/manifest.json          experiment and scenario hashes, package version, design, and every
                               run's parameters, seed, status, attempts and error
    DIR/experiment.toml        the experiment file as run;  DIR/scenario.toml: the resolved base
    DIR/runs/p00012-r003.parquet   one file per finished run (point 12, replication 3)
    DIR/failures/p00007-r000.json  runs that failed every attempt: error and traceback

A run file appears only complete: it is written to a hidden temporary file, flushed to disk and
renamed over its final name (``os.replace``), so a sweep killed at any moment leaves either the
whole file or none. The file's Parquet metadata holds the run's input hash; on resume a file counts
as finished only if it reads back and its hash matches the run the experiment now asks for.
A lock (``DIR/.lock``, released by the kernel if the process dies) keeps two sweeps out of one
folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import traceback
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from loyaltysim.sweep.experiment import ExperimentError
from loyaltysim.sweep.worker import RunResult, RunTask

__all__ = ["META_KEY", "ResultStore", "atomic_write_bytes", "run_file_name"]

META_KEY = b"loyaltysim.sweep"
MANIFEST_FORMAT = 1


def run_file_name(run_id: str) -> str:
    """File name of a run's results."""
    return f"{run_id}.parquet"


def _fsync_and_replace(tmp: Path, final: Path) -> None:
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    _fsync_and_replace(tmp, path)


def now() -> str:
    """The current time, ISO 8601 in UTC (for manifests)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class ResultStore:
    """One sweep's results folder (see the module docstring)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.failures_dir = self.root / "failures"
        self.manifest_path = self.root / "manifest.json"

    # -- locking and identity ----------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock for the duration of a sweep; refuse if another sweep holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - held for the whole block
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise ExperimentError(f"{self.root}: another sweep is writing to this folder "
                                      f"(process {holder}); wait for it or choose another --out.",
                                      file=str(self.root)) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.close()

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if there is none yet."""
        if not self.manifest_path.is_file():
            return None
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ExperimentError(f"{self.manifest_path}: unreadable manifest ({exc}); move the "
                                  "folder aside or use another --out.",
                                  file=str(self.manifest_path)) from None

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace the manifest atomically."""
        data = json.dumps(manifest, indent=1, sort_keys=False, allow_nan=True)
        atomic_write_bytes(self.manifest_path, data.encode("utf-8"))

    def write_text(self, name: str, text: str) -> None:
        """Write a small text file into the folder atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.root / name, text.encode("utf-8"))

    # -- runs --------------------------------------------------------------------------------
    def run_path(self, run_id: str) -> Path:
        """Where a run's results live."""
        return self.runs_dir / run_file_name(run_id)

    def clean_temporary(self) -> int:
        """Delete temporary files left by a sweep that was killed mid-write; return how many."""
        removed = 0
        for folder in (self.root, self.runs_dir, self.failures_dir):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
                    removed += 1
        return removed

    def run_metadata(self, run_id: str) -> dict[str, Any] | None:
        """The metadata of a finished run's file, or None if missing, unreadable or truncated."""
        path = self.run_path(run_id)
        try:
            meta = pq.read_metadata(path).metadata or {}
            return json.loads(meta[META_KEY])
        except (OSError, KeyError, ValueError, pa.ArrowException):
            return None

    def finished(self, expected: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """Runs (id -> metadata) whose files are complete and whose input hash equals
        ``expected[id]``. Files of runs that are not expected, or whose inputs changed, are
        deleted so that they cannot be mistaken for results of this experiment."""
        done: dict[str, dict[str, Any]] = {}
        if not self.runs_dir.is_dir():
            return done
        for path in self.runs_dir.glob("*.parquet"):
            run_id = path.name.removesuffix(".parquet")
            meta = self.run_metadata(run_id)
            if meta is not None and expected.get(run_id) == meta.get("run_hash"):
                done[run_id] = meta
            else:
                path.unlink(missing_ok=True)
        return done

    def write_run(self, task: RunTask, result: RunResult, param_types: Mapping[str, str],
                  version: str) -> Path:
        """Write a finished run atomically: its outputs with point, replication, seed and
        parameter columns, and its inputs' hash in the file metadata."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        table = result.table
        n = len(table)
        columns: dict[str, pa.Array] = {
            "point": pa.array([task.point] * n, pa.int64()),
            "replication": pa.array([task.replication] * n, pa.int64()),
            "seed": pa.array([task.seed] * n, pa.int64()),
        }
        for key, kind in param_types.items():
            value = task.params[key]
            arrow_type = {"bool": pa.bool_(), "float": pa.float64()}.get(kind, pa.string())
            cast = {"bool": bool, "float": float}.get(kind, str)(value)
            columns[key] = pa.array([cast] * n, arrow_type)
        columns["firm"] = pa.array(table["firm"].astype(str), pa.string())
        columns["window"] = pa.array(table["window"].astype(str), pa.string())
        columns["week"] = pa.array(table["week"], pa.int64())
        columns["metric"] = pa.array(table["metric"].astype(str), pa.string())
        columns["value"] = pa.array(table["value"], pa.float64())
        meta = {"run_id": task.run_id, "run_hash": task.run_hash, "point": task.point,
                "replication": task.replication, "seed": task.seed, "params": task.params,
                "attempt": task.attempt, "sim_seconds": result.sim_seconds,
                "worker": result.worker, "package_version": version, "written": now()}
        arrow = pa.table(columns).replace_schema_metadata({META_KEY: json.dumps(meta)})
        final = self.run_path(task.run_id)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        pq.write_table(arrow, tmp)
        _fsync_and_replace(tmp, final)
        self.clear_failure(task.run_id)
        return final

    # -- failures ----------------------------------------------------------------------------
    def failure_path(self, run_id: str) -> Path:
        """Where a failed run's error is recorded."""
        return self.failures_dir / f"{run_id}.json"

    def write_failure(self, task: RunTask, error: BaseException, attempts: int) -> str:
        """Record a run that failed every attempt; return the one-line error message."""
        self.failures_dir.mkdir(parents=True, exist_ok=True)
        message = error_message(error)
        record = {"run_id": task.run_id, "point": task.point, "replication": task.replication,
                  "seed": task.seed, "params": task.params, "attempts": attempts,
                  "error": message, "traceback": error_traceback(error), "recorded": now()}
        atomic_write_bytes(self.failure_path(task.run_id),
                           json.dumps(record, indent=1).encode("utf-8"))
        return message

    def clear_failure(self, run_id: str) -> None:
        """Forget an earlier failure of a run that has now finished."""
        self.failure_path(run_id).unlink(missing_ok=True)

    def failures(self) -> dict[str, dict[str, Any]]:
        """Recorded failures, by run id."""
        found = {}
        if self.failures_dir.is_dir():
            for path in sorted(self.failures_dir.glob("*.json")):
                with contextlib.suppress(OSError, ValueError):
                    found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        return found

    def prune_failures(self, keep: Iterable[str]) -> None:
        """Delete failure records of runs that are not part of the experiment any more."""
        keep = set(keep)
        for run_id in self.failures():
            if run_id not in keep:
                self.clear_failure(run_id)


def error_message(error: BaseException) -> str:
    """One line: the exception's type and message."""
    text = str(error).strip() or repr(error)
    return f"{type(error).__name__}: {text}"


def error_traceback(error: BaseException) -> str:
    """The traceback text of ``error`` (with a worker's remote traceback, chained as its cause)."""
    return "".join(traceback.format_exception(error))
