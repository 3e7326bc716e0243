"""`edge provision` into a staging root (never the test machine's /etc): the first run
makes user, directories, key, CSR, configuration, outbox key credential and the
enabled unit; a second run changes nothing and says so; `--dry-run` changes nothing;
`--install-cert` refuses a wrong certificate (CN, key, chain, expired) with the reason
and installs a good one, then `validate` and `selftest publish` pass against a real
broker with mutual TLS."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devkit.central import new_command_key, pinned_key
from devkit.pki import DevPki
from edge.cli import main as edge_main
from edge.pki.keys import csr_common_name
from tests.staging import staging_root

pytestmark = pytest.mark.broker

DEVICE = "hcm-q1-cam-0301"


def provision(root: Path, broker, *extra: str, key=None) -> list[str]:
    args = ["provision", "--root", str(root), "--role", "intersection_camera", "--id", DEVICE]
    args += [
        "--broker",
        f"{broker.host}:{broker.port}",
        "--site",
        "Ngã tư thử",
        "--camera",
        "north=rtsp://127.0.0.1:9/x",
    ]
    if key is not None:
        args += ["--command-key", pinned_key(key)]
    return [*args, *extra]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return staging_root(tmp_path / "root")


def test_first_run_sets_up_the_device_and_the_second_changes_nothing(root, tls_acl_broker, capsys):
    key = new_command_key()
    assert edge_main(provision(root, tls_acl_broker, key=key)) == 0
    out = capsys.readouterr().out
    assert "changed" in out and "next: send" in out
    uid = int((root / "etc/passwd").read_text().split(":")[2])
    etc = root / "etc/vn-edge"
    assert mode(etc) == 0o770 and etc.stat().st_uid == 0 and etc.stat().st_gid == uid
    assert mode(etc / "credentials") == 0o700 and (etc / "credentials").stat().st_uid == 0
    assert mode(etc / "tls/device.key") == 0o600 and (etc / "tls/device.key").stat().st_uid == uid
    assert b"ENCRYPTED" in (etc / "tls/device.key").read_bytes()
    assert csr_common_name((etc / "tls/device.csr").read_bytes()) == DEVICE
    state = root / "var/lib/vn-edge"
    assert mode(state) == 0o700 and state.stat().st_uid == uid
    config = (etc / "config.yaml").read_text()
    assert f"id: {DEVICE}" in config and str(root / "etc/vn-edge/tls/ca.pem") in config
    assert pinned_key(key) in config
    unit = root / "etc/systemd/system/vn-edge.service"
    assert unit.read_bytes() == Path("systemd/vn-edge.service").read_bytes()
    link = root / "etc/systemd/system/multi-user.target.wants/vn-edge.service"
    assert os.readlink(link) == "/etc/systemd/system/vn-edge.service"
    creds = sorted(p.name for p in (etc / "credentials").iterdir())
    assert "mqtt-key-passphrase" in creds and any(c.startswith("outbox-key") for c in creds)

    key_before = (etc / "tls/device.key").read_bytes()
    assert edge_main(provision(root, tls_acl_broker, key=key)) == 0
    out = capsys.readouterr().out
    assert "provision: nothing to change" in out and "changed " not in out
    assert (etc / "tls/device.key").read_bytes() == key_before


def test_dry_run_prints_the_plan_and_changes_nothing(root, tls_acl_broker, capsys):
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert edge_main(provision(root, tls_acl_broker, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "would    service user vn-edge" in out and "dry run:" in out
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_a_changed_configuration_is_kept_unless_reconfigure(root, tls_acl_broker, capsys):
    assert edge_main(provision(root, tls_acl_broker)) == 0
    config = root / "etc/vn-edge/config.yaml"
    config.write_text(config.read_text().replace("level: info", "level: debug"))
    capsys.readouterr()
    assert edge_main(provision(root, tls_acl_broker)) == 0
    assert "was kept" in capsys.readouterr().out and "level: debug" in config.read_text()
    assert edge_main(provision(root, tls_acl_broker, "--reconfigure")) == 0
    assert "level: info" in config.read_text()


def _cert_for(pki: DevPki, csr_pem: bytes, **kw) -> Path:
    path = pki.dir / f"issued-{len(list(pki.dir.glob('issued-*')))}.pem"
    path.write_bytes(pki.sign_csr(csr_pem, **kw))
    return path


def _csr(cn: str, key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def test_install_cert_refuses_a_wrong_certificate_with_the_reason(
    root, tls_acl_broker, test_pki, tmp_path, capsys
):
    assert edge_main(provision(root, tls_acl_broker)) == 0
    tls = root / "etc/vn-edge/tls"
    device_csr = (tls / "device.csr").read_bytes()
    ca = test_pki.ca.cert
    rogue = DevPki(tmp_path / "rogue")
    cases = {
        "CN is 'hcm-q1-cam-9999'": (_cert_for(test_pki, _csr("hcm-q1-cam-9999")), ca),
        "not for this device's key": (_cert_for(test_pki, _csr(DEVICE)), ca),
        "not issued by the pinned CA": (_cert_for(rogue, device_csr), ca),
        "expired on": (
            _cert_for(
                test_pki,
                device_csr,
                days=10,
                not_before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40),
            ),
            ca,
        ),
    }
    for reason, (cert, ca_file) in cases.items():
        capsys.readouterr()
        assert (
            edge_main(["provision", "--root", str(root), "--install-cert", str(cert), "--ca", str(ca_file)])
            == 10
        )
        err = capsys.readouterr().err
        assert "refused, nothing installed" in err and reason in err, (reason, err)
        assert not (tls / "device.pem").exists() and not (tls / "ca.pem").exists()


def test_install_cert_then_validate_and_selftest_publish(root, tls_acl_broker, test_pki, capsys):
    assert edge_main(provision(root, tls_acl_broker)) == 0
    tls = root / "etc/vn-edge/tls"
    cert = _cert_for(test_pki, (tls / "device.csr").read_bytes())
    args = ["provision", "--root", str(root), "--install-cert", str(cert), "--ca", str(test_pki.ca.cert)]
    assert edge_main([*args, "--selftest-count", "5"]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "OK: hcm-q1-cam-0301 (intersection_camera)" in out
    assert "5/5 acknowledged" in out
    assert edge_main([*args, "--selftest-count", "5"]) == 0
    assert "provision: nothing to change" in capsys.readouterr().out
    # provisioning again after the certificate: still nothing to change, checks run again
    assert edge_main([*provision(root, tls_acl_broker), "--selftest-count", "3"]) == 0
    out = capsys.readouterr().out
    assert "provision: nothing to change" in out and "3/3 acknowledged" in out


def test_an_encrypted_outbox_key_credential_is_sealed_for_this_root(root):
    """Where the unit says LoadCredentialEncrypted=, the key is made with systemd-creds
    (a staging root gets its own host key; the machine's is never touched)."""
    from edge.provision.credentials import OutboxKey, checks_credentials
    from edge.provision.layout import Layout

    layout = Layout(root)
    unit = "LoadCredentialEncrypted=outbox-key:/etc/vn-edge/credentials/outbox-key.cred\n"
    step = OutboxKey(layout, unit)
    assert "systemd-creds encrypt" in step.pending()
    step.apply()
    assert step.pending() is None
    cred = root / "etc/vn-edge/credentials/outbox-key.cred"
    assert mode(cred) == 0o600 and b"outbox" not in cred.read_bytes()
    with checks_credentials(layout, unit) as creds:
        assert len(bytes.fromhex((Path(creds) / "outbox-key").read_text().strip())) == 32
    assert not Path(creds).exists()
