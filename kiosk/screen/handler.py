"""HTTP routes of the kiosk screen: the page, ``GET /events`` and ``POST /action``.

Every response says ``Cache-Control: no-store`` (snapshots and answers can carry
personal data: the consent preview, the receipt) and carries a strict Content
Security Policy: the page loads nothing but its own files from this server.
Nothing of a request body or of a snapshot is ever logged.
"""

from __future__ import annotations

import json
import logging
import select
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from kiosk.screen.protocol import ActionResult
from kiosk.screen.stream import CONTENT_TYPE as EVENT_STREAM
from kiosk.screen.stream import last_seen_seq, stream_snapshots

if TYPE_CHECKING:
    from kiosk.screen.server import ScreenHTTPServer

log = logging.getLogger("kiosk.screen")

SECURITY_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
)
# A refused body up to this size is read and dropped so the client gets the answer
# instead of a reset connection; a larger one is not read at all.
DRAIN_LIMIT = 65536


class ScreenRequestHandler(BaseHTTPRequestHandler):
    server: ScreenHTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles between requests
    server_version = "vn-edge-screen"
    sys_version = ""

    def setup(self) -> None:
        self.timeout = self.server.guard.limits.request_timeout_s
        super().setup()

    # --- routes ---------------------------------------------------------------
    def do_GET(self) -> None:
        if not self._caller_ok(origin_required=False):
            return
        path, _, query = self.path.partition("?")
        if path == "/events":
            self._events(query)
            return
        asset = self.server.assets.get(path)
        if asset is None:
            self._send_text(HTTPStatus.NOT_FOUND, "not found")
            return
        self._send(HTTPStatus.OK, asset.body, asset.content_type)

    def do_POST(self) -> None:
        if not self._caller_ok(origin_required=True):
            return
        if self.path != "/action":
            self._send_text(HTTPStatus.NOT_FOUND, "not found")
            return
        guard = self.server.guard
        if not guard.is_json(self.headers.get("Content-Type")):
            self._refuse_body(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "action.malformed")
            return
        status = guard.body_status(self.headers.get("Content-Length"))
        if status != HTTPStatus.OK:
            self._refuse_body(HTTPStatus(status), "action.too_large" if status == 413 else "action.malformed")
            return
        action = _parse_action(self.rfile.read(int(self.headers["Content-Length"])))
        if action is None:
            self._send_result(HTTPStatus.BAD_REQUEST, ActionResult(ok=False, error="action.malformed"))
            return
        try:
            result = self.server.controller.act(action)
        except Exception as exc:  # the page gets a plain answer; the daemon keeps serving
            log.error(
                "kiosk screen: controller failed on a %r action: %s", action["type"][:40], type(exc).__name__
            )
            self._send_result(HTTPStatus.INTERNAL_SERVER_ERROR, ActionResult(ok=False, error="action.failed"))
            return
        self._send_result(HTTPStatus.OK, result)

    def _events(self, query: str) -> None:
        streams = self.server.streams
        if not streams.acquire(blocking=False):
            self._send_text(HTTPStatus.SERVICE_UNAVAILABLE, "too many screen clients")
            return
        try:
            last_id = self.headers.get("Last-Event-ID") or parse_qs(query).get("last", [None])[0]
            self._start(HTTPStatus.OK, EVENT_STREAM, None)
            stream_snapshots(
                self.server.controller,
                self.wfile.write,
                epoch=self.server.epoch,
                last_seen=last_seen_seq(last_id, self.server.epoch),
                limits=self.server.guard.limits,
                stopping=self.server.stopping,
                gone=self._client_gone,
            )
        except OSError:
            pass  # the page went away (closed, reloaded, timed out): its loop ends here
        finally:
            streams.release()

    def _client_gone(self) -> bool:
        """True once the page closed its end (EOF readable): frees its stream slot at once."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    # --- checks -----------------------------------------------------------------
    def _caller_ok(self, *, origin_required: bool) -> bool:
        guard = self.server.guard
        if not guard.host_ok(self.headers.get("Host")):
            self._refuse_body(HTTPStatus.FORBIDDEN, "action.forbidden", "Host is not this kiosk screen")
            return False
        if not guard.origin_ok(self.headers.get("Origin"), required=origin_required):
            self._refuse_body(HTTPStatus.FORBIDDEN, "action.forbidden", "Origin is not this kiosk screen")
            return False
        return True

    def _refuse_body(self, status: HTTPStatus, error: str, text: str | None = None) -> None:
        """Answer a refused request; read a small body first so the client sees the answer."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= DRAIN_LIMIT:
            try:
                self.rfile.read(int(length))
            except OSError:
                return
        if self.command == "POST":
            self._send_result(status, ActionResult(ok=False, error=error))
        else:
            self._send_text(status, text or status.phrase)

    # --- responses ----------------------------------------------------------------
    def _send_result(self, status: HTTPStatus, result: ActionResult) -> None:
        body = json.dumps(result.to_json(), ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8")

    def _send_text(self, status: HTTPStatus, text: str) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self._start(status, content_type, len(body))
        self.wfile.write(body)

    def _start(self, status: HTTPStatus, content_type: str, length: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("kiosk screen: " + format, *args)


def _parse_action(body: bytes) -> dict[str, Any] | None:
    """A JSON object with a string ``type``, or None."""
    try:
        action = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(action, dict) or not isinstance(action.get("type"), str):
        return None
    return action
