"""PC/SC resource-manager context: list readers, wait for card insertion and
removal and for readers being plugged in, all through SCardGetStatusChange so
the kiosk sleeps in pcscd instead of polling.

Built on pyscard's thin `smartcard.scard` layer (not the high-level
CardMonitor threads) so every return code is ours to map to a typed error."""

from __future__ import annotations

import time

from smartcard import scard

from drivers.pcsc.errors import (
    CardRemovedError,
    NoCardError,
    NoReaderError,
    PcscUnavailableError,
    ReaderBusyError,
    ReaderError,
    ReaderTimeoutError,
    TransmitError,
)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

_REMOVED = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD}
_NO_SERVICE = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}
_NO_READER = {
    scard.SCARD_E_NO_READERS_AVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_READER_UNAVAILABLE,
}


def raise_for(hresult: int, action: str) -> None:
    """Translate a PC/SC return code into the matching typed error."""
    if hresult == scard.SCARD_S_SUCCESS:
        return
    text = f"{action}: {scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"
    if hresult in _NO_SERVICE:
        raise PcscUnavailableError(text)
    if hresult in _NO_READER:
        raise NoReaderError(text)
    if hresult in _REMOVED:
        raise CardRemovedError(text)
    if hresult == scard.SCARD_E_TIMEOUT:
        raise ReaderTimeoutError(text)
    if hresult == scard.SCARD_E_SHARING_VIOLATION:
        raise ReaderBusyError(text)
    raise TransmitError(text)


class PcscContext:
    """One SCardEstablishContext; close it (or use `with`) when done."""

    def __init__(self) -> None:
        try:
            hresult, self._handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        except scard.error as exc:  # pragma: no cover - pyscard raises only on API misuse
            raise PcscUnavailableError(str(exc)) from None
        raise_for(hresult, "establish PC/SC context")

    @property
    def handle(self) -> int:
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            scard.SCardReleaseContext(self._handle)
            self._handle = None

    def __enter__(self) -> PcscContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def readers(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self._handle, [])
        if hresult in (scard.SCARD_E_NO_READERS_AVAILABLE,):
            return []
        raise_for(hresult, "list readers")
        return list(names)

    def resolve(self, wanted: str | None) -> str:
        """The reader named `wanted` (exact, else unique substring), or the
        first reader when None."""
        names = self.readers()
        if not names:
            raise NoReaderError("no PC/SC reader is attached")
        if wanted is None:
            return names[0]
        if wanted in names:
            return wanted
        matches = [n for n in names if wanted in n]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NoReaderError(f"no reader matches {wanted!r} (attached: {', '.join(names)})")
        raise NoReaderError(f"{wanted!r} matches several readers: {', '.join(matches)}")

    def _state(self, reader: str, known: int, timeout_s: float) -> tuple[int, bytes]:
        ms = max(0, int(timeout_s * 1000))
        hresult, states = scard.SCardGetStatusChange(self._handle, ms, [(reader, known)])
        raise_for(hresult, f"wait on {reader}")
        _, event, atr = states[0]
        if event & scard.SCARD_STATE_UNKNOWN:
            raise NoReaderError(f"reader {reader!r} disappeared")
        return event, bytes(atr)

    def card_present(self, reader: str) -> bool:
        event, _ = self._state(reader, scard.SCARD_STATE_UNAWARE, 0)
        return bool(event & scard.SCARD_STATE_PRESENT)

    def wait_for_card(self, reader: str, timeout_s: float) -> bytes:
        """Block until a card is in the field; returns its ATR."""
        deadline = time.monotonic() + timeout_s
        event, atr = self._state(reader, scard.SCARD_STATE_UNAWARE, 0)
        while not event & scard.SCARD_STATE_PRESENT or event & scard.SCARD_STATE_MUTE:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoCardError(f"no card on {reader} within {timeout_s:.1f} s")
            try:
                event, atr = self._state(reader, event & ~scard.SCARD_STATE_CHANGED, left)
            except ReaderTimeoutError:
                raise NoCardError(f"no card on {reader} within {timeout_s:.1f} s") from None
        return atr

    def wait_for_removal(self, reader: str, timeout_s: float) -> None:
        """Block until the field is empty (the citizen took the card back)."""
        deadline = time.monotonic() + timeout_s
        event, _ = self._state(reader, scard.SCARD_STATE_UNAWARE, 0)
        while event & scard.SCARD_STATE_PRESENT:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReaderTimeoutError(f"card still on {reader} after {timeout_s:.1f} s")
            event, _ = self._state(reader, event & ~scard.SCARD_STATE_CHANGED, left)

    def wait_for_reader(self, wanted: str | None, timeout_s: float) -> str:
        """Hot-plug: wait until a matching reader appears (pcscd's PnP
        notification pseudo-reader wakes us; no polling)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.resolve(wanted)
            except NoReaderError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
            known = len(self.readers()) << 16
            try:
                hresult, _ = scard.SCardGetStatusChange(
                    self._handle, int(min(left, 3600) * 1000), [(PNP_NOTIFICATION, known)]
                )
            except scard.error as exc:  # pragma: no cover
                raise ReaderError(str(exc)) from None
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            raise_for(hresult, "wait for a reader")
