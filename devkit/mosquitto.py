"""Run a real Mosquitto on a free loopback port with a generated configuration, for the
demo, the tests and the benchmarks (one implementation for all three).

Plain, or mutual TLS (`require_certificate true` + `use_identity_as_username true`)
with the fleet ACL (`fleet_acl`: devices write their own subtree, only the central
identity writes command topics); extra config lines for special cases
(`max_packet_size`, `message_size_limit`, `allow_anonymous false` ...). Faults are real
signals: kill (SIGKILL, no persistence save), stop (SIGTERM, the broker saves its
persistence file), freeze (SIGSTOP: the kernel still accepts TCP, nothing answers),
thaw (SIGCONT), restart on the same port. `mqtt_config()` gives a device's
`MqttConfig` for this broker, so callers never repeat host, port and TLS files."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.pki import CertFiles, DevPki
from firmware_config.mqtt import MqttConfig

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
TOPIC_PREFIX = "devices"
CENTRAL = "central"  # CN of the stand-in central server's certificate: may read every device topic


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until it holds or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def fleet_acl(central: tuple[str, ...] = (CENTRAL,), prefix: str = TOPIC_PREFIX) -> str:
    """The fleet ACL of docs/mqtt.md: each device (user = certificate CN) writes only its
    own events, attachments, status, stats and replies, and reads only its own
    commands; only the central identities read every device topic and write command
    topics. A device therefore cannot command another device, nor itself."""
    rules = [
        *(f"pattern write {prefix}/%u/{leaf}" for leaf in ("events/#", "attachments/#", "status", "stats")),
        f"pattern write {prefix}/%u/replies/#",
        f"pattern read {prefix}/%u/commands/#",
    ]
    for user in central:
        rules += ["", f"user {user}", f"topic read {prefix}/#", f"topic write {prefix}/+/commands/#"]
    return "\n".join(rules) + "\n"


@dataclass(frozen=True)
class BrokerOptions:
    tls: bool = False
    acl: bool = False
    #: usernames (= certificate CNs) that may read every device topic and write command topics
    readers: tuple[str, ...] = (CENTRAL,)
    persistence: bool = False
    #: Mosquitto's cap on QoS 1 messages in flight, advertised as Receive Maximum in CONNACK
    max_inflight_messages: int = 100
    #: extra mosquitto.conf lines, appended last
    extra: tuple[str, ...] = ()


class LocalBroker:
    """A Mosquitto process owned by the caller. Port and data directory survive
    restarts, so with persistence on a restarted broker keeps persistent sessions like
    a real one would. `pki` lets several brokers share one CA (the tests' session CA);
    without it a TLS broker makes its own in `workdir/pki`."""

    def __init__(
        self,
        workdir: Path,
        options: BrokerOptions | None = None,
        *,
        pki: DevPki | None = None,
        port: int | None = None,
    ) -> None:
        if not Path(MOSQUITTO).exists():
            raise FileNotFoundError(
                "mosquitto not installed (Debian package 'mosquitto'; run scripts/setup.sh)"
            )
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.options = options or BrokerOptions()
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.pki: DevPki | None = None
        if self.options.tls:
            self.pki = pki or DevPki(self.dir / "pki")
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = self.dir / "mosquitto.conf"
        self.log = self.dir / "mosquitto.log"
        self.conf.write_text("\n".join(self._config_lines()) + "\n")

    def _config_lines(self) -> list[str]:
        o = self.options
        lines = [
            f"listener {self.port} {self.host}",
            "per_listener_settings false",
            f"log_dest file {self.log}",
            *(f"log_type {t}" for t in ("error", "warning", "notice", "information")),
            "connection_messages true",
            # Subscribers standing in for the central server must not lose messages
            # because they were briefly slow.
            "max_queued_messages 1000000",
            "max_queued_bytes 0",
            f"max_inflight_messages {o.max_inflight_messages}",
        ]
        if os.geteuid() == 0:
            # Started as root Mosquitto drops to user 'mosquitto', which cannot read the
            # caller's temporary files; this broker is a local stand-in, so stay the caller.
            lines.append(f"user {getpass.getuser()}")
        if o.persistence:
            lines += ["persistence true", f"persistence_location {self.dir}/", "autosave_interval 1"]
        else:
            lines.append("persistence false")
        if self.pki is None:
            lines.append("allow_anonymous true")
        else:
            server = self.pki.issue("localhost", server=True)
            lines += [
                f"cafile {self.pki.ca.cert}",
                f"certfile {server.cert}",
                f"keyfile {server.key}",
                "require_certificate true",
                "use_identity_as_username true",
                "allow_anonymous false",
            ]
        if o.acl:
            acl = self.dir / "acl"
            acl.write_text(fleet_acl(o.readers))
            lines.append(f"acl_file {acl}")
        return [*lines, *o.extra]

    @property
    def tls(self) -> bool:
        return self.pki is not None

    # -- lifecycle -------------------------------------------------------------
    def start(self, timeout_s: float = 10.0) -> LocalBroker:
        assert not self.running(), "broker already running"
        with open(self.dir / "mosquitto.stderr", "ab") as err:
            self.proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=err, stderr=err
            )
        if not wait_until(self._accepting, timeout_s):
            self.kill()
            stderr = (self.dir / "mosquitto.stderr").read_text(errors="replace")[-1000:]
            raise RuntimeError(f"mosquitto did not start: {stderr}\n{self.log_text()[-2000:]}")
        return self

    def _accepting(self) -> bool:
        if not self.running():
            return False
        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: no goodbye, no persistence save."""
        if self.proc is not None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM: Mosquitto saves its persistence file, publishes nothing more, exits."""
        if self.proc is not None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def freeze(self) -> None:
        """SIGSTOP: the kernel still completes TCP handshakes, nothing answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def wait_saved(self, since: float, timeout_s: float = 10.0) -> None:
        """Block until the persistence file was written after `since` (epoch seconds).

        Mosquitto saves on its own schedule (autosave every second or two after the
        first save, which may come seconds after start); state that must survive a
        SIGKILL, such as a subscriber's persistent session, is safe only after this."""
        db = self.dir / "mosquitto.db"

        def saved() -> bool:
            try:
                return db.stat().st_mtime > since
            except FileNotFoundError:
                return False

        if not wait_until(saved, timeout_s):
            raise TimeoutError(f"mosquitto did not save {db} within {timeout_s:g}s (persistence on?)")

    def restart(self) -> None:
        """A clean restart (SIGTERM, then start on the same port and data directory)."""
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    # -- clients -----------------------------------------------------------------
    def credentials(self, cn: str) -> CertFiles:
        """Certificate and key of a client with CN = `cn` (a device id, or CENTRAL)."""
        assert self.pki is not None, "broker runs without TLS"
        return self.pki.issue(cn)

    def client_tls(self, creds: CertFiles | None) -> ssl.SSLContext | None:
        """TLS context for a client presenting `creds` (or no certificate at all);
        None for a plain broker."""
        if self.pki is None:
            return None
        ctx = ssl.create_default_context(cafile=str(self.pki.ca.cert))
        if creds is not None:
            ctx.load_cert_chain(str(creds.cert), str(creds.key))
        return ctx

    def mqtt_config(
        self, device: CertFiles | None = None, *, passphrase_file: Path | None = None, **overrides: Any
    ) -> MqttConfig:
        """A device's MqttConfig for this broker, with short timings (a loopback broker
        answers in milliseconds; waiting the field defaults would only slow tests down)."""
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
