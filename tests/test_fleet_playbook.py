"""The Ansible rollout (ansible/provision.yml, ansible-core from PyPI) against a real
OpenSSH server on a loopback port: two devices provisioned into staging roots, one at
a time (serial); `--check` only plans; the first run changes them, the second reports no change; a device
that fails stops the rollout before the devices after it."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devkit.cccd.test_pki import TestPki
from devkit.central import new_command_key, pinned_key
from tests.sshd import LocalSshd
from tests.staging import staging_root

REPO = Path(__file__).resolve().parent.parent
PLAYBOOK = REPO / "ansible" / "provision.yml"
ANSIBLE = Path(sys.executable).parent / "ansible-playbook"

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason="ansible-core not installed (dev extra)")


@pytest.fixture
def sshd(tmp_path: Path):
    server = LocalSshd(tmp_path / "sshd").start()
    yield server
    server.stop()


def inventory(tmp_path: Path, sshd: LocalSshd, devices: dict[str, dict]) -> Path:
    hosts = {}
    for name, extra in devices.items():
        hosts[name] = {
            "ansible_host": "127.0.0.1",
            "edge_id": name,
            "edge_role": "intersection_camera",
            "edge_site": "test",
            "edge_cameras": ["north=rtsp://127.0.0.1:9/x"],
            "edge_root": str(staging_root(tmp_path / "roots" / name)),
            **extra,
        }
    data = {
        "all": {
            "vars": {
                "ansible_port": sshd.port,
                "ansible_user": sshd.user,
                "ansible_ssh_private_key_file": str(sshd.client_key),
                "ansible_ssh_common_args": f"-o UserKnownHostsFile={sshd.known_hosts} -o StrictHostKeyChecking=yes",
                "ansible_python_interpreter": "/usr/bin/python3",
                "edge_bin": str(Path(sys.executable).parent / "edge"),
                "edge_broker": "127.0.0.1:8883",
                "edge_command_key": pinned_key(new_command_key()),
                "edge_become": False,
                "edge_doctor_must_pass": False,  # staging roots have no certificate or broker yet
                "edge_csr_dir": str(tmp_path / "csr"),
            },
            "children": {"edge_devices": {"hosts": hosts}},
        }
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def play(inv: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
    }
    return subprocess.run(
        [str(ANSIBLE), "-i", str(inv), str(PLAYBOOK), "-e", "edge_batch=1", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def recap(out: str) -> dict[str, dict[str, int]]:
    result = {}
    for line in out.split("PLAY RECAP", 1)[1].splitlines():
        if ":" in line and "ok=" in line:
            host, counts = line.split(":", 1)
            result[host.strip()] = {k: int(v) for k, v in (c.split("=") for c in counts.split())}
    return result


def model_file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "models" / "plate_det_v9.onnx"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(os.urandom(200_000))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_rollout_changes_then_reports_no_change(sshd, tmp_path):
    """A camera and a kiosk (its CSCA and staff PIN from the controller), each with a
    model staged for update_model."""
    devices = ["hcm-q1-cam-0501", "hcm-q5-pawn-0502"]
    model, sha = model_file(tmp_path)
    cards = TestPki.generate(tmp_path / "cards")
    (tmp_path / "pin").write_text("739214\n")
    kiosk = {
        "edge_role": "pawnshop_kiosk",
        "edge_cameras": [],
        "edge_csca": [str(cards.trust_dir / "csca.pem")],
        "edge_staff_pin_file": str(tmp_path / "pin"),
    }
    staged = {"edge_models": [{"src": str(model), "sha256": sha}]}
    inv = inventory(tmp_path, sshd, {d: {**staged, **(kiosk if "pawn" in d else {})} for d in devices})
    planned = play(inv, tmp_path, "--check", "-v")
    assert planned.returncode == 0, planned.stdout[-4000:]
    assert "would    service user vn-edge" in planned.stdout
    assert not (tmp_path / "roots" / devices[0] / "etc/vn-edge").exists()
    first = play(inv, tmp_path)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    counts = recap(first.stdout)
    assert all(counts[d]["changed"] >= 1 and counts[d]["failed"] == 0 for d in devices), counts
    for d in devices:
        root = tmp_path / "roots" / d
        assert (root / "etc/vn-edge/config.yaml").exists()
        assert (tmp_path / "csr" / f"{d}.csr").read_text().startswith("-----BEGIN CERTIFICATE REQUEST")
        # the model is staged where update_model looks, for the service user only
        staged = root / "var/lib/vn-edge/staging" / model.name
        assert staged.read_bytes() == model.read_bytes()
        uid, gid = (int(x) for x in (root / "etc/passwd").read_text().split(":")[2:4])
        st = staged.stat()
        assert stat.S_IMODE(st.st_mode) == 0o600 and (st.st_uid, st.st_gid) == (uid, gid)
    kiosk_root = tmp_path / "roots" / devices[1]
    csca = (cards.trust_dir / "csca.pem").read_bytes()
    assert (kiosk_root / "etc/vn-edge/csca/csca.pem").read_bytes() == csca
    assert (kiosk_root / "etc/vn-edge/credentials/kiosk-pin.cred").exists()
    assert (kiosk_root / "etc/systemd/system/vn-edge.service.d/kiosk.conf").exists()
    assert not Path(f"/tmp/vn-edge-{devices[1]}-kiosk").exists()  # the PIN's scratch copy is gone
    assert "739214" not in first.stdout + first.stderr
    # one device at a time (serial 1): two batches
    assert first.stdout.count("PLAY [Roll out vn-edge]") == 2

    second = play(inv, tmp_path)
    assert second.returncode == 0, second.stdout[-4000:]
    counts = recap(second.stdout)
    assert all(counts[d]["changed"] == 0 for d in devices), counts
    assert "provision: nothing to change" in play(inv, tmp_path, "-v").stdout


def test_rollout_stops_at_the_first_failing_device(sshd, tmp_path):
    inv = inventory(
        tmp_path,
        sshd,
        {
            "hcm-q1-cam-0601": {},
            "hcm-q1-cam-0602": {"edge_broker": "127.0.0.1:notaport"},  # fails
            "hcm-q1-cam-0603": {},
        },
    )
    result = play(inv, tmp_path)
    assert result.returncode != 0
    assert (tmp_path / "roots/hcm-q1-cam-0601/etc/vn-edge/config.yaml").exists()
    assert not (tmp_path / "roots/hcm-q1-cam-0603/etc/vn-edge").exists()
    assert "hcm-q1-cam-0603" not in recap(result.stdout)


def test_a_model_whose_sha256_differs_is_not_staged(sshd, tmp_path):
    """The inventory's sha256 is checked on the controller before anything is copied;
    the rollout stops there."""
    model, _ = model_file(tmp_path)
    inv = inventory(
        tmp_path, sshd, {"hcm-q1-cam-0701": {"edge_models": [{"src": str(model), "sha256": "0" * 64}]}}
    )
    result = play(inv, tmp_path)
    assert result.returncode != 0
    assert "the inventory says " + "0" * 64 in result.stdout, result.stdout[-3000:]
    staging = tmp_path / "roots/hcm-q1-cam-0701/var/lib/vn-edge/staging"
    assert staging.is_dir() and not any(staging.iterdir())
