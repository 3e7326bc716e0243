"""`edge provision` of a kiosk into a staging root: the CSCA trust store (--csca) and
the staff PIN as an encrypted systemd credential with its unit drop-in; a second run
changes nothing; unusable input (no CSCA, a non-CA certificate, a bad PIN) is refused
before anything changes; `edge doctor` checks both and fails each once on purpose."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from devkit.cccd.test_pki import TestPki
from edge.checks.findings import Severity
from edge.checks.kiosk_setup import kiosk_findings
from edge.cli import main as edge_main
from edge.exit_codes import ExitCode
from edge.kiosk.pin import PinChecker
from edge.provision.credentials import checks_credentials, seal
from edge.provision.layout import Layout
from edge.provision.unit import installed_unit_text
from firmware_config import load_config
from tests.staging import staging_root

DEVICE = "hcm-q5-pawn-0301"
PIN = "482915"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return staging_root(tmp_path / "root")


@pytest.fixture
def cards(tmp_path: Path) -> TestPki:
    return TestPki.generate(tmp_path / "cards")


@pytest.fixture
def pin_file(tmp_path: Path) -> Path:
    path = tmp_path / "pin.txt"
    path.write_text(PIN + "\n")
    return path


def provision(root: Path, *extra: str) -> list[str]:
    return [
        "provision", "--root", str(root), "--role", "pawnshop_kiosk", "--id", DEVICE,
        "--broker", "127.0.0.1:9", "--site", "Tiệm thử", *extra,
    ]  # fmt: skip


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def findings(root: Path) -> dict[str, object]:
    cfg = load_config(root / "etc/vn-edge/config.yaml")
    return {f.check: f for f in kiosk_findings(cfg, root, None)}


def test_a_kiosk_gets_its_trust_store_and_staff_pin_and_a_second_run_changes_nothing(
    root, cards, pin_file, capsys
):
    args = provision(root, "--csca", str(cards.trust_dir / "csca.pem"), "--staff-pin-file", str(pin_file))
    assert edge_main(args) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "changed  CSCA csca.pem" in out and "changed  staff PIN credential" in out
    csca = root / "etc/vn-edge/csca/csca.pem"
    assert csca.read_bytes() == (cards.trust_dir / "csca.pem").read_bytes()
    assert mode(csca) == 0o640 and csca.stat().st_uid == 0
    cred = root / "etc/vn-edge/credentials/kiosk-pin.cred"
    assert mode(cred) == 0o600 and cred.stat().st_uid == 0
    assert PIN.encode() not in cred.read_bytes() and b"pbkdf2" not in cred.read_bytes()  # sealed
    dropin = root / "etc/systemd/system/vn-edge.service.d/kiosk.conf"
    assert "LoadCredentialEncrypted=kiosk-pin:/etc/vn-edge/credentials/kiosk-pin.cred" in dropin.read_text()
    layout = Layout(root)
    with checks_credentials(layout, installed_unit_text(layout)) as creds:  # as the unit will hand it over
        stored = (Path(creds) / "kiosk-pin").read_text()
    assert stored.startswith("pbkdf2-sha256$") and PinChecker(stored).check(PIN) is None
    assert PinChecker(stored).check("000000") is not None

    found = findings(root)
    assert found["kiosk.csca"].severity == Severity.OK, found["kiosk.csca"]
    assert found["kiosk.staff_pin"].severity == Severity.OK, found["kiosk.staff_pin"]

    # again, without the CSCA file or the PIN: both are in place, nothing to change
    before = cred.read_bytes()
    assert edge_main(provision(root)) == 0
    assert "provision: nothing to change" in capsys.readouterr().out
    assert cred.read_bytes() == before


def test_unusable_kiosk_input_is_refused_before_anything_changes(root, cards, pin_file, tmp_path, capsys):
    cases = {
        "holds no CSCA certificate": provision(root, "--staff-pin-file", str(pin_file)),
        "not a CA certificate": provision(
            root, "--csca", str(cards.directory / "private/ds.pem"), "--staff-pin-file", str(pin_file)
        ),
        "not an X.509 certificate": provision(
            root, "--csca", str(pin_file.with_suffix(".pem")), "--staff-pin-file", str(pin_file)
        ),
        "4 to 12 digits": provision(
            root, "--csca", str(cards.trust_dir / "csca.pem"), "--staff-pin-file", str(tmp_path / "bad-pin")
        ),
        "staff-pin-file": provision(root, "--csca", str(cards.trust_dir / "csca.pem")),
    }
    pin_file.with_suffix(".pem").write_text("not a certificate\n")
    (tmp_path / "bad-pin").write_text("12ab\n")
    for reason, args in cases.items():
        capsys.readouterr()
        assert edge_main(args) == ExitCode.USAGE, reason
        err = capsys.readouterr().err
        assert reason in err, (reason, err)
        assert not (root / "etc/vn-edge").exists(), reason  # nothing made
    capsys.readouterr()
    assert edge_main([*provision(root), "--role", "intersection_camera", "--csca", "x.pem"]) == ExitCode.USAGE
    assert "for kiosk roles" in capsys.readouterr().err


def test_doctor_fails_each_kiosk_check_once_on_purpose(root, cards, pin_file, capsys):
    args = provision(root, "--csca", str(cards.trust_dir / "csca.pem"), "--staff-pin-file", str(pin_file))
    assert edge_main(args) == 0, capsys.readouterr()
    csca = root / "etc/vn-edge/csca/csca.pem"
    dropin = root / "etc/systemd/system/vn-edge.service.d/kiosk.conf"
    cred = root / "etc/vn-edge/credentials/kiosk-pin.cred"

    def failing(check: str, words: str) -> None:
        f = findings(root)[check]
        assert f.severity == Severity.FAIL and words in f.detail and f.fix, f

    good = csca.read_bytes()
    csca.write_bytes((cards.directory / "private/ds.pem").read_bytes())
    failing("kiosk.csca", "not a CA certificate")
    csca.unlink()
    failing("kiosk.csca", "holds no certificate files")
    csca.write_bytes(good)

    text = dropin.read_text()
    dropin.unlink()
    failing("kiosk.staff_pin", "does not load credential 'kiosk-pin'")
    dropin.write_text(text)
    sealed = cred.read_bytes()
    cred.unlink()
    failing("kiosk.staff_pin", "does not exist")
    seal(Layout(root), "kiosk-pin", PIN.encode(), cred, encrypted=True)  # the PIN itself, not its hash
    failing("kiosk.staff_pin", "not a pbkdf2-sha256")
    cred.write_bytes(sealed)
    assert all(f.severity == Severity.OK for f in findings(root).values())
