"""Known-answer tests: ICAO Doc 9303 Part 11's worked examples (Appendix D:
BAC key derivation, mutual authentication, secure messaging of SELECT and
READ BINARY; Appendix G: PACE generic mapping on brainpoolP256r1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.emrtd.apdu import Command, Response
from kiosk.emrtd.bac import document_keys, key_seed, perform_bac
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.crypto import Cipher, retail_mac
from kiosk.emrtd.errors import SecureMessagingError
from kiosk.emrtd.sm import SecureChannel, SessionKeys

H = bytes.fromhex
MRZ_INFO = "L898902C<369080619406236"
KS_ENC = H("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = H("F1CB1F1FB5ADF208806B89DC579DC1F8")


def test_bac_key_derivation_d2() -> None:
    assert key_seed(MRZ_INFO) == H("239AB9CB282DAF66231DC5A4DF6BFBAE")
    k_enc, k_mac = document_keys(MRZ_INFO)
    assert k_enc == H("AB94FDECF2674FDFB9B391F85D7F76F2")
    assert k_mac == H("7962D9ECE03D1ACD4C76089DCE131543")


def test_retail_mac_d3() -> None:
    e_ifd = H("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
    assert retail_mac(H("7962D9ECE03D1ACD4C76089DCE131543"), e_ifd) == H("5F1448EEA8AD90A7")


class RecordedCard:
    """Replays the chip side of the worked example and records what we sent."""

    def __init__(self, answers: list[str]) -> None:
        self._answers: Iterator[str] = iter(answers)
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return H(next(self._answers))


def test_bac_mutual_authentication_d3() -> None:
    card = RecordedCard(
        [
            "4608F919887022129000",
            "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000",
        ]
    )
    randoms = iter([H("781723860C06C226"), H("0B795240CB7049B01C19B33E32804F0B")])
    channel = ApduChannel(card)
    keys = perform_bac(channel, MRZ_INFO, random=lambda n: next(randoms))
    assert card.sent[0] == H("0084000008")
    assert card.sent[1] == H(
        "008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728"
    )
    assert keys.ks_enc == KS_ENC
    assert keys.ks_mac == KS_MAC
    assert keys.ssc == 0x887022120C06C226
    assert channel.secure


def _sm() -> SecureChannel:
    return SecureChannel(SessionKeys(Cipher.DES3, KS_ENC, KS_MAC, 0x887022120C06C226))


def test_secure_messaging_select_and_read_binary_d4() -> None:
    sm = _sm()
    select = sm.protect(Command(0x00, 0xA4, 0x02, 0x0C, H("011E")))
    assert select.encode() == H("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    assert sm.unprotect(Response.decode(H("990290008E08FA855A5D4C50A8ED9000"))) == Response(b"", 0x9000)

    read4 = sm.protect(Command(0x00, 0xB0, 0x00, 0x00, ne=4))
    assert read4.encode() == H("0CB000000D9701048E08ED6705417E96BA5500")
    first = sm.unprotect(Response.decode(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")))
    assert first == Response(H("60145F01"), 0x9000)

    read18 = sm.protect(Command(0x00, 0xB0, 0x00, 0x04, ne=0x12))
    assert read18.encode() == H("0CB000040D9701128E082EA28A70F3C7B53500")
    rest = sm.unprotect(
        Response.decode(
            H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000")
        )
    )
    assert rest.data == H("04303130365F36063034303030305C026175")
    assert sm.keys.ssc == 0x887022120C06C22C


def test_secure_messaging_rejects_bad_mac() -> None:
    sm = _sm()
    sm.protect(Command(0x00, 0xA4, 0x02, 0x0C, H("011E")))
    with pytest.raises(SecureMessagingError, match="MAC"):
        sm.unprotect(Response.decode(H("990290008E08FA855A5D4C50A8EE9000")))


@pytest.mark.parametrize(
    "raw",
    [
        "9000",  # success without any data object
        "99029000",  # truncated: the MAC object is missing
        "990290008E08FA855A5D4C509000",  # DO8E claims 8 bytes, has 6
        "870501AABBCCDD990290008E08FA855A5D4C50A8ED9000",  # MAC wrong for this content
        "770290008E08FA855A5D4C50A8ED9000",  # unknown data object
    ],
)
def test_malformed_sm_responses_raise_typed_error(raw: str) -> None:
    sm = _sm()
    sm.protect(Command(0x00, 0xA4, 0x02, 0x0C, H("011E")))
    with pytest.raises(SecureMessagingError):
        sm.unprotect(Response.decode(H(raw)))
