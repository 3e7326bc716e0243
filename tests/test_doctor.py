"""`edge doctor`: a healthy device passes (table and --json, exit 0), then every check
is made to fail once on purpose, each with its fix. Real broker with mutual TLS and
the fleet ACL, real certificates, real files and modes; systemd does not run in the
test machine, so the unit check asks a stand-in `systemctl` script (the outermost
boundary) what a real one would answer."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from devkit.pki import DevPki
from edge.checks.doctor import DoctorOptions, run_doctor
from edge.checks.findings import Severity
from edge.cli import main as edge_main
from edge.pki.keys import load_key, make_csr
from tests.broker import write_device_config

pytestmark = pytest.mark.broker

DEVICE = "hcm-q1-cam-0401"


class Clock:
    def __init__(self, synced: bool) -> None:
        self.synced = synced

    def synchronised(self) -> bool:
        return self.synced


def fake_systemctl(path: Path, **props: str) -> str:
    values = {
        "LoadState": "loaded",
        "UnitFileState": "enabled",
        "ActiveState": "inactive",
        "SubState": "dead",
        "NRestarts": "0",
        "WatchdogUSec": "30s",
        "Result": "success",
        **props,
    }
    path.write_text("#!/bin/sh\ncat <<'EOF'\n" + "".join(f"{k}={v}\n" for k, v in values.items()) + "EOF\n")
    path.chmod(0o755)
    return str(path)


def video(path: Path, frames: int = 60) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (160, 120))
    for i in range(frames):
        writer.write(np.full((120, 160, 3), i * 4 % 255, np.uint8))
    writer.release()
    return path


@pytest.fixture
def device(tmp_path, tls_acl_broker, test_pki):
    """A camera device's config (replayed video camera) against the TLS broker."""
    creds = test_pki.issue(DEVICE)
    config = write_device_config(
        tmp_path / "config.yaml",
        tls_acl_broker,
        DEVICE,
        tmp_path / "state" / "outbox.db",
        creds,
        sections={
            "device": {"id": DEVICE, "role": "intersection_camera"},
            "kiosk": None,
            "cameras": [
                {
                    "id": "north",
                    "kind": "file",
                    "url": str(video(tmp_path / "v.avi")),
                    "fps": 10,
                    "loop": True,
                }
            ],
        },
    )
    (tmp_path / "state").mkdir()
    return config


def options(tmp_path: Path, **kw) -> DoctorOptions:
    base = dict(
        user=None,
        clock=Clock(True),
        systemctl=fake_systemctl(tmp_path / "systemctl", ActiveState="active", SubState="running"),
        publish_timeout_s=10.0,
        camera_sample_s=1.0,
    )
    return DoctorOptions(**{**base, **kw})


def by_check(findings) -> dict[str, object]:
    return {f.check: f for f in findings}


def edit(config: Path, change) -> None:
    data = yaml.safe_load(config.read_text())
    change(data)
    config.write_text(yaml.safe_dump(data))


def test_a_healthy_device_passes(device, tmp_path, capsys):
    findings = run_doctor(
        device, options(tmp_path, systemctl=fake_systemctl(tmp_path / "sc", ActiveState="inactive"))
    )
    bad = [f for f in findings if f.severity >= Severity.WARN and not f.check.startswith("unit")]
    assert not bad, bad
    checks = by_check(findings)
    for name in (
        "config",
        "tls.cn",
        "tls.chain",
        "broker.tls",
        "broker.publish",
        "camera.north",
        "clock.synchronised",
    ):
        assert checks[name].severity == Severity.OK, checks[name]
    assert "10 fps" in checks["camera.north"].detail or "configured 10" in checks["camera.north"].detail


