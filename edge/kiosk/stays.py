"""Open stays of a guesthouse kiosk: what checkout and extension refer to, and which
notifications are overdue.

A small SQLite file beside the outbox holds, per stay, only the reference, the
room, the dates, the notification's event id and its deadline: no name, no ID
number (staff find a stay by room). A stay is written in the same step as its
notification is appended, after the append returned: a crash in between leaves a
sent notification without a local stay (staff can still see it centrally), never
a local stay without a notification."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path


@dataclass(frozen=True)
class OpenStay:
    stay_id: str
    room: str
    arrival: datetime
    expected_departure: date
    event_id: str
    due_by: datetime


class StayLedger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS stays (stay_id TEXT PRIMARY KEY, room TEXT NOT NULL, "
            "arrival TEXT NOT NULL, expected_departure TEXT NOT NULL, event_id TEXT NOT NULL, "
            "due_by TEXT NOT NULL, closed_at TEXT)"
        )
        path.chmod(0o600)

    def open(self, stay: OpenStay) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO stays VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (
                    stay.stay_id,
                    stay.room,
                    stay.arrival.isoformat(),
                    stay.expected_departure.isoformat(),
                    stay.event_id,
                    stay.due_by.isoformat(),
                ),
            )

    def open_stays(self) -> list[OpenStay]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT stay_id, room, arrival, expected_departure, event_id, due_by FROM stays "
                "WHERE closed_at IS NULL ORDER BY arrival"
            ).fetchall()
        return [
            OpenStay(
                r[0],
                r[1],
                datetime.fromisoformat(r[2]),
                date.fromisoformat(r[3]),
                r[4],
                datetime.fromisoformat(r[5]),
            )
            for r in rows
        ]

    def get(self, stay_id: str) -> OpenStay | None:
        return next((s for s in self.open_stays() if s.stay_id == stay_id), None)

    def close_stay(self, stay_id: str, at: datetime) -> None:
        with self._lock:
            self._conn.execute("UPDATE stays SET closed_at = ? WHERE stay_id = ?", (at.isoformat(), stay_id))

    def extend(self, stay_id: str, departure: date) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE stays SET expected_departure = ? WHERE stay_id = ?", (departure.isoformat(), stay_id)
            )

    def notifications_due_before(self, now: datetime) -> list[str]:
        """Event ids of notifications whose deadline has passed (sent or not: the outbox knows)."""
        return [s.event_id for s in self.open_stays() if s.due_by < now]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
