"""Read the outbox's state without being its writer: for `edge outbox status`, which a
technician runs beside the live daemon. Opens the file read-only, so looking never
creates, migrates or locks anything."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from edge.outbox.errors import OutboxError
from edge.outbox.schema import BUSY_TIMEOUT_S, SCHEMA_VERSION
from edge.outbox.stats import OutboxStats, file_bytes, read_stats


class OutboxMissingError(OutboxError):
    """There is no outbox file yet (the daemon creates it when it first starts)."""


def inspect_outbox(path: Path, quota: int, *, clock: Callable[[], float] = time.time) -> OutboxStats:
    if not path.exists():
        raise OutboxMissingError(f"no outbox at {path} (the daemon creates it when it first starts)")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise OutboxError(f"cannot open {path} read-only: {exc}") from exc
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise OutboxError(
                f"{path} has outbox schema version {version}, this software reads {SCHEMA_VERSION}"
            )
        files = file_bytes(path)
        return read_stats(conn, clock(), quota, files)
    except sqlite3.DatabaseError as exc:
        raise OutboxError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()
