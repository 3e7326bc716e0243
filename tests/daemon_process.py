"""`edge run` in its own process, as systemd runs it: a real $NOTIFY_SOCKET datagram
socket and a watchdog interval, so tests can see READY/WATCHDOG/STOPPING, then a
SIGTERM stop that returns the daemon's output."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SupervisedDaemon:
    proc: subprocess.Popen
    notify: socket.socket
    output: str = ""
    states: list[bytes] = field(default_factory=list)

    def next_state(self) -> bytes:
        """The next sd_notify datagram (raises TimeoutError after the socket timeout)."""
        return self.notify.recv(200)

    def watchdog_pings(self, wanted: int, timeout_s: float) -> int:
        self.notify.settimeout(timeout_s)
        pings = 0
        with contextlib.suppress(TimeoutError):
            while pings < wanted:
                if self.next_state() == b"WATCHDOG=1":
                    pings += 1
        return pings

    def terminate(self, timeout_s: float = 30) -> int:
        """SIGTERM, wait, keep the output and every state sent until exit."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.output, _ = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.output, _ = self.proc.communicate()
        self.notify.settimeout(0.5)
        with contextlib.suppress(TimeoutError):
            while True:
                self.states.append(self.next_state())
        return self.proc.returncode


@contextlib.contextmanager
def supervised_daemon(config: Path, workdir: Path, *, watchdog_usec: int) -> Iterator[SupervisedDaemon]:
    path = str(workdir / "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(path)
    notify.settimeout(20)
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": str(watchdog_usec)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    daemon = SupervisedDaemon(proc, notify)
    try:
        yield daemon
    finally:
        if proc.poll() is None:
            daemon.terminate()
        notify.close()
