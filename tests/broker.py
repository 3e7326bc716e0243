"""Real Mosquitto brokers for tests, and an independent subscriber.

`Broker` runs /usr/sbin/mosquitto on a free loopback port with a config generated per
test: plain, or mutual TLS (`require_certificate true` + `use_identity_as_username
true`) with the fleet ACL `pattern write devices/%u/#`. Faults are real signals: kill
(SIGKILL), stop (SIGTERM, the broker saves its persistence file), freeze (SIGSTOP) and
thaw (SIGCONT), restart on the same port. `Subscriber` is a paho client with a
persistent session that records everything it receives, standing in for the central
server. Pytest fixtures at the bottom; tests/conftest.py loads this module as a plugin."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.devtools.pki import CertFiles, DevPki
from edge.outbox import Outbox
from edge.publisher import Publisher
from firmware_config.mqtt import MqttConfig
from firmware_config.storage import StorageConfig

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
CENTRAL = "central"  # CN of the test subscriber's certificate; may read every device topic
ACL = f"pattern write devices/%u/#\npattern read devices/%u/#\n\nuser {CENTRAL}\ntopic read devices/#\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Broker:
    """One Mosquitto process (restartable on the same port and persistence file)."""

    def __init__(
        self,
        directory: Path,
        *,
        pki: DevPki | None = None,
        acl: bool = False,
        persistence: bool = False,
        extra: Sequence[str] = (),
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.pki = pki
        self.host = "127.0.0.1"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        lines = [
            f"listener {self.port} {self.host}",
            "per_listener_settings false",
            f"log_dest file {self.log}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            # Test subscribers must not lose messages because they were briefly slow.
            "max_queued_messages 1000000",
            "max_queued_bytes 0",
            "max_inflight_messages 100",
        ]
        if os.geteuid() == 0:
            lines.append(f"user {getpass.getuser()}")  # else mosquitto drops to 'mosquitto'
        if persistence:
            lines += ["persistence true", f"persistence_location {directory}/", "autosave_interval 1"]
        else:
            lines.append("persistence false")
        if pki is None:
            lines.append("allow_anonymous true")
        else:
            server = pki.issue("localhost", server=True)
            lines += [
                f"cafile {pki.ca.cert}",
                f"certfile {server.cert}",
                f"keyfile {server.key}",
                "require_certificate true",
                "use_identity_as_username true",
                "allow_anonymous false",
            ]
        if acl:
            acl_file = directory / "acl"
            acl_file.write_text(ACL)
            lines.append(f"acl_file {acl_file}")
        lines += extra
        self.conf.write_text("\n".join(lines) + "\n")

    @property
    def tls(self) -> bool:
        return self.pki is not None

    def start(self, timeout: float = 10.0) -> Broker:
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        with open(self.directory / "mosquitto.stderr", "ab") as err:
            self.proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=err, stderr=err
            )
        if not wait_until(self._accepting, timeout):
            self.kill()
            raise RuntimeError(f"mosquitto did not start; log:\n{self.log_text()[-2000:]}")
        return self

    def _accepting(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            return False
        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: no goodbye, no persistence save."""
        if self.proc is not None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its persistence file and exits."""
        if self.proc is not None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts TCP connections, nothing answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def client_tls(self, creds: CertFiles | None) -> ssl.SSLContext | None:
        """TLS context for a test client presenting `creds` (or no certificate at all)."""
        if self.pki is None:
            return None
        ctx = ssl.create_default_context(cafile=str(self.pki.ca.cert))
        if creds is not None:
            ctx.load_cert_chain(str(creds.cert), str(creds.key))
        return ctx

    def mqtt_config(
        self, device: CertFiles | None = None, *, passphrase_file: Path | None = None, **overrides: Any
    ) -> MqttConfig:
        """A device's MqttConfig for this broker, with test-friendly timings."""
        data: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "keepalive_s": 5,
            "connect_timeout_s": 3.0,
            "reconnect_min_s": 0.1,
            "reconnect_max_s": 1.0,
            "poll_interval_s": 0.05,
        }
        if self.pki is not None:
            assert device is not None, "a TLS broker needs the device's certificate"
            data["tls"] = {"ca_file": self.pki.ca.cert, "cert_file": device.cert, "key_file": device.key}
            if passphrase_file is not None:
                data["tls"]["key_passphrase"] = {"file": passphrase_file}
        else:
            data["allow_insecure"] = True
        data.update(overrides)
        return MqttConfig.model_validate(data)


