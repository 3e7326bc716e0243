"""End to end through the real stack: pyscard -> pcscd -> vsmartcard-vpcd ->
our CCCD emulator. Each APDU costs ~45 ms here, so the tests are few and each
checks several things about one read."""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from devkit.cccd.testcard import default_portrait
from devkit.emulator.faults import Faults
from devkit.emulator.stack import presented
from drivers.pcsc.connection import CardConnection
from drivers.pcsc.context import PcscContext
from drivers.pcsc.errors import CardRemovedError, NoCardError, NoReaderError, ReaderTimeoutError
from kiosk.cccd.pa_result import ChainVerdict, DgHashVerdict, HashVerdict, SignatureVerdict
from kiosk.cccd.trust_store import TrustStore
from kiosk.emrtd.apdu import Command
from kiosk.emrtd.channel import ApduChannel
from kiosk.emrtd.chip_read import ChipReadResult, read_chip
from kiosk.emrtd.errors import AccessDeniedError, InsNotSupportedError, SecureMessagingError, StatusWordError
from kiosk.emrtd.session import AccessKey

pytestmark = [pytest.mark.pcsc, pytest.mark.timeout(120)]
REPO = Path(__file__).resolve().parent.parent


def _edge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", "card", "read", *args], capture_output=True, text=True, timeout=60
    )


def _read(kit, key: AccessKey, extended: bool = True, trust: bool = True) -> ChipReadResult:
    store = TrustStore.from_directory(kit.trust_dir) if trust else TrustStore([])
    with PcscContext() as ctx, CardConnection(ctx, kit.reader, deadline_s=30) as conn:
        return read_chip(ApduChannel(conn), key, store, extended_length=extended)


def test_pace_read_cli_json_keeps_vietnamese_text_exact(pcsc_stack, card_kit) -> None:
    person = card_kit.person
    keys = {
        "aa_key": ec.generate_private_key(ec.SECP256R1()),
        "ca_key": ec.generate_private_key(ec.SECP256R1()),
    }
    with presented(card_kit.profile(**keys)):
        done = _edge(
            "--reader", "Virtual PCD 00 00", "--can", person.can, "--csca", str(card_kit.trust_dir), "--json"
        )
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    ident = out["identity"]
    assert out["access_method"] == "PACE" and out["genuine"] is True
    assert ident["full_name"] == "Nguyễn Thị Hồng Nhung"
    assert ident["place_of_origin"] == person.place_of_origin
    assert ident["place_of_residence"] == person.place_of_residence
    assert ident["identifying_marks"] == person.identifying_marks
    assert ident["father_name"] == person.father_name and ident["mother_name"] == person.mother_name
    assert ident["personal_number"] == person.personal_number and ident["partial"] is False
    assert base64.b64decode(out["photo"]["base64"]) == default_portrait()
    pa = out["passive_authentication"]
    assert (pa["hashes"], pa["signature"], pa["chain"]) == ("ok", "ok", "ok")
    assert set(out["timings"]) == {"card_s", "protocol_s", "parse_verify_s", "total_s"}
    assert out["active_authentication"]["verdict"] == "ok"  # DG15 present: the chip proved its key
    assert out["chip_authentication"] == "ok"  # DG14 present: personal data read under CA keys
    assert out["data_groups_read"] == [1, 2, 13, 14, 15]
    assert out["passive_authentication"]["data_groups"] == {
        "1": "ok",
        "2": "ok",
        "13": "ok",
        "14": "ok",
        "15": "ok",
    }
    assert out["apdu_count"] <= 17  # extended length: one READ BINARY per file, + CA (2) + AA (1)


