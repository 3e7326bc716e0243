"""Who may talk to the kiosk screen server, and with what.

The server listens on loopback only, but a loopback listener is still reachable
from a web page elsewhere through DNS rebinding (a hostile name that resolves to
127.0.0.1) or a cross-site form post. So every request must name this server in
``Host`` (a loopback address or ``localhost`` with our port), and a request that
carries ``Origin`` (every browser POST does) must come from one of those same
origins. Actions must be small JSON bodies with a declared length.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class NotLoopbackError(ValueError):
    """The screen server was asked to listen on an address other machines can reach."""


def require_loopback(host: str) -> str:
    """Return ``host`` if it is a literal loopback address; refuse anything else.

    Names (even ``localhost``) are refused: what they resolve to is not ours to trust."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise NotLoopbackError(
            f"screen host {host!r} is not an IP address; use 127.0.0.1 (or ::1): "
            "the kiosk screen is served on loopback only"
        ) from None
    if not address.is_loopback:
        raise NotLoopbackError(
            f"screen host {host} is not a loopback address; use 127.0.0.1 (or ::1): "
            "the kiosk screen must not be reachable from the network"
        )
    return host


@dataclass(frozen=True)
class Limits:
    """Request limits of the screen server (defaults fit one kiosk browser and a technician)."""

    max_body_bytes: int = 8192  # an action is a few hundred bytes; the MRZ is the longest field
    max_streams: int = 4  # concurrent /events clients (the kiosk's Chromium needs one)
    max_connections: int = 32  # concurrent connections of any kind
    request_timeout_s: float = 10.0  # to send a request line, headers and body
    keepalive_s: float = 15.0  # SSE comment sent when nothing changed for this long
    retry_ms: int = 1000  # reconnect delay the page's EventSource is told to use
    stop_poll_s: float = 0.25  # how often a stream notices the server is stopping


class Guard:
    """The request checks for one server listening on ``port``."""

    def __init__(self, port: int, limits: Limits) -> None:
        self.limits = limits
        self._hosts = frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)
        self._origins = frozenset(f"http://{host}" for host in self._hosts)

    def host_ok(self, host: str | None) -> bool:
        return host is not None and host.strip().lower() in self._hosts

    def origin_ok(self, origin: str | None, *, required: bool) -> bool:
        if origin is None:
            return not required
        return origin.strip().lower() in self._origins

    @staticmethod
    def is_json(content_type: str | None) -> bool:
        if not content_type:
            return False
        media, _, params = content_type.partition(";")
        if media.strip().lower() != "application/json":
            return False
        charset = params.strip().lower()
        return charset in ("", "charset=utf-8")

    def body_status(self, header: str | None) -> int:
        """HTTP status for a declared body length: 200 if acceptable, 411 if missing or
        malformed, 413 if larger than the limit (checked before a byte is read)."""
        if header is None or not header.strip().isdigit() or int(header) == 0:
            return 411
        return 200 if int(header) <= self.limits.max_body_bytes else 413
