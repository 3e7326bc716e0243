"""The transmit -> status-word check chain.

`ApduChannel` is the only way protocol code talks to a card: it applies secure
messaging when a session is established, hands raw bytes to the transport it
was given (pyscard in production, anything with `transmit` in tests), decodes
the answer, verifies SM and finally maps the status word to a typed error. It
also keeps the two figures the benchmark needs: how many APDUs went out and
how long we waited for the card."""

from __future__ import annotations

import time
from typing import Protocol

from kiosk.emrtd.apdu import SW_OK, Command, Response
from kiosk.emrtd.errors import SecureMessagingError
from kiosk.emrtd.sm import SecureChannel, SessionKeys


class Transport(Protocol):
    """Anything that moves one APDU to the card and returns its raw answer."""

    def transmit(self, apdu: bytes) -> bytes: ...


class ApduChannel:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._sm: SecureChannel | None = None
        self.apdu_count = 0
        self.card_seconds = 0.0

    @property
    def secure(self) -> bool:
        return self._sm is not None

    @property
    def cipher_block(self) -> int | None:
        return self._sm.keys.block if self._sm else None

    def start_secure_messaging(self, keys: SessionKeys) -> None:
        self._sm = SecureChannel(keys)

    def stop_secure_messaging(self) -> None:
        self._sm = None

    def exchange(self, cmd: Command) -> Response:
        """Send one command, SM-wrapped if a session is up; no status check."""
        sm = self._sm
        wire = sm.protect(cmd) if sm else cmd
        raw_cmd = wire.encode()
        started = time.perf_counter()
        try:
            raw = self._transport.transmit(raw_cmd)
        finally:
            self.card_seconds += time.perf_counter() - started
            self.apdu_count += 1
        resp = Response.decode(raw)
        if sm is None:
            return resp
        try:
            return sm.unprotect(resp, cmd.name)
        except SecureMessagingError:
            self._sm = None  # counters may now disagree: never reuse this session
            raise

    def send(self, cmd: Command, accept: tuple[int, ...] = (SW_OK,)) -> Response:
        """Send and raise the typed error unless the status word is accepted."""
        return self.exchange(cmd).check(cmd.name or f"INS {cmd.ins:02X}", accept)
