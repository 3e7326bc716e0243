"""What the remote commands need of the running daemon (edge.daemon.Daemon provides it)."""

from __future__ import annotations

from typing import Any, Protocol


class DaemonPort(Protocol):
    def request_restart(self, reason: str) -> None:
        """Stop cleanly and exit, so the supervisor (systemd Restart=) starts it again."""

    def outbox_status(self) -> dict[str, Any]: ...

    def health(self) -> tuple[bool, list[str]]:
        """(every component healthy and the broker connected, names of what is not)."""

    def still(self, camera_id: str, timeout_s: float) -> bytes:
        """JPEG of the camera's next frame; raises LookupError / TimeoutError."""
