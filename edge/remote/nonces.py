"""The journal of accepted command nonces: a replayed command is refused even after a
restart or a power cut, because a nonce is committed (synchronous=FULL) before the
command runs. A nonce is remembered until its command expired (plus the clock
tolerance); commands expiring later than `max_validity_s` are refused before they
get here, so the journal stays small."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class NonceJournal:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, forget_at REAL NOT NULL)"
        )

    def claim(self, nonce: str, forget_at: float, now: float) -> bool:
        """Record `nonce`; False when it was seen before (a replay). One transaction, so
        one fsync per command; expired nonces are purged in the same transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM nonces WHERE forget_at < ?", (now,))
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO nonces (nonce, forget_at) VALUES (?, ?)", (nonce, forget_at)
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return cur.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._db.close()
