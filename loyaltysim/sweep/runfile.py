"""One run's results file: Parquet with a checksum of its data in its own footer.

A Parquet file is ``PAR1``, the column chunks (pages), the footer (schema, offsets, key-value
metadata), the footer's length and ``PAR1``. The footer's ``loyaltysim.sweep.sha256`` is the SHA-256
of every byte before the footer, so a damaged page is caught even when Parquet would decode it
into other numbers (a flipped byte in a plain-encoded float is still a float). The footer itself
is checked by parsing it: a damaged footer does not parse, or no longer holds the checksum or the
run's metadata. Files are read once into memory, verified, and decoded from those same bytes.
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

__all__ = ["CHECKSUM_KEY", "META_KEY", "DamagedRunFile", "VerifiedRunFile", "encode_run_file",
           "read_run_file"]

META_KEY = b"loyaltysim.sweep"
CHECKSUM_KEY = b"loyaltysim.sweep.sha256"
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


def _data_end(data: bytes) -> int:
    """Offset where the footer starts (= length of the checksummed part); ValueError if the file
    cannot be Parquet (too short, no magic, impossible footer length)."""
    if len(data) < len(_MAGIC) + _TAIL or data[:4] != _MAGIC or data[-4:] != _MAGIC:
        raise ValueError
    (footer,) = struct.unpack("<I", data[-_TAIL:-4])
    end = len(data) - _TAIL - footer
    if end < len(_MAGIC):
        raise ValueError
    return end


def encode_run_file(table: pa.Table, meta: dict[str, Any]) -> bytes:
    """The bytes of a run file: ``table`` with ``meta`` (JSON) and the data checksum in its footer.
    """
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta)})
    sink = io.BytesIO()
    writer = pq.ParquetWriter(sink, table.schema)
    writer.write_table(table)
    # Every page is in the sink once the row group is written; only the footer comes at close.
    body = sink.getvalue()
    writer.add_key_value_metadata({CHECKSUM_KEY: hashlib.sha256(body).hexdigest()})
    writer.close()
    data = sink.getvalue()
    if _data_end(data) != len(body) or data[:len(body)] != body:  # pyarrow changed how it writes
        raise RuntimeError("Parquet writer wrote data after the row group; cannot checksum it")
    return data


def read_run_file(path: str | os.PathLike[str]) -> VerifiedRunFile:
    """Read and verify a run file. Raises :class:`DamagedRunFile` (saying why) for a file that is
    empty, truncated, not Parquet, without checksum or metadata, or whose data do not match the
    checksum; :class:`OSError` if it cannot be read at all."""
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise DamagedRunFile(path, "empty file (0 bytes)")
    try:
        end = _data_end(data)
        footer = pq.read_metadata(pa.BufferReader(data)).metadata or {}
    except (ValueError, OSError, pa.ArrowException):  # pyarrow: thrift errors are OSErrors
        raise DamagedRunFile(path, f"not a complete Parquet file ({len(data)} bytes; truncated "
                                   "or overwritten)") from None
    expected = footer.get(CHECKSUM_KEY)
    if expected is None:
        raise DamagedRunFile(path, "no checksum in its metadata (written by another program or "
                                   "an older loyaltysim)")
    if hashlib.sha256(data[:end]).hexdigest().encode() != expected:
        raise DamagedRunFile(path, "checksum mismatch: its data changed after it was written")
    try:
        meta = json.loads(footer[META_KEY])
        table = pq.read_table(pa.BufferReader(data))
    except (KeyError, ValueError, OSError, pa.ArrowException) as exc:
        raise DamagedRunFile(path, f"unreadable run metadata or data ({type(exc).__name__})"
                             ) from None
    if not isinstance(meta, dict):
        raise DamagedRunFile(path, "its run metadata is not a table")
    return VerifiedRunFile(path, meta, table)
