"""Remote commands end to end: the daemon (`edge run` under the devkit supervisor, as
systemd would restart it) against a real Mosquitto with mutual TLS and the fleet ACL,
commands signed by the central commander. Each command's happy path, the automatic
rollback of a change that leaves the daemon unhealthy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from tests.broker import wait_until
from tests.remote_daemon import config_data

pytestmark = pytest.mark.broker


def test_ping_outbox_status_and_get_config(remote_device_factory):
    dev = remote_device_factory()
    corr = dev.central.send(dev.device_id, "ping")
    reply = dev.central.wait_reply(corr)
    assert reply["status"] == "ok" and reply["result"]["pong"] is True
    assert reply["command"] == "ping" and reply["device"] == dev.device_id
    topic = next(t for t, c, _b in dev.central.all_replies() if c == corr)
    assert topic == f"devices/{dev.device_id}/replies/central"

    status = dev.request("outbox_status")
    assert status["status"] == "ok" and "depth" in status["result"]

    got = dev.request("get_config")
    assert got["status"] == "ok"
    assert got["result"]["config"]["device"]["id"] == dev.device_id
    assert got["result"]["sha256"] == hashlib.sha256(dev.config.read_bytes()).hexdigest()


def test_restart_comes_back(remote_device_factory):
    dev = remote_device_factory()
    starts = dev.supervisor.starts
    reply = dev.request("restart")
    assert reply["status"] == "accepted"
    assert dev.supervisor.wait_starts(starts + 1, 20)
    dev.wait_online()
    assert dev.supervisor.exit_codes[-1] == 0, dev.supervisor.log_text()[-2000:]


def test_set_config_is_applied_by_a_restart_and_kept_when_healthy(remote_device_factory):
    dev = remote_device_factory()
    data = config_data(dev.config)
    data["mqtt"]["stats_interval_s"] = 2.5
    before = hashlib.sha256(dev.config.read_bytes()).hexdigest()
    corr = dev.central.send(
        dev.device_id, "set_config", {"config_yaml": yaml.safe_dump(data), "if_sha256": before}
    )
    assert dev.central.wait_reply(corr)["status"] == "accepted"
    done = dev.central.wait_reply(corr, 40, status="committed")
    assert done["command"] == "set_config"
    assert config_data(dev.config)["mqtt"]["stats_interval_s"] == 2.5
    assert not dev.config.with_name("config.yaml.rollback").exists()
    assert not dev.config.with_name("config.yaml.trial.json").exists()


def test_set_config_that_leaves_the_daemon_unhealthy_is_rolled_back_by_itself(remote_device_factory):
    dev = remote_device_factory()
    original = dev.config.read_bytes()
    data = config_data(dev.config)
    data["mqtt"]["port"] = 1  # valid, but nothing listens there: the daemon cannot reach the broker
    corr = dev.central.send(dev.device_id, "set_config", {"config_yaml": yaml.safe_dump(data)})
    assert dev.central.wait_reply(corr)["status"] == "accepted"
    outcome = dev.central.wait_reply(corr, 60, status="rolled_back")
    assert "not healthy within" in outcome["reason"]
    assert dev.config.read_bytes() == original
    dev.wait_online()


def test_set_config_with_an_invalid_configuration_changes_nothing(remote_device_factory):
    dev = remote_device_factory()
    original = dev.config.read_bytes()
    starts = dev.supervisor.starts
    reply = dev.request("set_config", {"config_yaml": "device: {id: x}\n"})
    assert reply["status"] == "failed" and "configuration invalid" in reply["reason"]
    data = config_data(dev.config)
    data["mqtt"]["tls"]["ca_file"] = "/nonexistent/ca.pem"
    reply = dev.request("set_config", {"config_yaml": yaml.safe_dump(data)})
    assert reply["status"] == "failed" and "/nonexistent/ca.pem" in reply["reason"]
    del data["remote"]
    reply = dev.request("set_config", {"config_yaml": yaml.safe_dump(data)})
    assert reply["status"] == "failed"
    assert dev.config.read_bytes() == original and dev.supervisor.starts == starts


def test_update_model_installs_the_staged_file_on_trial(remote_device_factory):
    from models.manifest import load_manifests, weights_path

    manifest = load_manifests()["plate_det_416"]
    source = weights_path(manifest)
    if not source.exists():
        pytest.skip("plate_det_416 weights not fetched")
    dev = remote_device_factory(sections={"vision": {"plates": {"detector": {"type": "yolo"}}}})
    staging = dev.workdir / "staging"
    staging.mkdir()
    (staging / manifest.file).write_bytes(source.read_bytes())
    target = "vision.plates.detector.model"
    reply = dev.request(
        "update_model", {"manifest": json.loads(manifest.model_dump_json()), "target": "vision.faces.model"}
    )
    assert reply["status"] == "failed" and "no section" in reply["reason"]
    corr = dev.central.send(
        dev.device_id, "update_model", {"manifest": json.loads(manifest.model_dump_json()), "target": target}
    )
    accepted = dev.central.wait_reply(corr)
    assert accepted["status"] == "accepted", accepted["reason"]
    dev.central.wait_reply(corr, 40, status="committed")
    installed = accepted["result"]["installed"]
    assert config_data(dev.config)["vision"]["plates"]["detector"]["model"] == installed
    assert hashlib.sha256(Path(installed).read_bytes()).hexdigest() == manifest.sha256

    (staging / manifest.file).write_bytes(b"not the model")
    reply = dev.request(
        "update_model", {"manifest": json.loads(manifest.model_dump_json()), "target": target}
    )
    assert reply["status"] == "failed" and "sha256" in reply["reason"]


def test_rotate_cert_swaps_key_and_certificate_on_trial(remote_device_factory, test_pki):
    dev = remote_device_factory()
    tls = config_data(dev.config)["mqtt"]["tls"]
    old_cert = Path(tls["cert_file"]).read_bytes()
    first = dev.request("rotate_cert")
    assert first["status"] == "ok" and "BEGIN CERTIFICATE REQUEST" in first["result"]["csr"]
    cert = test_pki.sign_csr(first["result"]["csr"].encode()).decode()
    corr = dev.central.send(dev.device_id, "rotate_cert", {"certificate": cert})
    assert dev.central.wait_reply(corr)["status"] == "accepted"
    dev.central.wait_reply(corr, 40, status="committed")
    assert Path(tls["cert_file"]).read_text() == cert != old_cert.decode()
    dev.wait_online()


def test_rotate_cert_refuses_a_certificate_for_another_key(remote_device_factory, test_pki):
    dev = remote_device_factory()
    dev.request("rotate_cert")
    other = test_pki.issue("some-other-device-01")
    reply = dev.request("rotate_cert", {"certificate": other.cert.read_text()})
    assert reply["status"] == "failed"
    assert "not for this device's key" in reply["reason"] and "CN is" in reply["reason"]


def test_snapshot_is_refused_unless_the_configuration_allows_it(remote_device_factory):
    dev = remote_device_factory()
    reply = dev.request("snapshot", {"camera": "north"})
    assert reply["status"] == "failed" and "not allowed" in reply["reason"]
    assert wait_until(lambda: dev.supervisor.pid() is not None, 1)


def test_snapshot_sends_a_still_from_an_allowed_camera(remote_device_factory):
    import base64

    import cv2
    import numpy as np

    from tests.test_camera_faults import ScriptedMjpegServer

    server = ScriptedMjpegServer([[("good", 100000)]])
    with server:
        camera = {
            "id": "gate",
            "kind": "mjpeg",
            "url": f"http://127.0.0.1:{server.port}/video",
            "detect": ["faces"],
        }
        dev = remote_device_factory(
            sections={"cameras": [camera], "vision": {"faces": {"type": "blazeface"}}},
            snapshot_cameras=["gate"],
        )
        reply = dev.request("snapshot", {"camera": "gate"})
        assert reply["status"] == "ok", reply["reason"]
        image = cv2.imdecode(
            np.frombuffer(base64.b64decode(reply["result"]["jpeg_b64"]), np.uint8), cv2.IMREAD_COLOR
        )
        assert image is not None and image.shape[0] > 0
        refused = dev.request("snapshot", {"camera": "other"})
        assert refused["status"] == "failed" and "not allowed" in refused["reason"]


def test_a_change_that_keeps_the_daemon_from_starting_is_rolled_back_at_start(remote_device_factory):
    """The new configuration passes every check a command can make, but the daemon cannot
    start with it (a garbled certificate): `edge run` exits at once, again and again,
    until the deadline has passed and the next start restores the previous files."""
    dev = remote_device_factory()
    original = dev.config.read_bytes()
    garbled = dev.workdir / "garbled.pem"
    garbled.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    data = config_data(dev.config)
    data["mqtt"]["tls"]["cert_file"] = str(garbled)
    starts = dev.supervisor.starts
    corr = dev.central.send(dev.device_id, "set_config", {"config_yaml": yaml.safe_dump(data)})
    assert dev.central.wait_reply(corr)["status"] == "accepted"
    try:
        outcome = dev.central.wait_reply(corr, 90, status="rolled_back")
    except TimeoutError as exc:
        pytest.fail(
            f"{exc}\nstarts {dev.supervisor.starts} exits {dev.supervisor.exit_codes}\n"
            f"{dev.supervisor.log_text()[-4000:]}"
        )
    assert dev.config.read_bytes() == original
    assert dev.supervisor.starts >= starts + 2  # failed starts before the rollback
    assert "rolled back remote set_config" in dev.supervisor.log_text()
    assert "not healthy within" in outcome["reason"]
