"""The Ansible rollout (ansible/provision.yml, ansible-core from PyPI) against a real
OpenSSH server on a loopback port: two devices provisioned into staging roots, one at
a time (serial); `--check` only plans; the first run changes them, the second reports no change; a device
that fails stops the rollout before the devices after it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devkit.central import new_command_key, pinned_key
from tests.sshd import LocalSshd

REPO = Path(__file__).resolve().parent.parent
PLAYBOOK = REPO / "ansible" / "provision.yml"
ANSIBLE = Path(sys.executable).parent / "ansible-playbook"

pytestmark = pytest.mark.skipif(not ANSIBLE.exists(), reason="ansible-core not installed (dev extra)")


@pytest.fixture
def sshd(tmp_path: Path):
    server = LocalSshd(tmp_path / "sshd").start()
    yield server
    server.stop()


def staging_root(path: Path) -> Path:
    (path / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        (path / "etc" / name).touch()
    return path


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


def test_rollout_changes_then_reports_no_change(sshd, tmp_path):
    devices = ["hcm-q1-cam-0501", "hcm-q1-cam-0502"]
    inv = inventory(tmp_path, sshd, {d: {} for d in devices})
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
