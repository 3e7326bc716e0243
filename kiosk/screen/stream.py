"""Server-sent events: the controller's snapshots pushed to one page as they change.

One loop per connected page blocks in the controller's ``wait_for_change`` (no
polling of the state), writes each new snapshot as an event whose id is
``<server epoch>-<seq>``, and a comment line as keep-alive when nothing changed
for a while. A page that reconnects sends the last id it saw (``Last-Event-ID``,
or ``?last=`` when the page had to open a new EventSource); when that id names
the snapshot still current, nothing is resent. An id from another server
instance (the daemon restarted, its seq began again) never suppresses the
current snapshot.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from kiosk.screen.guard import Limits
from kiosk.screen.protocol import KioskController, ScreenSnapshot

CONTENT_TYPE = "text/event-stream; charset=utf-8"


def event_id(epoch: str, seq: int) -> str:
    return f"{epoch}-{seq}"


def last_seen_seq(last_event_id: str | None, epoch: str) -> int | None:
    """The seq a reconnecting page last saw from this server instance, if it says so."""
    if not last_event_id:
        return None
    prefix, _, seq = last_event_id.strip().rpartition("-")
    if prefix != epoch or not seq.isdigit():
        return None
    return int(seq)


def snapshot_event(snapshot: ScreenSnapshot, epoch: str) -> bytes:
    data = json.dumps(snapshot.to_json(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event_id(epoch, snapshot.seq)}\nevent: snapshot\ndata: {data}\n\n".encode()


def stream_snapshots(
    controller: KioskController,
    write: Callable[[bytes], None],
    *,
    epoch: str,
    last_seen: int | None,
    limits: Limits,
    stopping: threading.Event,
    gone: Callable[[], bool],
) -> None:
    """Write snapshots to one page until the server stops or the page goes away
    (``gone()`` says so, or ``write`` raises OSError, which the caller expects)."""
    write(f"retry: {limits.retry_ms}\n\n".encode())
    current = controller.snapshot()
    if current.seq != last_seen:
        write(snapshot_event(current, epoch))
    sent = current.seq
    quiet_since = time.monotonic()
    while not stopping.is_set() and not gone():
        latest = controller.wait_for_change(sent, limits.stop_poll_s)
        now = time.monotonic()
        if latest.seq != sent:
            write(snapshot_event(latest, epoch))
            sent = latest.seq
            quiet_since = now
        elif now - quiet_since >= limits.keepalive_s:
            write(b": keep-alive\n\n")
            quiet_since = now
