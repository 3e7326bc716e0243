"""An exclusive connection to the card in one reader.

Exclusive (SCARD_SHARE_EXCLUSIVE) because a secure-messaging session lives in
the chip: any other process sending one APDU in between would desynchronise
the send sequence counters and break the read. `transmit` is the `Transport`
the eMRTD layer needs; a card that leaves the field mid-read surfaces as
`CardRemovedError`, a read running past its deadline as `ReaderTimeoutError`
(PC/SC cannot interrupt one transmit, so the deadline is checked between
APDUs)."""

from __future__ import annotations

import time

from smartcard import scard

from drivers.pcsc.context import PcscContext, raise_for
from drivers.pcsc.errors import CardRemovedError, NoCardError, ReaderError, ReaderTimeoutError, TransmitError


class CardConnection:
    def __init__(self, context: PcscContext, reader: str, deadline_s: float | None = None) -> None:
        self.reader = reader
        self._context = context
        hresult, self._card, self._protocol = scard.SCardConnect(
            context.handle,
            reader,
            scard.SCARD_SHARE_EXCLUSIVE,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult in (scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_REMOVED_CARD):
            raise NoCardError(f"no card in {reader}")
        raise_for(hresult, f"connect to the card in {reader}")
        self._deadline = None if deadline_s is None else time.monotonic() + deadline_s
        self._deadline_s = deadline_s

    @property
    def atr(self) -> bytes:
        hresult, _, _, _, atr = scard.SCardStatus(self._card)
        raise_for(hresult, "card status")
        return bytes(atr)

    def transmit(self, apdu: bytes) -> bytes:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise ReaderTimeoutError(f"card read exceeded {self._deadline_s:.1f} s")
        hresult, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS:
            if hresult == scard.SCARD_E_NOT_TRANSACTED and self._card_gone():
                raise CardRemovedError(f"card left {self.reader} during a transmit")
            raise_for(hresult, "transmit")
        if len(response) < 2:
            if self._card_gone():
                raise CardRemovedError(f"card left {self.reader} during a transmit")
            raise TransmitError(f"reader returned {len(response)} bytes, no status word")
        return bytes(response)

    def _card_gone(self, settle_s: float = 0.5) -> bool:
        """After a failed exchange: did the card leave? The driver may report the
        removal a moment after the failed transmit, so wait briefly for it."""
        hresult, _, _, _, _ = scard.SCardStatus(self._card)
        if hresult in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD):
            return True
        try:
            self._context.wait_for_removal(self.reader, settle_s)
        except ReaderError:
            return False
        return True

    def close(self, unpower: bool = True) -> None:
        """Disconnect; powering the card down ends any session it holds."""
        if self._card is None:
            return
        disposition = scard.SCARD_UNPOWER_CARD if unpower else scard.SCARD_LEAVE_CARD
        scard.SCardDisconnect(self._card, disposition)  # a removed card may already be gone
        self._card = None

    def __enter__(self) -> CardConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
