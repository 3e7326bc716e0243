"""Read orchestration: get into the chip and read its files.

Order of play (ICAO 9303-11 §4.2 inspection procedure, as the CCCD needs it):
EF.CardAccess is read by short EF id straight away (the CCCD answers 6D00 to
SELECT MF, and the SFI read costs one APDU either way); if it offers a PACE
variant we support and we hold a CAN or MRZ data, PACE runs first and the
eMRTD application is selected under secure messaging; otherwise the
application is selected and BAC runs with the MRZ data. Then EF.COM says which
data groups exist; EF.SOD is read, then DG14 when present, so that Chip
Authentication switches to fresh keys *before* the personal data groups are
read over the channel."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

from kiosk.cccd.com import parse_com
from kiosk.cccd.dg14 import parse_dg14
from kiosk.cccd.errors import LdsError
from kiosk.cccd.mrz import BacKeyInfo
from kiosk.emrtd.apdu import SW_END_OF_FILE, SW_OK, Command
from kiosk.emrtd.bac import RandomSource, perform_bac
from kiosk.emrtd.cardaccess import choose_pace, parse_card_access
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.chip_auth import ChipAuthenticationError, perform_chip_authentication, plan_from_dg14
from kiosk.emrtd.errors import (
    AccessDeniedError,
    ProtocolError,
    SecureMessagingError,
    SmObjectsIncorrectError,
    StatusWordError,
)
from kiosk.emrtd.files import CARD_ACCESS, COM, SOD, FileReader, data_group
from kiosk.emrtd.pace import PacePassword, perform_pace

log = logging.getLogger(__name__)

EMRTD_AID = bytes.fromhex("A0000002471001")
DEFAULT_GROUPS = (1, 2, 13, 14, 15)
# Answers meaning "there is no EF.CardAccess to read here"; anything else is a fault.
NO_CARD_ACCESS = (0x6A82, 0x6A81, 0x6A86, 0x6B00, 0x6982, 0x6986, 0x6D00, 0x6E00)


@dataclass(frozen=True)
class AccessKey:
    """What the operator gave us to open the chip: MRZ data, CAN, or both."""

    mrz: BacKeyInfo | None = None
    can: str | None = None

    def __post_init__(self) -> None:
        if self.mrz is None and self.can is None:
            raise ValueError("an access key needs MRZ data or a CAN")
        if self.can is not None and not (len(self.can) == 6 and self.can.isdigit()):
            raise ValueError("CAN must be 6 digits")

    def __repr__(self) -> str:  # keys are personal data: never in logs
        return f"AccessKey(mrz={'set' if self.mrz else 'none'}, can={'set' if self.can else 'none'})"


@dataclass
class RawCardRead:
    """Files as read, plus how and at what cost."""

    access_method: str
    files: dict[int, bytes] = field(default_factory=dict)
    data_groups_on_card: tuple[int, ...] = ()
    apdu_count: int = 0
    bytes_read: int = 0
    card_seconds: float = 0.0
    total_seconds: float = 0.0
    chunk_size: int = 0
    chip_auth: str = "not_present"  # "ok" (fresh keys from DG14's key), "not_supported", "not_present"

    @property
    def own_seconds(self) -> float:
        """Time in our own code (crypto, framing, Python) rather than waiting for the card."""
        return max(0.0, self.total_seconds - self.card_seconds)


class CardReader:
    """Reads one card over a channel. Objects passed in; no global state."""

    def __init__(
        self, channel: ApduChannel, extended_length: bool = False, random: RandomSource = os.urandom
    ) -> None:
        self._channel = channel
        self._extended = extended_length
        self._random = random

    def _select_application(self) -> None:
        self._channel.send(Command(0x00, 0xA4, 0x04, 0x0C, EMRTD_AID, name="SELECT eMRTD application"))

    def _card_access(self) -> bytes | None:
        try:
            resp = self._channel.send(
                Command(0x00, 0xB0, 0x80 | CARD_ACCESS.sfi, 0x00, ne=256, name="READ BINARY EF.CardAccess"),
                accept=(SW_OK, SW_END_OF_FILE),
            )
        except StatusWordError as exc:
            if exc.sw in NO_CARD_ACCESS:
                return None  # no EF.CardAccess (or no SFI access to it): a BAC-only chip
            raise
        return resp.data or None

    def authenticate(self, key: AccessKey) -> str:
        """Open secure messaging; returns "PACE" or "BAC"."""
        raw_access = self._card_access()
        info = None
        if raw_access is not None:
            try:
                info = choose_pace(parse_card_access(raw_access))
            except ProtocolError as exc:
                log.warning("ignoring unusable EF.CardAccess: %s", exc)
        if info is not None:
            password = PacePassword.from_can(key.can) if key.can else None
            if password is None and key.mrz is not None:
                password = PacePassword.from_mrz_info(key.mrz.mrz_information())
            assert password is not None
            try:
                perform_pace(self._channel, info, password)
                self._select_application()
                return "PACE"
            except (ProtocolError, StatusWordError) as exc:
                if isinstance(exc, AccessDeniedError) or key.mrz is None:
                    raise
                log.info("PACE failed (%s); falling back to BAC", type(exc).__name__)
                self._channel.stop_secure_messaging()
        if key.mrz is None:
            raise AccessDeniedError(
                "the card offers no usable PACE; BAC needs document number, birth and expiry"
            )
        self._select_application()
        perform_bac(self._channel, key.mrz.mrz_information(), self._random)
        return "BAC"

    def _chip_authentication(self, dg14: bytes) -> str:
        """Run Chip Authentication when DG14 offers an ECDH variant we support."""
        try:
            plan = plan_from_dg14(parse_dg14(dg14))
        except (LdsError, ProtocolError) as exc:
            log.warning("DG14 unusable for Chip Authentication: %s", exc)
            return "not_supported"
        if plan is None:
            return "not_supported"
        perform_chip_authentication(self._channel, plan)
        return "ok"

    def read(self, key: AccessKey, groups: tuple[int, ...] = DEFAULT_GROUPS) -> RawCardRead:
        started = time.perf_counter()
        method = self.authenticate(key)
        reader = FileReader(self._channel, extended=self._extended)
        result = RawCardRead(access_method=method, chunk_size=reader.chunk)
        com = reader.read(COM)
        result.files[COM.fid] = com
        try:
            on_card = parse_com(com).data_groups
        except LdsError as exc:
            raise ProtocolError(f"EF.COM unreadable: {exc}") from None
        result.data_groups_on_card = on_card
        result.files[SOD.fid] = reader.read(SOD)
        if 14 in groups and 14 in on_card:
            dg14 = reader.read_optional(data_group(14))
            if dg14 is not None:
                result.files[data_group(14).fid] = dg14
                result.chip_auth = self._chip_authentication(dg14)
        just_switched = result.chip_auth == "ok"
        for number in groups:
            if number not in on_card or number == 14:
                continue
            try:
                content = reader.read_optional(data_group(number))
            except (SecureMessagingError, SmObjectsIncorrectError):
                if just_switched:  # the first command under the CA keys is the proof
                    raise ChipAuthenticationError(
                        "chip cannot use the keys of its own DG14: not genuine"
                    ) from None
                raise
            just_switched = False
            if content is not None:
                result.files[data_group(number).fid] = content
        result.chunk_size = reader.chunk
        result.bytes_read = reader.bytes_read
        result.apdu_count = self._channel.apdu_count
        result.card_seconds = self._channel.card_seconds
        result.total_seconds = time.perf_counter() - started
        return result
