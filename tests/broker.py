"""Pytest fixtures for real Mosquitto brokers, the stand-in central subscriber and
publishers, over the product's own dev tools (devkit.mosquitto and
devkit.subscriber, which the demo uses too). tests/conftest.py loads this
module as a plugin.

`Broker`, `Subscriber`, `wait_until`, `MOSQUITTO` and `CENTRAL` are re-exported for the
tests and benchmarks that import them from here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from devkit.mosquitto import CENTRAL, MOSQUITTO, BrokerOptions, LocalBroker, wait_until
from devkit.pki import CertFiles, DevPki
from devkit.subscriber import CentralSubscriber
from edge.outbox import Outbox
from edge.publisher import Publisher
from firmware_config.mqtt import MqttConfig
from firmware_config.storage import StorageConfig

Broker = LocalBroker
Subscriber = CentralSubscriber

__all__ = ["CENTRAL", "MOSQUITTO", "Broker", "Subscriber", "wait_until", "write_device_config"]


def write_device_config(
    path: Path,
    broker: LocalBroker,
    device_id: str,
    outbox_path: Path,
    device: CertFiles | None = None,
    *,
    sections: Mapping[str, Any] | None = None,
    **mqtt_overrides: Any,
) -> Path:
    """A full device YAML (pawnshop kiosk role: no camera needed) for `edge run` /
    `edge selftest` against `broker`; `sections` adds or replaces top-level sections
    (e.g. `synthetic`)."""
    mqtt_section = json.loads(
        broker.mqtt_config(device, **mqtt_overrides).model_dump_json(exclude_defaults=True)
    )
    config: dict[str, Any] = {
        "device": {"id": device_id, "role": "pawnshop_kiosk"},
        "mqtt": mqtt_section,
        "storage": {"path": str(outbox_path)},
        "kiosk": {"screen": {"port": 0}},  # any free port: several daemons may run at once
        "logging": {"level": "info", "format": "json"},
        **(sections or {}),
    }
    path.write_text(json.dumps(config, indent=2))  # JSON is valid YAML
    return path


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """One CA per session; `issue(CN)` gives a device certificate (reused per CN)."""
    return DevPki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[Callable[..., LocalBroker]]:
    """make_broker(pki=None, acl=False, persistence=False, extra=()) -> a started broker;
    TLS with client certificates required when `pki` is given."""
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed (scripts/setup.sh installs it)")
    made: list[LocalBroker] = []

    def make(
        *, pki: DevPki | None = None, acl: bool = False, persistence: bool = False, extra: Sequence[str] = ()
    ) -> LocalBroker:
        options = BrokerOptions(tls=pki is not None, acl=acl, persistence=persistence, extra=tuple(extra))
        broker = LocalBroker(tmp_path / f"broker{len(made)}", options, pki=pki)
        made.append(broker)
        return broker.start()

    yield make
    for broker in made:
        broker.kill()


@pytest.fixture
def plain_broker(broker_factory: Callable[..., LocalBroker]) -> LocalBroker:
    return broker_factory()


@pytest.fixture
def tls_broker(broker_factory: Callable[..., LocalBroker], test_pki: DevPki) -> LocalBroker:
    """Mutual TLS with client certificates required and the per-device ACL."""
    return broker_factory(pki=test_pki, acl=True)


@pytest.fixture
def subscriber_factory() -> Iterator[Callable[..., CentralSubscriber]]:
    """make(broker, topic="devices/#", client_id="central", creds=None) -> a connected subscriber."""
    made: list[CentralSubscriber] = []

    def make(broker: LocalBroker, topic: str = "devices/#", **kw: Any) -> CentralSubscriber:
        sub = CentralSubscriber.for_broker(broker, topic, **kw)
        made.append(sub)
        return sub.start()

    yield make
    for sub in made:
        sub.stop()


@pytest.fixture
def outbox_factory(tmp_path: Path) -> Iterator[Callable[..., Outbox]]:
    """outbox_factory(device_id, name="outbox.db") -> a real SQLite outbox, closed at teardown."""
    made: list[Outbox] = []

    def make(device_id: str, name: str = "outbox.db") -> Outbox:
        box = Outbox(StorageConfig(path=tmp_path / name), device_id)
        made.append(box)
        return box

    yield make
    for box in made:
        box.close()


@pytest.fixture
def publishers(outbox_factory: Callable[..., Outbox]) -> Iterator[list[Publisher]]:
    """Publishers a test started (append them); stopped at teardown, before the outboxes close."""
    made: list[Publisher] = []
    yield made
    for pub in made:
        pub.stop(flush_timeout_s=1.0)


@pytest.fixture
def start_publisher(publishers: list[Publisher]) -> Callable[..., Publisher]:
    """start_publisher(config, device_id, outbox) -> a started Publisher, stopped at teardown."""

    def start(config: MqttConfig, device_id: str, outbox: Outbox) -> Publisher:
        pub = Publisher(config, device_id, outbox)
        pub.start()
        publishers.append(pub)
        return pub

    return start
