"""Run a real Mosquitto on a free loopback port with a generated configuration:
plain, or mutual TLS with `use_identity_as_username` and a per-device ACL. Fault
helpers (kill, freeze, thaw, restart) drive the chaos and security tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from edge.devtools.pki import DevPki

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
TOPIC_PREFIX = "devices"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BrokerOptions:
    tls: bool = False
    acl: bool = False
    #: usernames (= certificate CNs) that may read everything (central consumers in tests)
    readers: tuple[str, ...] = ("central",)
    max_queued_messages: int = 1_000_000
    persistence: bool = True


class LocalBroker:
    """A Mosquitto process owned by the caller. Port and data survive restarts, so a
    restarted broker keeps persistent sessions like a real one would."""

    def __init__(self, workdir: Path, options: BrokerOptions | None = None, port: int | None = None) -> None:
        if not Path(MOSQUITTO).exists():
            raise FileNotFoundError(
                "mosquitto not installed (Debian package 'mosquitto'; run scripts/setup.sh)"
            )
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.options = options or BrokerOptions()
        self.port = port or free_port()
        self.pki = DevPki(self.dir / "pki") if self.options.tls else None
        self.proc: subprocess.Popen | None = None
        self.conf = self.dir / "mosquitto.conf"
        self._write_config()

    def _write_config(self) -> None:
        o = self.options
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"persistence {'true' if o.persistence else 'false'}",
            f"persistence_location {self.dir}/",
            "autosave_interval 1",
            f"max_queued_messages {o.max_queued_messages}",
            "max_inflight_messages 0",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
        ]
        if os.geteuid() == 0:
            # Mosquitto started as root drops to user 'mosquitto', which cannot read the
            # caller's temporary files; this broker is a local stand-in, so stay as the caller.
            lines.append("user root")
        if o.tls:
            assert self.pki is not None
            server = self.pki.issue("localhost", server=True)
            lines += [
                f"cafile {self.pki.ca.cert}",
                f"certfile {server.cert}",
                f"keyfile {server.key}",
                "require_certificate true",
                "use_identity_as_username true",
            ]
        else:
            lines.append("allow_anonymous true")
        if o.acl:
            acl = self.dir / "acl"
            rules = [f"pattern write {TOPIC_PREFIX}/%u/#", f"pattern read {TOPIC_PREFIX}/%u/commands/#"]
            for reader in o.readers:
                rules += [f"user {reader}", "topic read #"]
            acl.write_text("\n".join(rules) + "\n")
            lines.append(f"acl_file {acl}")
        self.conf.write_text("\n".join(lines) + "\n")

    # -- lifecycle -------------------------------------------------------------
    def start(self, timeout_s: float = 10.0) -> LocalBroker:
        log = open(self.dir / "mosquitto.log", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {(self.dir / 'mosquitto.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"mosquitto did not listen on 127.0.0.1:{self.port}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.thaw()
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.thaw()
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def freeze(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)

    def restart(self) -> None:
        self.kill()
        self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client_files(self, device_id: str) -> tuple[Path, Path, Path]:
        """(ca, cert, key) for a client with CN = device_id."""
        assert self.pki is not None, "broker runs without TLS"
        files = self.pki.issue(device_id)
        return self.pki.ca.cert, files.cert, files.key
