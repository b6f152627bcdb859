"""The results folder of a sweep: run files written atomically, failures, the manifest.

Layout of ``--out DIR``::

    DIR/manifest.json          experiment and scenario hashes, package version, design, and every
                               run's parameters, seed, status, attempts and error
    DIR/experiment.toml        the experiment file as run;  DIR/scenario.toml: the resolved base
    DIR/runs/p00012-r003.parquet   one file per finished run (point 12, replication 3)
    DIR/failures/p00007-r000.json  runs that failed every attempt: error and traceback
    DIR/damaged/p00003-r001.parquet   run files found damaged on resume (set aside, run redone)

A run file appears only complete: it is written to a hidden temporary file, flushed to disk and
renamed over its final name (``os.replace``), so a sweep killed at any moment leaves either the
whole file or none. The file's Parquet metadata holds the run's input hash and a checksum of its
data; on resume a file counts as finished only if its checksum matches and its input hash matches
the run the experiment now asks for. A damaged file is moved to ``DIR/damaged/`` and redone.
A lock (``DIR/.lock``, released by the kernel if the process dies; its holder's pid in
``DIR/.lock.owner``) keeps two sweeps out of one folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from filelock import FileLock, Timeout

from loyaltysim.sweep.experiment import ExperimentError
from loyaltysim.sweep.runfile import META_KEY, DamagedRunFile, encode_run_file, read_run_file
from loyaltysim.sweep.worker import RunResult, RunTask

__all__ = ["META_KEY", "DamagedManifest", "ResultStore", "atomic_write_bytes", "run_file_name"]

MANIFEST_FORMAT = 1


class DamagedManifest(ExperimentError):  # noqa: N818 - reads as what the folder holds
    """The manifest exists but cannot be used; ``reason`` says why."""

    def __init__(self, path: Path, reason: str):
        self.reason = reason
        super().__init__(f"{path}: damaged manifest, {reason}.", file=str(path))


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
        """Hold the folder's lock for the duration of a sweep; refuse if another sweep holds it.

        An OS file lock (``flock`` on POSIX, ``msvcrt`` on Windows, through ``filelock``), so the
        kernel releases it when the holder dies, however it dies. The holder's pid is kept in a
        file of its own because a locked file cannot be read on Windows.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        owner = self.root / ".lock.owner"
        lock = FileLock(self.root / ".lock", timeout=0)
        try:
            lock.acquire()
        except Timeout:
            try:
                holder = owner.read_text(encoding="utf-8").strip() or "unknown"
            except OSError:
                holder = "unknown"
            raise ExperimentError(
                f"{self.root}: another sweep is writing to this folder "
                f"(process {holder}); wait for it or choose another --out.",
                file=str(self.root),
            ) from None
        try:
            atomic_write_bytes(owner, str(os.getpid()).encode())
            yield
        finally:
            lock.release()

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if there is none yet; :class:`DamagedManifest` if it is not
        a JSON object (truncated, empty, overwritten)."""
        if not self.manifest_path.is_file():
            return None
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DamagedManifest(self.manifest_path, f"not readable as JSON ({exc})") from None
        if not isinstance(manifest, dict):
            raise DamagedManifest(
                self.manifest_path, f"holds a JSON {type(manifest).__name__}, not the manifest's table"
            )
        return manifest

    def set_manifest_aside(self) -> Path:
        """Rename a damaged manifest to ``manifest.json.damaged`` (kept for inspection)."""
        target = self.manifest_path.with_name("manifest.json.damaged")
        os.replace(self.manifest_path, target)
        return target

    def verified_run_files(self) -> dict[str, dict[str, Any]]:
        """Metadata of the run files in ``DIR/runs`` whose checksums match (id -> metadata);
        read-only, unlike :meth:`finished`."""
        found = {}
        for path in sorted(self.runs_dir.glob("*.parquet")):
            with contextlib.suppress(DamagedRunFile, OSError):
                found[path.name.removesuffix(".parquet")] = read_run_file(path).meta
        return found

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

    def finished(self, expected: Mapping[str, str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """Runs whose files verify against their checksum and whose input hash equals
        ``expected[id]``: ``(id -> metadata, damaged id -> reason)``.

        Damaged files (truncated, junk, data changed since written) are moved to ``DIR/damaged/``,
        where they can be inspected, so that the run is redone; files of runs that are not
        expected, or whose inputs changed, are deleted so that they cannot be mistaken for
        results of this experiment."""
        done: dict[str, dict[str, Any]] = {}
        damaged: dict[str, str] = {}
        if not self.runs_dir.is_dir():
            return done, damaged
        for path in sorted(self.runs_dir.glob("*.parquet")):
            run_id = path.name.removesuffix(".parquet")
            try:
                meta = read_run_file(path).meta
            except DamagedRunFile as exc:
                damaged[run_id] = exc.reason
                self.set_aside(path)
                continue
            if expected.get(run_id) == meta.get("run_hash"):
                done[run_id] = meta
            else:
                path.unlink(missing_ok=True)
        return done, damaged

    def set_aside(self, path: Path) -> Path:
        """Move a damaged run file to ``DIR/damaged/`` (replacing an older copy of it)."""
        target = self.root / "damaged" / path.name
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
        return target

    def write_run(
        self, task: RunTask, result: RunResult, param_types: Mapping[str, str], version: str
    ) -> Path:
        """Write a finished run atomically: its outputs with point, replication, seed and
        parameter columns, its inputs' hash in the file metadata and the checksum of its data
        (:mod:`loyaltysim.sweep.runfile`)."""
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
        meta = {
            "run_id": task.run_id,
            "run_hash": task.run_hash,
            "point": task.point,
            "replication": task.replication,
            "seed": task.seed,
            "params": task.params,
            "attempt": task.attempt,
            "sim_seconds": result.sim_seconds,
            "worker": result.worker,
            "package_version": version,
            "written": now(),
        }
        final = self.run_path(task.run_id)
        atomic_write_bytes(final, encode_run_file(pa.table(columns), meta))
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
        record = {
            "run_id": task.run_id,
            "point": task.point,
            "replication": task.replication,
            "seed": task.seed,
            "params": task.params,
            "attempts": attempts,
            "error": message,
            "traceback": error_traceback(error),
            "recorded": now(),
        }
        atomic_write_bytes(self.failure_path(task.run_id), json.dumps(record, indent=1).encode("utf-8"))
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
                    record = json.loads(path.read_text(encoding="utf-8"))
                    if isinstance(record, dict):  # a damaged record is no failure to list
                        found[path.stem] = record
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
