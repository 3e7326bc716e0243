"""EF.CardAccess: the SecurityInfos that tell us whether (and how) the chip
does PACE, as protocol objects (cipher, OID bytes for MSE:Set AT and the
authentication token). Built here for the emulator, parsed with the shared
SecurityInfos decoder so the emulator writes exactly what the reader parses.

SecurityInfos ::= SET OF SEQUENCE { protocol OID, requiredData ANY,
optionalData ANY OPTIONAL }; for PACEInfo requiredData is the version and
optionalData the standardized domain parameter id."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core

from kiosk.cccd.dg14 import parse_security_infos
from kiosk.cccd.errors import LdsError
from kiosk.emrtd.crypto import Cipher
from kiosk.emrtd.errors import ProtocolError
from kiosk.emrtd.tlv import encode_tlv

ID_PACE = "0.4.0.127.0.7.2.2.4"
# ECDH generic mapping: last arc selects the cipher.
ECDH_GM = {
    f"{ID_PACE}.2.1": Cipher.DES3,
    f"{ID_PACE}.2.2": Cipher.AES128,
    f"{ID_PACE}.2.3": Cipher.AES192,
    f"{ID_PACE}.2.4": Cipher.AES256,
}
PACE_ECDH_GM_AES_128 = f"{ID_PACE}.2.2"


@dataclass(frozen=True)
class PaceInfo:
    protocol: str
    version: int
    parameter_id: int | None

    @property
    def supported(self) -> bool:
        """ECDH generic mapping with a standardized curve: what we implement."""
        return self.protocol in ECDH_GM and self.version == 2 and self.parameter_id is not None

    @property
    def cipher(self) -> Cipher:
        return ECDH_GM[self.protocol]

    @property
    def oid_bytes(self) -> bytes:
        """The OID's DER content octets, as MSE:Set AT and the token input want."""
        return core.ObjectIdentifier(self.protocol).contents


def parse_card_access(data: bytes) -> list[PaceInfo]:
    """All PACEInfos in EF.CardAccess (the DER decoding is the LDS engineer's
    SecurityInfos parser, shared with DG14; other SecurityInfos are skipped)."""
    try:
        infos = parse_security_infos(data)
    except LdsError as exc:
        raise ProtocolError(f"malformed EF.CardAccess: {exc}") from None
    return [PaceInfo(i.protocol, i.version, i.parameter_id) for i in infos.pace]


def choose_pace(infos: list[PaceInfo]) -> PaceInfo | None:
    """The strongest PACEInfo we support, or None (then BAC is the way in)."""
    usable = [i for i in infos if i.supported]
    order = [Cipher.AES256, Cipher.AES192, Cipher.AES128, Cipher.DES3]
    usable.sort(key=lambda i: order.index(i.cipher))
    return usable[0] if usable else None


def build_card_access(infos: list[PaceInfo]) -> bytes:
    """DER EF.CardAccess content for the given PACEInfos (emulator, tests)."""
    items = []
    for info in infos:
        body = core.ObjectIdentifier(info.protocol).dump() + core.Integer(info.version).dump()
        if info.parameter_id is not None:
            body += core.Integer(info.parameter_id).dump()
        items.append(encode_tlv(0x30, body))
    return encode_tlv(0x31, b"".join(sorted(items)))  # DER SET OF: sorted encodings
