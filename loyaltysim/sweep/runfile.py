"""One run's results file: Parquet with a checksum of its data in its own footer.

A Parquet file is ``PAR1``, the column chunks (pages), the footer (schema, offsets, key-value
metadata), the footer's length and ``PAR1``. The footer's ``loyaltysim.sweep.sha256`` is the SHA-256
of the whole file as it would be with that value replaced by 64 zeros: the file is written with the
zeros in place, hashed, and the zeros overwritten by the hash (same length, so nothing moves).
Every byte is covered - pages, schema, offsets, statistics, the run's metadata - so a damaged page
is caught even when Parquet would decode it into other numbers. Files are read once into memory,
verified, and decoded from those same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "CHECKSUM_KEY",
    "META_KEY",
    "DamagedRunFile",
    "VerifiedRunFile",
    "encode_run_file",
    "read_run_file",
]

META_KEY = b"loyaltysim.sweep"
CHECKSUM_KEY = b"loyaltysim.sweep.sha256"
_PLACEHOLDER = b"0" * 64  # as long as a SHA-256 in hex
_MAGIC = b"PAR1"
_TAIL = 8  # footer length (4 bytes, little-endian) + magic


class DamagedRunFile(Exception):  # noqa: N818 - a finding about a file, not a failed operation
    """A run file that must not be used: ``reason`` says what is wrong with ``path``."""

    def __init__(self, path: Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class VerifiedRunFile:
    """A run file whose checksum matched: its metadata and its decoded table."""

    path: Path
    meta: dict[str, Any]
    table: pa.Table


def _footer_start(data: bytes) -> int:
    """Offset where the footer starts; ValueError if the file cannot be Parquet (too short, no
    magic, impossible footer length)."""
    if len(data) < len(_MAGIC) + _TAIL or data[:4] != _MAGIC or data[-4:] != _MAGIC:
        raise ValueError
    (footer,) = struct.unpack("<I", data[-_TAIL:-4])
    start = len(data) - _TAIL - footer
    if start < len(_MAGIC):
        raise ValueError
    return start


def _checksum(data: bytes, at: int) -> str:
    """SHA-256 of ``data`` with the 64 bytes at ``at`` (where the checksum goes) as zeros."""
    digest = hashlib.sha256(data[:at])
    digest.update(_PLACEHOLDER)
    digest.update(data[at + len(_PLACEHOLDER) :])
    return digest.hexdigest()


def encode_run_file(table: pa.Table, meta: dict[str, Any]) -> bytes:
    """The bytes of a run file: ``table`` with ``meta`` (JSON) and the file's checksum in its
    footer."""
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta)})
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, table.schema) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({CHECKSUM_KEY: _PLACEHOLDER.decode()})
    data = sink.getvalue()
    start = _footer_start(data)
    at = data.find(_PLACEHOLDER, start)
    if at < 0 or data.find(_PLACEHOLDER, at + 1) >= 0:  # must be found, and only once
        raise RuntimeError("cannot place the checksum in the Parquet footer")
    return data[:at] + _checksum(data, at).encode() + data[at + len(_PLACEHOLDER) :]


def read_run_file(path: str | os.PathLike[str]) -> VerifiedRunFile:
    """Read and verify a run file. Raises :class:`DamagedRunFile` (saying why) for a file that is
    empty, truncated, not Parquet, without checksum or metadata, or whose data do not match the
    checksum; :class:`OSError` if it cannot be read at all."""
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise DamagedRunFile(path, "empty file (0 bytes)")
    try:
        start = _footer_start(data)
        footer = pq.read_metadata(pa.BufferReader(data)).metadata or {}
    except (ValueError, OSError, pa.ArrowException):  # pyarrow: thrift errors are OSErrors
        raise DamagedRunFile(
            path, f"not a complete Parquet file ({len(data)} bytes; truncated or overwritten)"
        ) from None
    stored = footer.get(CHECKSUM_KEY)
    if stored is None:
        raise DamagedRunFile(
            path, "no checksum in its metadata (written by another program or an older loyaltysim)"
        )
    at = data.rfind(stored, start) if len(stored) == len(_PLACEHOLDER) else -1
    if at < 0 or _checksum(data, at).encode() != stored:
        raise DamagedRunFile(path, "checksum mismatch: its bytes changed after it was written")
    try:
        meta = json.loads(footer[META_KEY])
        table = pq.read_table(pa.BufferReader(data))
    except (KeyError, ValueError, OSError, pa.ArrowException) as exc:
        raise DamagedRunFile(path, f"unreadable run metadata or data ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        raise DamagedRunFile(path, "its run metadata is not a table")
    return VerifiedRunFile(path, meta, table)
