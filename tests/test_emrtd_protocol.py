"""Protocol tests against our emulated chip in-process (fast; the PC/SC path is
covered by test_card_e2e.py), plus fuzzing of everything that parses card
answers: malformed input only ever raises our typed errors."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.cccd.lds_build import build_card_access
from devkit.cccd.testcard import TestPerson, TestPki, build_card_files
from devkit.emulator.card import EmulatedCard
from devkit.emulator.faults import Faults
from devkit.emulator.profile import CARD_ACCESS_FID, CardProfile, build_atr
from kiosk.cccd.dg14 import PaceInfo
from kiosk.emrtd.apdu import Command, Response
from kiosk.emrtd.cardaccess import parse_card_access
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.crypto import Cipher
from kiosk.emrtd.errors import (
    AccessDeniedError,
    EmrtdError,
    FileNotFoundOnCardError,
    InsNotSupportedError,
    MalformedResponseError,
    ProtocolError,
    SecureMessagingError,
    SecurityStatusError,
    SmObjectsIncorrectError,
    WrongLengthError,
    error_for_status,
)
from kiosk.emrtd.files import FileReader, data_group, extended_length_in_atr
from kiosk.emrtd.session import AccessKey, CardReader
from kiosk.emrtd.sm import SecureChannel, SessionKeys

PERSON = TestPerson.default()


@pytest.fixture(scope="module")
def files() -> dict[int, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        return build_card_files(PERSON, TestPki.generate(Path(tmp)))


def _profile(files: dict[int, bytes], **changes: object) -> CardProfile:
    base = CardProfile(
        files={k: v for k, v in files.items() if k != CARD_ACCESS_FID},
        document_number=PERSON.document_number,
        birth=PERSON.birth_yymmdd,
        expiry=PERSON.expiry_yymmdd,
        can=PERSON.can,
    )
    return base.with_files(**changes)


class DirectLink:
    """Our emulated chip wired straight to the channel (no pcscd)."""

    def __init__(self, card: EmulatedCard) -> None:
        self.card = card

    def transmit(self, apdu: bytes) -> bytes:
        return self.card.process(apdu)


@pytest.mark.parametrize("parameter_id", [12, 13], ids=["nist-p256", "brainpool-p256"])
@pytest.mark.parametrize("extended", [False, True], ids=["short", "extended"])
def test_pace_read_returns_every_file_exactly(files, parameter_id: int, extended: bool) -> None:
    card = EmulatedCard(_profile(files, pace_parameter_id=parameter_id, extended_length=extended))
    raw = CardReader(ApduChannel(DirectLink(card)), extended_length=extended).read(AccessKey(can=PERSON.can))
    assert raw.access_method == "PACE"
    for fid in (0x011E, 0x011D, 0x0101, 0x0102, 0x010D):
        assert raw.files[fid] == files[fid]


def test_bac_when_card_access_offers_nothing_we_support(files) -> None:
    dh_only = build_card_access([PaceInfo("0.4.0.127.0.7.2.2.4.1.2", 2, 0)])  # DH-GM: not implemented
    card = EmulatedCard(_profile(files).with_files(files={**files, CARD_ACCESS_FID: dh_only}))
    raw = CardReader(ApduChannel(DirectLink(card))).read(AccessKey(mrz=PERSON.bac_key_info()))
    assert raw.access_method == "BAC" and raw.files[0x010D] == files[0x010D]


def test_can_only_on_bac_only_card_is_access_denied_with_reason(files) -> None:
    card = EmulatedCard(_profile(files, pace=False))
    with pytest.raises(AccessDeniedError, match="BAC needs"):
        CardReader(ApduChannel(DirectLink(card))).read(AccessKey(can=PERSON.can))


def test_card_access_conditions(files) -> None:
    card = EmulatedCard(_profile(files))
    channel = ApduChannel(DirectLink(card))
    with pytest.raises(InsNotSupportedError):
        channel.send(Command(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00"))
    channel.send(Command(0x00, 0xA4, 0x04, 0x0C, bytes.fromhex("A0000002471001")))
    with pytest.raises(SecurityStatusError):  # no secure channel yet
        FileReader(channel).read(data_group(1))
    with pytest.raises(SmObjectsIncorrectError):  # protected command without a session
        channel.send(Command(0x0C, 0xB0, 0x81, 0x00, ne=4))


def test_absent_data_group_and_short_card_refusing_extended(files) -> None:
    card = EmulatedCard(_profile(files, extended_length=False))
    channel = ApduChannel(DirectLink(card))
    CardReader(channel).authenticate(AccessKey(can=PERSON.can))
    reader = FileReader(channel, extended=True)
    assert reader.read(data_group(1)) == files[0x0101]  # 6700 on the long read -> falls back to short
    assert reader.chunk == 223
    assert reader.read_optional(data_group(15)) is None
    with pytest.raises(FileNotFoundOnCardError):
        reader.read(data_group(14))


def test_status_words_map_to_typed_errors() -> None:
    assert isinstance(error_for_status(0x6700), WrongLengthError)
    assert isinstance(error_for_status(0x63C2), AccessDeniedError)
    assert error_for_status(0x6F00).sw == 0x6F00
    assert "6A82" in str(error_for_status(0x6A82, "SELECT"))


def test_atr_announces_extended_length() -> None:
    assert extended_length_in_atr(build_atr(True))
    assert not extended_length_in_atr(build_atr(False))


def test_bad_mac_from_card_poisons_the_session(files) -> None:
    card = EmulatedCard(_profile(files), Faults(bad_mac_after=9))
    channel = ApduChannel(DirectLink(card))
    with pytest.raises(SecureMessagingError):
        CardReader(channel).read(AccessKey(can=PERSON.can))
    assert not channel.secure


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_sm_unprotect_only_typed_errors(raw: bytes) -> None:
    sm = SecureChannel(SessionKeys(Cipher.AES128, bytes(16), bytes(range(16)), 5))
    sm.protect(Command(0x00, 0xB0, 0x00, 0x00, ne=16))
    with contextlib.suppress(SecureMessagingError, MalformedResponseError):
        sm.unprotect(Response.decode(raw))


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_card_access_parser(raw: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        parse_card_access(raw)


@FUZZ
@given(st.binary(max_size=40))
def test_fuzz_atr_parser_never_raises(raw: bytes) -> None:
    assert extended_length_in_atr(raw) in (True, False)


@FUZZ
@given(st.binary(min_size=0, max_size=300))
def test_fuzz_emulator_answers_any_command(files, raw: bytes) -> None:
    answer = EmulatedCard(_profile(files)).process(raw)
    assert len(answer) >= 2


class GarbageAfter:
    """A chip that starts answering noise after a few APDUs."""

    def __init__(self, card: EmulatedCard, after: int, noise: bytes) -> None:
        self.card, self.after, self.noise, self.count = card, after, noise, 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        return self.noise if self.count > self.after else self.card.process(apdu)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=10), st.binary(max_size=120))
def test_fuzz_read_with_garbage_answers_only_typed_errors(files, after: int, noise: bytes) -> None:
    card = EmulatedCard(_profile(files))
    with contextlib.suppress(EmrtdError):
        CardReader(ApduChannel(GarbageAfter(card, after, noise))).read(AccessKey(can=PERSON.can))


def test_cli_access_key_forms() -> None:
    from argparse import Namespace

    from edge.commands.card import _access_key

    base = {"can": None, "mrz": None, "doc_number": None, "birth": None, "expiry": None}
    from_mrz = _access_key(Namespace(**{**base, "mrz": PERSON.mrz_text()}))
    assert from_mrz.mrz == PERSON.bac_key_info()
    one_line = _access_key(Namespace(**{**base, "mrz": " ".join(PERSON.mrz_text().splitlines())}))
    assert one_line.mrz == PERSON.bac_key_info()
    typed = _access_key(
        Namespace(**{**base, "doc_number": PERSON.document_number, "birth": "960226", "expiry": "360226"})
    )
    assert typed.mrz.mrz_information() == PERSON.bac_key_info().mrz_information()
    assert _access_key(Namespace(**{**base, "can": "012345"})).can == "012345"
    with pytest.raises(ValueError):
        _access_key(Namespace(**{**base, "doc_number": "123456789"}))
    assert "012345" not in repr(AccessKey(can="012345"))  # keys never reach logs


def test_active_authentication_in_process(files) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from devkit.cccd.lds_build import build_dg15
    from kiosk.cccd import parse_dg15
    from kiosk.emrtd.active_auth import AaVerdict, active_authenticate

    key = ec.generate_private_key(ec.BrainpoolP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    def spki(k) -> bytes:
        return k.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    card = EmulatedCard(_profile(files, aa_key_pem=pem))
    channel = ApduChannel(DirectLink(card))
    CardReader(channel).authenticate(AccessKey(can=PERSON.can))
    good = active_authenticate(channel, parse_dg15(build_dg15(spki(key))))
    assert good.verdict is AaVerdict.OK and good.algorithm == "ecdsa-plain-sha256"
    other = ec.generate_private_key(ec.BrainpoolP256R1())
    assert active_authenticate(channel, parse_dg15(build_dg15(spki(other)))).verdict is AaVerdict.FAILED
    rsa_key = rsa.generate_private_key(65537, 2048)
    assert (
        active_authenticate(channel, parse_dg15(build_dg15(spki(rsa_key)))).verdict is AaVerdict.NOT_SUPPORTED
    )


@pytest.mark.parametrize(
    "protocol", ["0.4.0.127.0.7.2.2.3.2.2", "0.4.0.127.0.7.2.2.3.2.1"], ids=["aes", "3des"]
)
def test_chip_authentication_switches_keys_and_exposes_clones(files, protocol: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from devkit.emulator.card_ca import with_chip_authentication
    from kiosk.emrtd.chip_auth import ChipAuthenticationError

    def pem(key) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    with tempfile.TemporaryDirectory() as tmp:
        pki = TestPki.generate(Path(tmp))
        chip_key = ec.generate_private_key(ec.BrainpoolP256R1())
        issued = with_chip_authentication(build_card_files(PERSON, pki), pki, chip_key.public_key(), protocol)
        genuine = EmulatedCard(_profile(issued, ca_key_pem=pem(chip_key)))
        raw = CardReader(ApduChannel(DirectLink(genuine))).read(AccessKey(can=PERSON.can))
        assert raw.chip_auth == "ok" and raw.files[0x010D] == issued[0x010D] and raw.files[0x010E]
        clone = EmulatedCard(_profile(issued, ca_key_pem=pem(ec.generate_private_key(ec.BrainpoolP256R1()))))
        with pytest.raises(ChipAuthenticationError):
            CardReader(ApduChannel(DirectLink(clone))).read(AccessKey(can=PERSON.can))


@pytest.mark.parametrize(("fid", "check"), [(0x011D, "signature"), (0x0102, "hashes")], ids=["sod", "dg2"])
def test_emulator_corrupting_a_file_is_caught_by_passive_auth(fid: int, check: str) -> None:
    from kiosk.cccd.trust_store import TrustStore
    from kiosk.emrtd.chip_read import read_chip

    with tempfile.TemporaryDirectory() as tmp:
        pki = TestPki.generate(Path(tmp))
        card = EmulatedCard(_profile(build_card_files(PERSON, pki)), Faults(corrupt_files={fid}))
        result = read_chip(
            ApduChannel(DirectLink(card)), AccessKey(can=PERSON.can), TrustStore.from_directory(pki.trust_dir)
        )
    pa = result.passive_auth
    assert not pa.passed
    assert getattr(pa, check).value in ("failed", "mismatch")
    if fid == 0x0102:
        assert pa.mismatched_data_groups == (2,)


def test_read_retries_with_exact_length_after_6cxx(files) -> None:
    """A chip that refuses a Le past the end of a file and names the exact length (6Cxx)."""
    from kiosk.emrtd.files import CARD_ACCESS

    card = EmulatedCard(_profile(files))
    refused: list[bytes] = []

    class ExactLengthChip:
        def transmit(self, apdu: bytes) -> bytes:
            answer = card.process(apdu)
            if not refused and apdu[2] == 0x80 | CARD_ACCESS.sfi:
                refused.append(apdu)
                return bytes([0x6C, len(answer) - 2])
            return answer

    content = FileReader(ApduChannel(ExactLengthChip())).read(CARD_ACCESS)
    assert content == card.profile.card_files()[CARD_ACCESS_FID]
    assert refused


@pytest.mark.parametrize("pace", [True, False], ids=["pace", "bac"])
def test_wrong_key_fault_denies_access(files, pace: bool) -> None:
    card = EmulatedCard(_profile(files, pace=pace), Faults(wrong_key=True))
    key = AccessKey(mrz=PERSON.bac_key_info(), can=PERSON.can if pace else None)
    with pytest.raises(AccessDeniedError):
        CardReader(ApduChannel(DirectLink(card))).read(key)
