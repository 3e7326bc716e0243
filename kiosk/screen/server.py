"""The kiosk screen's local HTTP server: the page, its live state, the actions.

Built on the standard library's ThreadingHTTPServer: one kiosk browser (plus a
technician now and then) needs a handful of connections, one thread each, and a
server-sent-events stream is a blocking loop that fits a thread; no third-party
web stack has to be installed, audited and kept up to date on every device.

The server knows nothing of the daemon: it is given a :class:`KioskController`
and plain arguments (loopback host, port), so the daemon wires it and tests run
it against a development controller.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kiosk.screen.assets import STATIC_DIR, Asset, load_assets
from kiosk.screen.guard import Guard, Limits, require_loopback
from kiosk.screen.handler import ScreenRequestHandler
from kiosk.screen.protocol import KioskController

log = logging.getLogger("kiosk.screen")


class ScreenHTTPServer(ThreadingHTTPServer):
    """Holds what the request handlers share; joins every handler thread on close."""

    daemon_threads = False
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], controller: KioskController, assets: dict[str, Asset], limits: Limits
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, ScreenRequestHandler)
        self.controller = controller
        self.assets = assets
        self.guard = Guard(self.server_address[1], limits)
        self.epoch = secrets.token_hex(4)  # tells a reconnecting page whether its last id is ours
        self.stopping = threading.Event()
        self.streams = threading.BoundedSemaphore(limits.max_streams)
        self._connections = threading.BoundedSemaphore(limits.max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._connections.acquire(blocking=False):
            self.shutdown_request(request)  # over the limit: close at once, spawn nothing
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.warning("kiosk screen: a request failed", exc_info=True)


class ScreenServer:
    """Serves the kiosk page on a loopback address; ``start()`` then ``stop()``.

    The socket is bound when the object is made, so a busy port or a non-loopback
    host fails here, at wiring time, with a message that says which."""

    def __init__(
        self,
        host: str,
        port: int,
        controller: KioskController,
        *,
        limits: Limits | None = None,
        static_dir: Path = STATIC_DIR,
    ) -> None:
        require_loopback(host)
        try:
            self._httpd = ScreenHTTPServer(
                (host, port), controller, load_assets(static_dir), limits or Limits()
            )
        except OSError as exc:
            raise OSError(
                exc.errno, f"kiosk screen cannot listen on {host} port {port}: {exc.strerror}"
            ) from exc
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self._httpd.server_address[0]
        return f"http://[{host}]:{self.port}/" if ":" in host else f"http://{host}:{self.port}/"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="kiosk-screen-http"
        )
        self._thread.start()
        log.info("kiosk screen: serving on %s", self.url)

    def healthy(self) -> bool:
        """True while the serving thread runs (for the daemon's watchdog)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop accepting, end every event stream, join every handler thread, close the socket."""
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ScreenServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