def test_bac_read_on_bac_only_card_with_short_apdus(pcsc_stack, card_kit) -> None:
    """No EF.CardAccess -> BAC; no extended length -> 223-byte chunks within budget."""
    profile = card_kit.profile(pace=False, extended_length=False)
    with presented(profile):
        result = _read(card_kit, AccessKey(mrz=card_kit.person.bac_key_info()), extended=False)
        with PcscContext() as ctx, CardConnection(ctx, card_kit.reader) as conn:
            mf = ApduChannel(conn)
            with pytest.raises(InsNotSupportedError):  # the CCCD's answer to SELECT MF
                mf.send(Command(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00", name="SELECT MF"))
    assert result.raw.access_method == "BAC"
    assert result.passive_auth.passed
    assert result.raw.chunk_size == 223
    assert result.raw.apdu_count <= math.ceil(result.raw.bytes_read / 223) + 12
    assert result.identity.full_name == card_kit.person.full_name


def test_wrong_keys_are_access_denied(pcsc_stack, card_kit) -> None:
    wrong_mrz = card_kit.person.replace(personal_number="079196099999").bac_key_info()
    with presented(card_kit.profile(pace=False)), pytest.raises(AccessDeniedError):
        _read(card_kit, AccessKey(mrz=wrong_mrz))
    with presented(card_kit.profile()):
        done = _edge("--reader", "Virtual PCD 00 00", "--can", "000000", "--json")
    assert done.returncode == 5
    assert json.loads(done.stdout)["error"] == "access_denied"


def test_card_removed_mid_read_then_clean_retry(pcsc_stack, card_kit) -> None:
    faults = Faults(remove_after=9)
    with presented(card_kit.profile(extended_length=False), faults) as emulator:
        with pytest.raises(CardRemovedError):
            _read(card_kit, AccessKey(can=card_kit.person.can), extended=False)
        with PcscContext() as ctx:  # the emulator puts the card back
            ctx.wait_for_card(card_kit.reader, 10)
        retry = _read(card_kit, AccessKey(can=card_kit.person.can))
    assert emulator.link.removals == 1
    assert retry.passive_auth.passed and not retry.identity.partial


def test_cloned_chip_fails_active_authentication(pcsc_stack, card_kit) -> None:
    """A perfect copy of the data (PA passes) on a chip without the original AA key."""
    genuine_key, clone_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    with presented(card_kit.profile(aa_key=genuine_key, card_aa_key=clone_key)):
        result = _read(card_kit, AccessKey(can=card_kit.person.can))
        done = _edge(
            "--reader", "Virtual PCD 00 00", "--can", card_kit.person.can, "--csca", str(card_kit.trust_dir)
        )
    assert result.passive_auth.passed
    assert result.active_auth.verdict.value == "failed"
    assert done.returncode == 7


def test_tampered_dg13_fails_passive_authentication(pcsc_stack, card_kit) -> None:
    with presented(card_kit.profile(tamper=[13])):
        result = _read(card_kit, AccessKey(can=card_kit.person.can))
        done = _edge(
            "--reader", "Virtual PCD 00 00", "--can", card_kit.person.can, "--csca", str(card_kit.trust_dir)
        )
    pa = result.passive_auth
    assert pa.hashes is HashVerdict.MISMATCH
    assert pa.dg_hashes[13] is DgHashVerdict.MISMATCH and pa.dg_hashes[1] is DgHashVerdict.OK
    assert pa.signature is SignatureVerdict.OK and pa.chain is ChainVerdict.OK
    assert done.returncode == 7


def test_missing_dg13_fields_flag_partial_result(pcsc_stack, card_kit) -> None:
    with presented(card_kit.profile(omit_dg13_fields=("religion", "place_of_origin", "father_name"))):
        result = _read(card_kit, AccessKey(can=card_kit.person.can))
    assert result.identity.partial
    assert {"religion", "place_of_origin", "father_name"} <= set(result.identity.missing_fields)
    assert result.passive_auth.passed  # the card was issued that way: genuine, just incomplete


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(bad_mac_after=8), SecureMessagingError),
        (Faults(truncate_after=8), SecureMessagingError),
        (Faults(status_overrides={0xB0: 0x6F00}), StatusWordError),
        (Faults(status_overrides={0xB0: 0x6F00}, status_overrides_from=8), StatusWordError),
    ],
    ids=["bad-mac", "truncated", "unexpected-sw-before-auth", "unexpected-sw-in-sm"],
)
def test_malformed_card_answers_raise_typed_errors(pcsc_stack, card_kit, faults, error) -> None:
    with presented(card_kit.profile(), faults), pytest.raises(error):
        _read(card_kit, AccessKey(can=card_kit.person.can))


