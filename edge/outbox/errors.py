"""Typed outbox errors, so producers can tell "no room, decide what to do with this
event" apart from "the outbox itself is broken" without parsing messages."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


class OutboxError(Exception):
    """Base class for every error raised by the outbox."""


class OutboxFullError(OutboxError):
    """The event cannot be stored: the quota or the disk is full and nothing that may be
    evicted for it is left (only CRITICAL events inside their TTL, or only messages more
    important than the newcomer). The outbox stays usable; the caller decides whether the
    event can be dropped."""


class InvalidEventError(OutboxError, ValueError):
    """The draft cannot be turned into MQTT messages (e.g. a '/' in the type would change
    the topic and escape the per-device ACL)."""


class OutboxClosedError(OutboxError):
    """The outbox was closed; it must not be used any more."""


class OutboxStorageError(OutboxError):
    """SQLite failed for a reason other than a full disk (I/O error, corrupt file,
    lock held for longer than the busy timeout). The operation did not happen."""


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """Turn raw sqlite3 errors into OutboxStorageError naming the file, so callers
    catch one typed family (OutboxError) instead of driver exceptions."""
    try:
        yield
    except sqlite3.Error as exc:
        raise OutboxStorageError(f"{what}: {exc}") from exc