def test_cli_table_json_and_exit_code_by_worst_finding(device, tmp_path, capsys):
    sc = fake_systemctl(
        tmp_path / "sc", ActiveState="failed", SubState="failed", Result="watchdog", NRestarts="7"
    )
    code = edge_main(
        ["doctor", "--config", str(device), "--json", "--user", "", "--systemctl", sc, "--timeout", "10"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 10 and report["worst"] == "fail"
    failed = {f["check"]: f for f in report["findings"] if f["severity"] == "fail"}
    assert {"unit.active", "unit.watchdog"} <= set(failed)
    assert all(f["fix"] for f in report["findings"] if f["severity"] in ("fail", "warn"))
    code = edge_main(["doctor", "--config", str(device), "--user", "", "--systemctl", sc])
    table = capsys.readouterr().out
    assert "FAIL  unit.watchdog" in table and "fix: journalctl" in table and "failed," in table
    device.write_text("device: {id: X}\n")
    assert edge_main(["doctor", "--config", str(device)]) == 1


def fails(findings, check: str, words: str) -> None:
    f = by_check(findings).get(check)
    assert f is not None and f.severity == Severity.FAIL, (check, findings)
    assert words in f.detail and f.fix, f


def test_every_check_fails_once_on_purpose(device, tmp_path, test_pki, tls_acl_broker):
    opts = options(tmp_path)
    cfg = yaml.safe_load(device.read_text())
    tls = cfg["mqtt"]["tls"]
    key = load_key(Path(tls["key_file"]), None)

    # clock, unit, cameras
    bad = options(
        tmp_path,
        clock=Clock(False),
        systemctl=fake_systemctl(tmp_path / "sc2", LoadState="not-found"),
    )
    edit(
        device, lambda d: d["cameras"][0].update(kind="rtsp", url="rtsp://127.0.0.1:9/none", open_timeout_s=2)
    )
    got = run_doctor(device, bad)
    fails(got, "clock.synchronised", "not synchronised")
    fails(got, "unit.installed", "not-found")
    fails(got, "camera.north", "cannot open")

    # the certificate: CN, key, chain, dates (and a warning before expiry)
    original_cert = Path(tls["cert_file"]).read_bytes()
    cert_file = Path(tls["cert_file"])
    cert_file.write_bytes(test_pki.sign_csr(make_csr(key, "hcm-q1-cam-9999")))
    fails(run_doctor(device, opts), "tls.cn", "hcm-q1-cam-9999")
    cert_file.write_bytes(test_pki.issue("hcm-q1-cam-0402").cert.read_bytes())
    fails(run_doctor(device, opts), "tls.key_matches_cert", "not for this device's key")
    cert_file.write_bytes(DevPki(tmp_path / "rogue").sign_csr(make_csr(key, DEVICE)))
    fails(run_doctor(device, opts), "tls.chain", "pinned CA")
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)
    cert_file.write_bytes(test_pki.sign_csr(make_csr(key, DEVICE), days=10, not_before=old))
    fails(run_doctor(device, opts), "tls.expiry", "expired on")
    cert_file.write_bytes(test_pki.sign_csr(make_csr(key, DEVICE), days=20))
    assert by_check(run_doctor(device, opts))["tls.expiry"].severity == Severity.WARN
    cert_file.write_bytes(original_cert)

    # the broker: a test publish the ACL refuses, a wrong pinned CA, nothing listening
    edit(device, lambda d: d["mqtt"].update(topic_prefix="elsewhere"))
    fails(run_doctor(device, options(tmp_path, publish_timeout_s=3.0)), "broker.publish", "not acknowledged")
    edit(device, lambda d: d["mqtt"].update(topic_prefix="devices"))
    rogue_ca = DevPki(tmp_path / "rogue2").ca.cert
    edit(device, lambda d: d["mqtt"]["tls"].update(ca_file=str(rogue_ca)))
    fails(run_doctor(device, opts), "broker.tls", "handshake refused")
    edit(device, lambda d: d["mqtt"]["tls"].update(ca_file=tls["ca_file"]))
    edit(device, lambda d: d["mqtt"].update(port=1))
    fails(run_doctor(device, opts), "broker.reachable", "127.0.0.1:1")
    edit(device, lambda d: d["mqtt"].update(port=tls_acl_broker.port))

    # disk: a quota the disk cannot hold; outbox: a damaged file
    free = os.statvfs(tmp_path).f_bavail * os.statvfs(tmp_path).f_frsize
    edit(device, lambda d: d["storage"].update(quota=free + 2**30))
    fails(run_doctor(device, opts), "disk.space", "cannot grow to its quota")
    edit(device, lambda d: d["storage"].update(quota="256MB"))
    outbox = Path(cfg["storage"]["path"])
    outbox.write_bytes(b"this is not an SQLite database" * 100)
    fails(run_doctor(device, opts), "outbox", str(outbox))
    outbox.unlink()

    # files: missing, unreadable by the service user
    Path(tls["ca_file"]).rename(tmp_path / "ca.moved")
    got = run_doctor(device, opts)
    fails(got, "files.mqtt.tls.ca_file", "does not exist")
    (tmp_path / "ca.moved").rename(tls["ca_file"])
    os.chmod(tls["key_file"], 0o600)
    fails(
        run_doctor(device, options(tmp_path, user="nobody")),
        "files.mqtt.tls.key_file",
        "not readable by the service user nobody",
    )

    # models: an installed model whose file does not match its manifest
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    from models.manifest import load_manifests

    manifest = load_manifests()["plate_det_416"]
    (models_dir / "plate_det_416-x.json").write_text(manifest.model_dump_json())
    (models_dir / "plate_det_416-x.onnx").write_bytes(b"tampered")
    edit(
        device,
        lambda d: d.update(
            remote={
                "command_key": "A" * 43 + "=",
                "models_dir": str(models_dir),
                "journal": str(tmp_path / "j.db"),
            }
        ),
    )
    fails(run_doctor(device, opts), "model.plate_det_416", "sha256")


def test_reader_checks(tmp_path, tls_acl_broker, test_pki, pcsc_stack):
    config = write_device_config(
        tmp_path / "config.yaml",
        tls_acl_broker,
        "hcm-q5-pawn-0401",
        tmp_path / "outbox.db",
        test_pki.issue("hcm-q5-pawn-0401"),
    )
    opts = options(tmp_path, pcscd_socket=tmp_path / "no-pcscd.comm")
    fails(run_doctor(config, opts), "reader.pcscd", "not answering")
    found = by_check(run_doctor(config, options(tmp_path)))
    assert found["reader.pcscd"].severity == Severity.OK, found["reader.pcscd"]
    edit(config, lambda d: d["kiosk"].update(reader="NoSuchReader"))
    fails(run_doctor(config, options(tmp_path)), "reader.present", "NoSuchReader")
