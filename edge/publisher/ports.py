"""What the publisher needs of its collaborators, as protocols: the outbox
(edge.outbox.Outbox provides it) is passed in, never imported by the loop."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Protocol


class OutboxPort(Protocol):
    """What the publisher needs of the outbox (edge.outbox.Outbox provides it)."""

    def pending(self, limit: int, exclude: Collection[int] = (), after: int = 0) -> list[Any]: ...
    def ack(self, row_ids: Iterable[int]) -> None: ...
    def reject(self, row_id: int, reason: str, retry_at: float) -> None: ...
    def stats(self) -> Any: ...
    def note_error(self, message: str) -> None: ...
