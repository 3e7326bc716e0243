"""Secure messaging (ICAO 9303-11 §9.8), terminal side, 3DES and AES.

The send sequence counter (SSC) is incremented before every command MAC and
again before checking every response MAC; a response whose MAC does not verify
poisons the session (`SecureMessagingError`), because from then on the two
counters may disagree and nothing the card says can be trusted."""

from __future__ import annotations

import hmac

from kiosk.emrtd.apdu import MAX_SHORT_NE, Command, Response
from kiosk.emrtd.crypto import Cipher, aes_cbc, aes_cmac8, aes_ecb, des3_cbc, pad, retail_mac, unpad
from kiosk.emrtd.errors import MalformedResponseError, SecureMessagingError
from kiosk.emrtd.tlv import encode_tlv, iter_tlv


class SessionKeys:
    """Session keys and SSC of one secure channel, plus the cipher mechanics.
    Shared by the terminal wrapper below and the emulator's card side."""

    def __init__(self, cipher: Cipher, ks_enc: bytes, ks_mac: bytes, ssc: int) -> None:
        self.cipher = cipher
        self.ks_enc = ks_enc
        self.ks_mac = ks_mac
        self.ssc = ssc

    @property
    def block(self) -> int:
        return self.cipher.block

    def ssc_bytes(self) -> bytes:
        return self.ssc.to_bytes(self.block, "big")

    def increment(self) -> None:
        self.ssc = (self.ssc + 1) % (1 << (8 * self.block))

    def encrypt(self, data: bytes) -> bytes:
        if self.cipher is Cipher.DES3:
            return des3_cbc(self.ks_enc, pad(data, 8))
        iv = aes_ecb(self.ks_enc, self.ssc_bytes())
        return aes_cbc(self.ks_enc, pad(data, 16), iv)

    def decrypt(self, data: bytes) -> bytes:
        if not data or len(data) % self.block:
            raise SecureMessagingError("encrypted data is not a whole number of blocks")
        if self.cipher is Cipher.DES3:
            return unpad(des3_cbc(self.ks_enc, data, decrypt=True))
        iv = aes_ecb(self.ks_enc, self.ssc_bytes())
        return unpad(aes_cbc(self.ks_enc, data, iv, decrypt=True))

    def mac(self, data: bytes) -> bytes:
        """MAC over SSC || data, padded (method 2) for both ciphers."""
        message = self.ssc_bytes() + data
        if self.cipher is Cipher.DES3:
            return retail_mac(self.ks_mac, message)  # pads internally
        return aes_cmac8(self.ks_mac, pad(message, 16))


def _le_bytes(ne: int, extended: bool) -> bytes:
    if extended:
        return (ne % 65536).to_bytes(2, "big")
    return bytes([ne % 256])


class SecureChannel:
    """Wraps commands and unwraps responses for one established session."""

    def __init__(self, keys: SessionKeys) -> None:
        self.keys = keys

    def protect(self, cmd: Command) -> Command:
        keys = self.keys
        cla = cmd.cla | 0x0C
        header = pad(bytes([cla, cmd.ins, cmd.p1, cmd.p2]), keys.block)
        extended = cmd.ne is not None and cmd.ne > MAX_SHORT_NE
        keys.increment()  # before encrypting: the AES IV is derived from this SSC
        body = b""
        if cmd.data:
            tag = 0x85 if cmd.ins & 1 else 0x87
            enc = keys.encrypt(cmd.data)
            body += encode_tlv(tag, enc if tag == 0x85 else b"\x01" + enc)
        if cmd.ne is not None:
            body += encode_tlv(0x97, _le_bytes(cmd.ne, extended))
        mac = keys.mac(header + body)
        data = body + encode_tlv(0x8E, mac)
        # Ask for everything the card has: the response length is implied by DO97.
        return Command(cla, cmd.ins, cmd.p1, cmd.p2, data, 65536 if extended else 256, cmd.name)

    def unprotect(self, resp: Response, command: str = "") -> Response:
        """Verify and decrypt a protected response. A plain status word without
        data objects is an error the card reports outside SM (e.g. 6988)."""
        keys = self.keys
        if not resp.data:
            keys.increment()  # the card counted this exchange too
            if resp.sw == 0x9000:
                raise SecureMessagingError(f"unprotected success answer to {command or 'command'}")
            return resp
        try:
            objects = list(iter_tlv(resp.data))
        except MalformedResponseError as exc:
            raise SecureMessagingError(f"malformed secure-messaging response: {exc}") from None
        encrypted: bytes | None = None
        sw_value: bytes | None = None
        mac: bytes | None = None
        mac_input = b""
        for tag, value, raw in objects:
            if tag in (0x87, 0x85):
                encrypted = value[1:] if tag == 0x87 else value
                if tag == 0x87 and (not value or value[0] != 0x01):
                    raise SecureMessagingError("DO87 without padding-content indicator 01")
                mac_input += raw
            elif tag == 0x99:
                sw_value = value
                mac_input += raw
            elif tag == 0x8E:
                mac = value
            else:
                raise SecureMessagingError(f"unexpected data object {tag:02X} in response")
        if mac is None or sw_value is None or len(sw_value) != 2:
            raise SecureMessagingError("response lacks DO99 or DO8E")
        keys.increment()
        if not hmac.compare_digest(keys.mac(mac_input), mac):  # constant time, like BAC and PACE
            raise SecureMessagingError("response MAC does not verify")
        data = keys.decrypt(encrypted) if encrypted else b""
        return Response(data, int.from_bytes(sw_value, "big"))
