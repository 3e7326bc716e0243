"""EF.CardAccess: the SecurityInfos that tell us whether (and how) the chip
does PACE, and what a PACEInfo means to the protocol (cipher, OID bytes for
MSE:Set AT and the authentication token). The PACEInfos themselves are the
ones the shared SecurityInfos decoder (`kiosk.cccd.dg14`) returns.

SecurityInfos ::= SET OF SEQUENCE { protocol OID, requiredData ANY,
optionalData ANY OPTIONAL }; for PACEInfo requiredData is the version and
optionalData the standardized domain parameter id."""

from __future__ import annotations

from asn1crypto import core

from kiosk.cccd.dg14 import ID_PACE, PaceInfo, parse_security_infos
from kiosk.cccd.errors import LdsError
from kiosk.emrtd.crypto import Cipher
from kiosk.emrtd.errors import ProtocolError

# ECDH generic mapping: last arc selects the cipher.
ECDH_GM = {
    f"{ID_PACE}.2.1": Cipher.DES3,
    f"{ID_PACE}.2.2": Cipher.AES128,
    f"{ID_PACE}.2.3": Cipher.AES192,
    f"{ID_PACE}.2.4": Cipher.AES256,
}
PACE_ECDH_GM_AES_128 = f"{ID_PACE}.2.2"


def supported(info: PaceInfo) -> bool:
    """ECDH generic mapping with a standardized curve: what we implement."""
    return info.protocol in ECDH_GM and info.version == 2 and info.parameter_id is not None


def pace_cipher(info: PaceInfo) -> Cipher:
    return ECDH_GM[info.protocol]


def oid_bytes(info: PaceInfo) -> bytes:
    """The OID's DER content octets, as MSE:Set AT and the token input want."""
    return core.ObjectIdentifier(info.protocol).contents


def parse_card_access(data: bytes) -> list[PaceInfo]:
    """All PACEInfos in EF.CardAccess (the DER decoding is the SecurityInfos
    parser shared with DG14; other SecurityInfos are skipped)."""
    try:
        infos = parse_security_infos(data)
    except LdsError as exc:
        raise ProtocolError(f"malformed EF.CardAccess: {exc}") from None
    return list(infos.pace)


def choose_pace(infos: list[PaceInfo]) -> PaceInfo | None:
    """The strongest PACEInfo we support, or None (then BAC is the way in)."""
    usable = [i for i in infos if supported(i)]
    order = [Cipher.AES256, Cipher.AES192, Cipher.AES128, Cipher.DES3]
    usable.sort(key=lambda i: order.index(pace_cipher(i)))
    return usable[0] if usable else None
