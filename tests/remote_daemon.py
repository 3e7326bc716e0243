"""A device daemon with remote commands on, run under the devkit supervisor (the
stand-in for systemd's Restart=always) against a real Mosquitto with mutual TLS and
the fleet ACL, and the central commander that signs commands for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devkit.central import CentralCommander, new_command_key, pinned_key
from devkit.mosquitto import BrokerOptions, LocalBroker
from devkit.pki import DevPki
from devkit.supervisor import Supervisor
from tests.broker import CENTRAL, wait_until, write_device_config


@dataclass
class RemoteDevice:
    device_id: str
    config: Path
    supervisor: Supervisor
    central: CentralCommander
    key: Ed25519PrivateKey
    workdir: Path

    def request(self, command: str, params: dict[str, Any] | None = None, **kw: Any) -> dict:
        return self.central.request(self.device_id, command, params, **kw)

    def wait_online(self, timeout_s: float = 30.0) -> None:
        """Until a ping is answered (the daemon is up and subscribed)."""

        def answered() -> bool:
            try:
                self.central.request(self.device_id, "ping", timeout_s=1.0)
            except TimeoutError:
                return False
            return True

        assert wait_until(answered, timeout_s, interval=0.2), self.supervisor.log_text()[-3000:]


def remote_section(key: Ed25519PrivateKey, workdir: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "command_key": pinned_key(key),
        "journal": str(workdir / "commands.db"),
        "staging_dir": str(workdir / "staging"),
        "models_dir": str(workdir / "models"),
        "health_deadline_s": 8,
        "healthy_for_s": 1,
        **overrides,
    }


def write_remote_config(
    workdir: Path,
    broker: LocalBroker,
    pki: DevPki,
    device_id: str,
    key: Ed25519PrivateKey,
    *,
    sections: dict[str, Any] | None = None,
    **remote: Any,
) -> Path:
    return write_device_config(
        workdir / "config.yaml",
        broker,
        device_id,
        workdir / "outbox.db",
        pki.issue(device_id),
        stats_interval_s=1,
        sections={"remote": remote_section(key, workdir, **remote), **(sections or {})},
    )


@pytest.fixture
def tls_acl_broker(tmp_path: Path, test_pki: DevPki) -> Iterator[LocalBroker]:
    broker = LocalBroker(tmp_path / "broker", BrokerOptions(tls=True, acl=True), pki=test_pki).start()
    yield broker
    broker.kill()


@pytest.fixture
def remote_device_factory(tmp_path: Path, tls_acl_broker: LocalBroker, test_pki: DevPki):
    made: list[RemoteDevice] = []

    def make(device_id: str = "hcm-q5-pawn-0101", *, sections: dict[str, Any] | None = None, **remote: Any):
        key = new_command_key()
        workdir = tmp_path / device_id
        workdir.mkdir()
        config = write_remote_config(
            workdir, tls_acl_broker, test_pki, device_id, key, sections=sections, **remote
        )
        central = CentralCommander.for_broker(tls_acl_broker, key, test_pki.issue(CENTRAL)).start()
        supervisor = Supervisor(config, workdir / "daemon.log").start()
        device = RemoteDevice(device_id, config, supervisor, central, key, workdir)
        made.append(device)
        device.wait_online()
        return device

    yield make
    for device in made:
        device.supervisor.stop()
        device.central.stop()


def config_data(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)
