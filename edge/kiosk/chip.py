"""One chip read for the kiosk: connect, read with progress, judge genuineness.

Progress is the share of the APDUs this kind of read took last time (a first read
guesses from the chunk size), so the screen's bar moves with the card, not with a
timer. Errors are the typed ones of the reader and eMRTD layers; the service maps
each to its own screen state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drivers.pcsc.connection import CardConnection
from drivers.pcsc.context import PcscContext
from kiosk.cccd.trust_store import TrustStore
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.chip_read import ChipReadResult, read_chip
from kiosk.emrtd.files import extended_length_in_atr
from kiosk.emrtd.genuineness import GenuinenessPolicy, GenuinenessVerdict, judge
from kiosk.emrtd.session import AccessKey

# APDUs of a full CCCD read (PACE, CA, AA, DG1/2/13/14/15) by read mode; learnt as reads happen.
FIRST_GUESS = {True: 18, False: 110}


class _Counting:
    """The connection, counting APDUs for the progress bar."""

    def __init__(self, conn: CardConnection, on_apdu: Callable[[int], None]) -> None:
        self._conn = conn
        self._on_apdu = on_apdu
        self.count = 0

    def transmit(self, apdu: bytes) -> bytes:
        answer = self._conn.transmit(apdu)
        self.count += 1
        self._on_apdu(self.count)
        return answer


@dataclass
class ChipReading:
    trust: TrustStore
    policy: GenuinenessPolicy
    extended_length: str  # "auto" | "on" | "off"
    read_photo: bool
    timeout_s: float

    trust_configured: bool = False

    def __post_init__(self) -> None:
        self._expected = dict(FIRST_GUESS)

    def read(
        self, ctx: PcscContext, reader: str, key: AccessKey, progress: Callable[[float], None]
    ) -> tuple[ChipReadResult, GenuinenessVerdict]:
        with CardConnection(ctx, reader, deadline_s=self.timeout_s) as conn:
            extended = {"on": True, "off": False}.get(self.extended_length)
            if extended is None:
                extended = extended_length_in_atr(conn.atr)
            expected = self._expected[extended]
            counting = _Counting(conn, lambda n: progress(min(0.97, n / expected)))
            result = read_chip(
                ApduChannel(counting),
                key,
                self.trust,
                extended_length=extended,
                include_photo=self.read_photo,
            )
            self._expected[extended] = max(1, counting.count)
        progress(1.0)
        verdict = judge(self.policy, result.passive_auth, result.active_auth, result.raw.chip_auth)
        return result, verdict
