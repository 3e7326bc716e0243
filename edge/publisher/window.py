"""The in-flight window: which outbox rows are on the wire under which MQTT packet id.

Publishing is pipelined, not stop-and-wait: up to `size` QoS 1 publishes await their
PUBACK at once, which is what makes the drain rate close to raw paho throughput.
Acknowledged rows collect here during one turn of the loop and are then handed to the
acker (edge.publisher.acker), which deletes them in batches; until then they stay
excluded from the next read, so an acknowledged message is never sent twice on the
same connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

M = TypeVar("M")


@dataclass
class InFlight(Generic[M]):
    size: int
    by_mid: dict[int, M | None] = field(default_factory=dict)  # None: status/stats publish
    row_ids: dict[int, int] = field(default_factory=dict)  # mid -> row id of outbox messages
    acked: list[int] = field(default_factory=list)  # row ids acknowledged, not yet deleted

    @property
    def messages(self) -> int:
        """Outbox messages awaiting PUBACK (status and stats publishes not counted)."""
        return len(self.row_ids)

    def free(self) -> int:
        return max(0, self.size - len(self.row_ids))

    def add(self, mid: int, row_id: int | None, message: M | None) -> None:
        self.by_mid[mid] = message
        if row_id is not None:
            self.row_ids[mid] = row_id

    def resolve(self, mid: int) -> tuple[bool, M | None]:
        """Forget `mid`; returns (known, message). Unknown mids (a stale ack) are ignored."""
        if mid not in self.by_mid:
            return False, None
        self.row_ids.pop(mid, None)
        return True, self.by_mid.pop(mid)

    def oldest(self) -> M | None:
        """The outbox message published first among those awaiting PUBACK, if any."""
        for mid in self.row_ids:
            return self.by_mid[mid]
        return None

    def mark_acked(self, row_id: int) -> None:
        self.acked.append(row_id)

    def excluded(self) -> list[int]:
        return [*self.row_ids.values(), *self.acked]

    def take_acked(self) -> list[int]:
        batch, self.acked = self.acked, []
        return batch

    def connection_lost(self) -> int:
        """Forget what was in flight (it is re-read from the outbox after reconnecting);
        acknowledged rows stay queued for deletion. Returns how many were dropped."""
        dropped = len(self.row_ids)
        self.by_mid.clear()
        self.row_ids.clear()
        return dropped
