"""Turn an `EventDraft` into the bytes stored in the outbox, *before* the write lock.

The wire JSON contains the per-device `seq`, which is only known inside the write
transaction. Serialising there would keep every other appender waiting, so the event is
serialised once with a sentinel seq and split around it; inside the transaction the
final payload is `head + str(seq) + tail`, a cheap concatenation. The result is
byte-for-byte what `StoredEvent.to_json()` produces."""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.events import Attachment, EventDraft, StoredEvent
from edge.outbox.errors import InvalidEventError

# Estimated per-row cost on disk beyond the payload (row header, id/seq/time columns,
# index entries, and the nonce and tag when encrypted at rest). Used for the quota,
# which budgets what the outbox holds.
ROW_OVERHEAD = 192

_SENTINEL = -918273645546372819
_MARKER = b'"seq":' + str(_SENTINEL).encode() + b","
# One MQTT topic level: no separators, wildcards or control characters.
_TOPIC_LEVEL = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@dataclass(frozen=True)
class EncodedDraft:
    """A draft serialised around its not-yet-known seq, plus its stored size."""

    draft: EventDraft
    head: bytes
    tail: bytes
    size: int

    def event_json(self, seq: int) -> bytes:
        return self.head + str(seq).encode("ascii") + b"," + self.tail


def encode(draft: EventDraft, device_id: str) -> EncodedDraft:
    if not _TOPIC_LEVEL.fullmatch(draft.type):
        raise InvalidEventError(
            f"event type {draft.type!r} is not a valid topic level ([A-Za-z0-9_.-]{{1,64}})"
        )
    for att in draft.attachments:
        _check_attachment(att)
    try:
        raw = StoredEvent(row_id=0, device_id=device_id, seq=_SENTINEL, draft=draft).to_json()
    except (TypeError, ValueError) as exc:  # body not JSON-serialisable, naive timestamp …
        raise InvalidEventError(f"{draft.type} event {draft.event_id} cannot be serialised: {exc}") from exc
    # The first occurrence is the top-level key: only schema_version, event_id and
    # device_id precede it, and a quote inside a JSON string is always escaped.
    at = raw.find(_MARKER)
    if at < 0:
        raise InvalidEventError("event payload does not carry a top-level seq")
    head, tail = raw[: at + 6], raw[at + len(_MARKER) :]
    size = event_row_size(len(raw), draft) + sum(attachment_row_size(a) for a in draft.attachments)
    return EncodedDraft(draft=draft, head=head, tail=tail, size=size)


def event_row_size(payload_len: int, draft: EventDraft) -> int:
    return ROW_OVERHEAD + payload_len + len(draft.type) + len(draft.event_id)


def attachment_row_size(att: Attachment) -> int:
    return ROW_OVERHEAD + len(att.data) + len(att.id) + len(att.content_type)


def _check_attachment(att: Attachment) -> None:
    if not _TOPIC_LEVEL.fullmatch(att.id):
        raise InvalidEventError(f"attachment id {att.id!r} is not a valid topic level")
    if not att.content_type or "/" not in att.content_type:
        raise InvalidEventError(f"attachment {att.id} has no MIME content type")
