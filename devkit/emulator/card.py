"""The emulated CCCD chip: command dispatch, file system, access conditions.

Behaves like the real card where it matters to the reader: SELECT of the
master file answers 6D00, EF.CardAccess is readable by short EF id before any
authentication, the eMRTD files need an established secure channel (6982
otherwise), READ BINARY honours short EF ids, offsets and extended length, and
a secure-messaging error (6988) ends the session."""

from __future__ import annotations

from devkit.cccd.lds_build import pace_info
from devkit.emulator.card_auth import BacCard, PaceCard, load_aa_key, sign_challenge
from devkit.emulator.card_ca import ChipAuthCard
from devkit.emulator.card_sm import unwrap_command, wrap_response
from devkit.emulator.faults import Faults
from devkit.emulator.profile import CARD_ACCESS_FID, EMRTD_AID, CardProfile
from kiosk.cccd.mrz import BacKeyInfo
from kiosk.emrtd.apdu import Command
from kiosk.emrtd.errors import MalformedResponseError, SecureMessagingError
from kiosk.emrtd.sm import SessionKeys

SW_OK = 0x9000
SW_EOF = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_SECURITY = 0x6982
SW_NO_CURRENT_EF = 0x6986
SW_SM_OBJECTS = 0x6988
SW_NOT_FOUND = 0x6A82
SW_P1P2 = 0x6A86
SW_OFFSET = 0x6B00
SW_INS = 0x6D00
SW_CLA = 0x6E00


