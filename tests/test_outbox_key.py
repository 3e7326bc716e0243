"""The outbox key: checked when the outbox opens, derived rather than used as it is,
binding each sealed payload to its row's priority, expiry and sequence; databases of
the first format are migrated by the right key and refused by a wrong one."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.events import Priority
from edge.outbox import Outbox, OutboxError
from firmware_config.storage import StorageConfig
from tests.test_outbox import FakeClock, draft, key_file, make

RIGHT, WRONG = bytes(range(32)), bytes(range(100, 132))


def open_with(tmp_path: Path, key: bytes | None, clock: FakeClock | None = None) -> Outbox:
    clock = clock or FakeClock()
    config = (
        key_file(tmp_path, f"key-{key.hex()[:8]}", key)
        if key is not None
        else StorageConfig(path=tmp_path / "outbox.db", disk_reserve=0)
    )
    return Outbox(config, "cam-01", clock=clock, boot_clock=clock.boot)


def test_a_wrong_key_is_refused_when_the_outbox_opens(tmp_path: Path) -> None:
    with open_with(tmp_path, RIGHT) as ob:
        ob.append(draft(Priority.CRITICAL, type_="checkin"))
    with pytest.raises(OutboxError, match=r"not the key .* was written with .*1 encrypted message"):
        open_with(tmp_path, WRONG)
    with open_with(tmp_path, RIGHT) as ob:  # nothing was touched: the right key still reads it
        assert [m.kind for m in ob.pending(10)] == ["event"]


def test_sealed_messages_without_a_configured_key_are_refused(tmp_path: Path) -> None:
    with open_with(tmp_path, RIGHT) as ob:
        ob.append(draft())
    with pytest.raises(OutboxError, match=r"encrypted message.*no storage\.encryption_key"):
        open_with(tmp_path, None)


def test_a_new_key_is_taken_once_nothing_sealed_waits(tmp_path: Path) -> None:
    # rotation: drain, stop, swap the key, start
    with open_with(tmp_path, RIGHT) as ob:
        ob.append(draft())
        ob.ack([m.row_id for m in ob.pending(10)])
    with open_with(tmp_path, WRONG) as ob:
        stored = ob.append(draft(n=7))
        assert [m.payload for m in ob.pending(10)] == [stored.to_json()]
    with pytest.raises(OutboxError, match="not the key"):
        open_with(tmp_path, RIGHT)


def test_the_configured_secret_is_not_the_aes_key(tmp_path: Path) -> None:
    with open_with(tmp_path, RIGHT) as ob:
        ob.append(draft())
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        blob, event_id, topic = db.execute("SELECT payload, event_id, topic_suffix FROM messages").fetchone()
    with pytest.raises(InvalidTag):
        AESGCM(RIGHT).decrypt(blob[1:13], blob[13:], f"{event_id}/{topic}".encode())
    assert blob[:1] == b"\x02"


@pytest.mark.parametrize(
    ("column", "value"),
    [("priority", int(Priority.CRITICAL)), ("expires_at", 4_000_000_000.0), ("seq", 99)],
)
def test_editing_priority_expiry_or_sequence_in_the_file_is_detected(tmp_path: Path, column, value) -> None:
    with open_with(tmp_path, RIGHT) as ob:
        ob.append(draft(Priority.LOW))
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.execute(f"UPDATE messages SET {column} = ?", (value,))
    with open_with(tmp_path, RIGHT) as ob:
        assert ob.pending(10) == []  # held back as unreadable, not sent with the forged value
        assert ob.stats().rejected == 1


def test_sealed_rows_survive_a_wall_clock_step(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_with(tmp_path, RIGHT, clock) as ob:
        stored = ob.append(draft())
        clock.step(3 * 86400)  # NTP corrects a clock that booted days behind
        ob.append(draft(n=1))  # the next write notices and re-dates (and re-seals) the first row
        first = ob.pending(10)[0]
    assert first.payload == stored.to_json()


def test_a_typed_password_is_not_taken_as_a_key(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_bytes(b"correcthorsebatterystaplecorrect")
    with pytest.raises(OutboxError, match="printable characters, a password"):
        Outbox(StorageConfig(path=tmp_path / "o.db", disk_reserve=0, encryption_key={"file": path}), "cam-01")


# -- databases written by the first format (raw secret as AES key, no check value) ------


def _first_format_outbox(tmp_path: Path, secret: bytes) -> list[bytes]:
    """An outbox as the first format left it: payloads sealed under the raw secret with
    event id and topic as associated data, version byte 1, no key salt or check value."""
    with make(tmp_path) as ob:
        stored = [ob.append(draft(n=n, atts=1)) for n in range(3)]
    aead = AESGCM(secret)
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        for row_id, payload, event_id, topic in db.execute(
            "SELECT id, payload, event_id, topic_suffix FROM messages"
        ).fetchall():
            nonce = os.urandom(12)
            blob = b"\x01" + nonce + aead.encrypt(nonce, bytes(payload), f"{event_id}/{topic}".encode())
            db.execute("UPDATE messages SET payload = ?, sealed = 1 WHERE id = ?", (blob, row_id))
    return [s.to_json() for s in stored]


def test_a_first_format_outbox_is_migrated_by_its_key(tmp_path: Path) -> None:
    events = _first_format_outbox(tmp_path, RIGHT)
    with open_with(tmp_path, RIGHT) as ob:
        got = [m.payload for m in ob.pending(10) if m.kind == "event"]
    assert got == events
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        versions = {bytes(b)[:1] for (b,) in db.execute("SELECT payload FROM messages")}
        assert versions == {b"\x02"}
        assert db.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()


def test_a_first_format_outbox_refuses_a_wrong_key_and_stays_as_it_was(tmp_path: Path) -> None:
    _first_format_outbox(tmp_path, RIGHT)
    with pytest.raises(OutboxError, match="opens none of the 6 encrypted message"):
        open_with(tmp_path, WRONG)
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        assert {bytes(b)[:1] for (b,) in db.execute("SELECT payload FROM messages")} == {b"\x01"}
