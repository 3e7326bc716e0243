"""The vpcd socket protocol, card side.

vsmartcard's vpcd driver (inside pcscd) listens on TCP 35963 + slot; the
virtual card connects to it. Every message is a 2-byte big-endian length and a
payload: a 1-byte payload is a control message (00 power off, 01 power on,
02 reset, 04 send the ATR), anything longer is a command APDU whose answer we
send back the same way. Closing the socket is the card leaving the field."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

from devkit.emulator.card import EmulatedCard

log = logging.getLogger(__name__)

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
VPCD_BASE_PORT = 35963


class LinkClosed(Exception):
    """vpcd closed the connection (pcscd stopped)."""


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise LinkClosed
        buf += part
    return bytes(buf)


class VpcdLink:
    """Serves one card over one vpcd slot, re-presenting it after a simulated
    removal so a retry can succeed; runs until `stop()`."""

    def __init__(
        self,
        card_factory: Callable[[], EmulatedCard],
        port: int = VPCD_BASE_PORT,
        host: str = "127.0.0.1",
        reinsert_after_s: float = 0.5,
    ) -> None:
        self._factory = card_factory
        self._address = (host, port)
        self._reinsert_after = reinsert_after_s
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self.presentations = 0
        self.removals = 0
        self.card: EmulatedCard | None = None

    def stop(self) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def serve_forever(self) -> None:
        card = self._factory()
        while not self._stop.is_set():
            try:
                sock = socket.create_connection(self._address, timeout=2.0)
            except OSError:
                self._stop.wait(0.2)  # pcscd not up yet
                continue
            self._sock = sock
            self.presentations += 1
            self.card = card
            try:
                removed = self._serve(sock, card)
            except (LinkClosed, OSError):
                removed = False
            finally:
                self._sock = None
                sock.close()
            if removed:
                self.removals += 1
                card.faults.one_shot_removal_done()
                card.apdu_count = 0
                card.power_on()
                self._stop.wait(self._reinsert_after)
            elif not self._stop.is_set():
                self._stop.wait(0.2)

    def _serve(self, sock: socket.socket, card: EmulatedCard) -> bool:
        """Answer vpcd until it hangs up (False) or the removal fault fires (True)."""
        sock.settimeout(None)
        while not self._stop.is_set():
            size = int.from_bytes(_recv_exact(sock, 2), "big")
            payload = _recv_exact(sock, size)
            if size == 1:
                ctrl = payload[0]
                if ctrl in (CTRL_ON, CTRL_RESET, CTRL_OFF):
                    card.power_on()
                elif ctrl == CTRL_ATR:
                    self._send(sock, card.profile.atr)
                continue
            limit = card.faults.remove_after
            if limit is not None and card.apdu_count >= limit:
                log.info("emulated card removed after %d APDUs", card.apdu_count)
                return True
            answer = card.process(payload)
            if card.faults.delay_s:
                time.sleep(card.faults.delay_s)
            self._send(sock, answer)
        return False

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        sock.sendall(len(payload).to_bytes(2, "big") + payload)