def write_device_config(
    path: Path,
    broker: Broker,
    device_id: str,
    outbox_path: Path,
    device: CertFiles | None = None,
    **mqtt_overrides: Any,
) -> Path:
    """A full device YAML (pawnshop kiosk role: no camera needed) for `edge run` /
    `edge selftest` against `broker`."""
    mqtt_section = json.loads(
        broker.mqtt_config(device, **mqtt_overrides).model_dump_json(exclude_defaults=True)
    )
    config = {
        "device": {"id": device_id, "role": "pawnshop_kiosk"},
        "mqtt": mqtt_section,
        "storage": {"path": str(outbox_path)},
        "kiosk": {},
        "logging": {"level": "info", "format": "json"},
    }
    path.write_text(json.dumps(config, indent=2))  # JSON is valid YAML
    return path


class Subscriber:
    """Persistent-session QoS 1 subscriber (paho's own reconnect loop, short delays)."""

    def __init__(
        self, broker: Broker, topic: str, *, client_id: str = CENTRAL, creds: CertFiles | None = None
    ):
        self.topic = topic
        self.messages: list[
            tuple[str, bytes, dict[str, str], bool]
        ] = []  # topic, payload, user props, retained
        self.connects = 0
        self._lock = threading.Lock()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5)
        c.reconnect_delay_set(0.05, 0.5)
        c.max_inflight_messages_set(1000)
        c.connect_timeout = 2.0
        ctx = broker.client_tls(creds)
        if ctx is not None:
            c.tls_set_context(ctx)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        self._client = c
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        c.connect_async(broker.host, broker.port, keepalive=5, clean_start=False, properties=props)
        c.loop_start()
        if not wait_until(lambda: self.connects > 0, 10):
            self.close()
            raise RuntimeError("test subscriber could not connect")

    def _on_connect(self, client, _u, _flags, reason_code, _props) -> None:
        if not reason_code.is_failure:
            client.subscribe(self.topic, qos=1)
            self.connects += 1

    def _on_message(self, _c, _u, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(msg)

    def raw(self) -> list[mqtt.MQTTMessage]:
        """Every message received (paho objects, with their v5 properties)."""
        with self._lock:
            return list(self.messages)

    def received(self) -> list[tuple[str, bytes, dict[str, str], bool]]:
        """(topic, payload, user properties, retained) of every message received."""
        return [
            (m.topic, m.payload, dict(getattr(m.properties, "UserProperty", None) or []), bool(m.retain))
            for m in self.raw()
        ]

    def event_ids(self) -> list[str]:
        """event_id of every event received, duplicates included, in arrival order."""
        return [json.loads(p)["event_id"] for t, p, _, _ in self.received() if "/events/" in t]

    def is_connected(self) -> bool:
        return self._client.is_connected()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


# -- pytest fixtures -------------------------------------------------------------------
@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """One CA per session; `issue(CN)` gives a device certificate (reused per CN)."""
    return DevPki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """make_broker(pki=None, acl=False, persistence=False, extra=()) -> a started Broker."""
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed (scripts/setup.sh installs it)")
    made: list[Broker] = []

    def make(
        *, pki: DevPki | None = None, acl: bool = False, persistence: bool = False, extra: Sequence[str] = ()
    ) -> Broker:
        b = Broker(tmp_path / f"broker{len(made)}", pki=pki, acl=acl, persistence=persistence, extra=extra)
        made.append(b)
        return b.start()

    yield make
    for b in made:
        b.kill()


@pytest.fixture
def plain_broker(broker_factory: Callable[..., Broker]) -> Broker:
    return broker_factory()


@pytest.fixture
def tls_broker(broker_factory: Callable[..., Broker], test_pki: DevPki) -> Broker:
    """Mutual TLS with client certificates required and the per-device ACL."""
    return broker_factory(pki=test_pki, acl=True)


@pytest.fixture
def subscriber_factory() -> Iterator[Callable[..., Subscriber]]:
    made: list[Subscriber] = []

    def make(broker: Broker, topic: str = "devices/#", **kw: Any) -> Subscriber:
        s = Subscriber(broker, topic, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


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