class EmulatedCard:
    """One chip. `process` takes a raw command APDU and returns the raw answer."""

    def __init__(self, profile: CardProfile, faults: Faults | None = None) -> None:
        self.profile = profile
        self.faults = faults or Faults()
        self._files = profile.card_files()
        for fid in self.faults.corrupt_files:
            if self._files.get(fid):
                content = self._files[fid]
                self._files[fid] = content[:-1] + bytes([content[-1] ^ 0x01])
        self.apdu_count = 0
        self._aa_key = load_aa_key(profile.aa_key_pem) if profile.aa_key_pem else None
        self._ca_key = load_aa_key(profile.ca_key_pem) if profile.ca_key_pem else None
        self.power_on()

    def power_on(self) -> None:
        """Reset to the state after the field came up: MF, no session."""
        self._app_selected = False
        self._current: int | None = None
        self._sm: SessionKeys | None = None
        mrz_info, can = self.profile.mrz_info, self.profile.can
        if self.faults.wrong_key:  # keys derived from other data than the terminal will use
            mrz_info = BacKeyInfo("000000000", "000101", "000101").mrz_information()
            can = "999999" if can != "999999" else "888888"
        self._bac = BacCard(mrz_info) if self.profile.bac else None
        info = pace_info(self.profile.pace_parameter_id)
        self._pace = PaceCard(info, mrz_info, can) if self.profile.pace else None
        self._ca = ChipAuthCard(self._ca_key) if self._ca_key is not None else None

    def process(self, raw: bytes) -> bytes:
        self.apdu_count += 1
        try:
            cmd = Command.decode(raw)
        except MalformedResponseError:
            return SW_WRONG_LENGTH.to_bytes(2, "big")
        override = self.faults.status_overrides.get(cmd.ins)
        if override is not None and self.apdu_count >= self.faults.status_overrides_from:
            return override.to_bytes(2, "big")
        sm = self._sm
        if sm is None and cmd.cla & 0x0C:
            return SW_SM_OBJECTS.to_bytes(2, "big")  # protected command without a session
        if sm is not None and cmd.cla & 0x0C:
            try:
                cmd = unwrap_command(sm, cmd)
            except SecureMessagingError:
                self._sm = None
                return SW_SM_OBJECTS.to_bytes(2, "big")
        elif sm is not None:
            self._sm = None  # a plain command ends secure messaging, as on real chips
        data, sw, new_keys = self._dispatch(cmd, secure=sm is not None and self._sm is sm)
        if cmd.ne is not None and len(data) > cmd.ne:
            data = data[: cmd.ne]
        if sm is not None and self._sm is sm:
            bad = self.faults.bad_mac_after is not None and self.apdu_count >= self.faults.bad_mac_after
            answer = wrap_response(sm, data, sw, corrupt_mac=bad)
            if not self.profile.extended_length and len(answer) > 258:
                answer = SW_WRONG_LENGTH.to_bytes(2, "big")
        else:
            answer = data + sw.to_bytes(2, "big")
        if new_keys is not None:
            self._sm = new_keys
        cut = self.faults.truncate_after
        if cut is not None and self.apdu_count >= cut:
            answer = answer[:-5] if len(answer) > 5 else answer[:1]
        return answer

    def _dispatch(self, cmd: Command, secure: bool) -> tuple[bytes, int, SessionKeys | None]:
        if cmd.cla & ~0x10 & 0xFF:  # only plain interindustry CLA, optionally chained
            return b"", SW_CLA, None
        ins = cmd.ins
        if ins == 0xA4:
            return self._select(cmd, secure)
        if ins == 0xB0:
            return self._read_binary(cmd, secure)
        if ins == 0x84 and self._bac and self._app_selected:
            return self._bac.get_challenge()
        if ins == 0x82 and self._bac and self._app_selected:
            return self._bac.mutual_authenticate(cmd)
        if ins == 0x22 and cmd.p1 == 0xC1 and cmd.p2 == 0xA4 and self._pace:
            return self._pace.set_at(cmd)
        if ins == 0x22 and cmd.p1 == 0x41 and self._ca and secure:
            return self._ca.set_at(cmd) if cmd.p2 == 0xA4 else self._ca.set_kat(cmd)
        if ins == 0x86 and self._ca and self._ca.pending and secure:
            return self._ca.general_authenticate(cmd)
        if ins == 0x86 and self._pace:
            return self._pace.general_authenticate(cmd)
        if ins == 0x88 and self._aa_key is not None:
            if not secure:
                return b"", SW_SECURITY, None
            return sign_challenge(self._aa_key, cmd.data), SW_OK, None
        return b"", SW_INS, None

    def _select(self, cmd: Command, secure: bool) -> tuple[bytes, int, None]:
        if cmd.p1 == 0x04:
            if cmd.data == EMRTD_AID:
                self._app_selected, self._current = True, None
                return b"", SW_OK, None
            return b"", SW_NOT_FOUND, None
        if cmd.p1 == 0x00 and cmd.data in (b"", b"\x3f\x00"):
            return b"", SW_INS, None  # the CCCD refuses to select the MF
        if cmd.p1 == 0x02 and len(cmd.data) == 2:
            fid = int.from_bytes(cmd.data, "big")
            if fid not in self._files or (fid != CARD_ACCESS_FID and not self._app_selected):
                return b"", SW_NOT_FOUND, None
            if fid != CARD_ACCESS_FID and not secure:
                return b"", SW_SECURITY, None
            self._current = fid
            return b"", SW_OK, None
        return b"", SW_P1P2, None

    def _read_binary(self, cmd: Command, secure: bool) -> tuple[bytes, int, None]:
        if cmd.p1 & 0x80:
            fid, offset = 0x0100 | (cmd.p1 & 0x1F), cmd.p2
            if fid not in self._files:
                return b"", SW_NOT_FOUND, None
            if fid != CARD_ACCESS_FID and not (self._app_selected and secure):
                return b"", SW_SECURITY, None
            if fid == CARD_ACCESS_FID and self._app_selected:
                return b"", SW_NOT_FOUND, None  # EF.CardAccess lives in the MF
            self._current = fid
        else:
            if self._current is None:
                return b"", SW_NO_CURRENT_EF, None
            fid, offset = self._current, (cmd.p1 << 8) | cmd.p2
            if fid != CARD_ACCESS_FID and not secure:
                return b"", SW_SECURITY, None
        ne = cmd.ne or 256
        if ne > 256 and not self.profile.extended_length:
            return b"", SW_WRONG_LENGTH, None
        content = self._files[fid]
        if offset > len(content):
            return b"", SW_OFFSET, None
        data = content[offset : offset + ne]
        return data, SW_OK if len(data) == ne else SW_EOF, None