def test_slow_card_hits_read_deadline(pcsc_stack, card_kit) -> None:
    with (
        presented(card_kit.profile(), Faults(delay_s=0.4)),
        PcscContext() as ctx,
        CardConnection(ctx, card_kit.reader, deadline_s=1.0) as conn,
        pytest.raises(ReaderTimeoutError),
    ):
        read_chip(ApduChannel(conn), AccessKey(can=card_kit.person.can), TrustStore([]))


def test_no_card_and_no_reader_exit_codes(pcsc_stack, card_kit) -> None:
    assert _edge("--reader", "Virtual PCD 00 00", "--can", "123456", "--wait", "0.5").returncode == 4
    assert _edge("--reader", "No Such Reader", "--can", "123456").returncode == 3
    with PcscContext() as ctx:
        with pytest.raises(NoReaderError):
            ctx.wait_for_reader("No Such Reader", 0.5)  # hot-plug wait on the PnP pseudo-reader
        assert ctx.wait_for_reader("Virtual PCD 00 01", 0.5) == "Virtual PCD 00 01"
        with pytest.raises(NoCardError):
            CardConnection(ctx, "Virtual PCD 00 01")  # empty slot: no card to connect to


def test_exclusive_access_during_a_read(pcsc_stack, card_kit) -> None:
    from drivers.pcsc.errors import ReaderBusyError

    with (
        presented(card_kit.profile()),
        PcscContext() as ctx,
        CardConnection(ctx, card_kit.reader),
        PcscContext() as other,
        pytest.raises(ReaderBusyError),
    ):
        CardConnection(other, card_kit.reader)


def test_emulator_command_line_serves_the_demo_card(pcsc_stack, tmp_path) -> None:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "devkit.emulator", "--card", "demo", "--pki", str(tmp_path / "pki")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        first = emulator.stdout.readline()
        assert "test CSCA" in first
        ready = emulator.stdout.readline()
        can = ready.split("CAN ")[1].split(",")[0]
        with PcscContext() as ctx:
            ctx.wait_for_card("Virtual PCD 00 00", 10)
        done = _edge(
            "--reader",
            "Virtual PCD 00 00",
            "--can",
            can,
            "--csca",
            str(tmp_path / "pki" / "csca"),
            "--no-photo",
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "via PACE" in done.stdout
    finally:
        emulator.terminate()
        emulator.wait(10)
        with PcscContext() as ctx:
            ctx.wait_for_removal("Virtual PCD 00 00", 10)


def test_read_with_device_config_defaults(pcsc_stack, card_kit, tmp_path) -> None:
    """A provisioned kiosk: reader, CSCA folder and timeouts come from the config's kiosk section."""
    profile_yaml = (REPO / "firmware_config" / "profiles" / "guesthouse-kiosk.yaml").read_text(
        encoding="utf-8"
    )
    config = tmp_path / "kiosk.yaml"
    config.write_text(
        profile_yaml.replace(
            "  csca_dir: /etc/vn-edge/csca",
            f"  csca_dir: {card_kit.trust_dir}\n  reader: Virtual PCD 00 00\n  read_photo: false",
        ),
        encoding="utf-8",
    )
    with presented(card_kit.profile()):
        done = _edge("--config", str(config), "--can", card_kit.person.can, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["trust_store"] == str(card_kit.trust_dir) and out["photo"] is None
    assert out["passive_authentication"]["chain"] == "ok"


def test_card_read_is_never_genuine_without_a_trust_store_unless_told(pcsc_stack, card_kit) -> None:
    """One genuineness policy (kiosk/emrtd/genuineness.py) for `edge card read` and the kiosk."""
    with presented(card_kit.profile()):
        strict = _edge("--reader", "Virtual PCD 00 00", "--can", card_kit.person.can, "--json", "--no-photo")
        told = _edge(
            "--reader",
            "Virtual PCD 00 00",
            "--can",
            card_kit.person.can,
            "--no-photo",
            "--accept-without-csca",
        )
    assert strict.returncode == 7, strict.stdout + strict.stderr
    out = json.loads(strict.stdout)
    assert out["genuine"] is False and out["not_genuine_reasons"] == ["chain_unknown_csca"]
    assert told.returncode == 0, told.stdout + told.stderr
