"""A stand-in for systemd's `Restart=always` for the tests and the benchmark: runs
`edge run --config FILE` in its own process and starts it again `restart_s` after it
exits, for whatever reason, until `stop()`. What remote restarts and automatic
rollbacks rely on (something that outlives the daemon) is thereby real in tests
where no systemd runs. Every start and exit code is recorded; the daemon's output
goes to one log file across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path


class Supervisor:
    def __init__(
        self,
        config: Path,
        log_file: Path,
        *,
        restart_s: float = 0.5,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.config = Path(config)
        self.log_file = Path(log_file)
        self.restart_s = restart_s
        self._env = {**os.environ, **(env or {})}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.exit_codes: list[int] = []
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def _spawn(self) -> subprocess.Popen[bytes]:
        with open(self.log_file, "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "edge.cli", "run", "--config", str(self.config)],
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if self._stop.is_set():
                    return
                self._proc = self._spawn()
                self.starts += 1
            code = self._proc.wait()
            with self._lock:
                self.exit_codes.append(code)
            self._stop.wait(self.restart_s)

    def pid(self) -> int | None:
        with self._lock:
            return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM the daemon (as `systemctl stop` does) and stop restarting it."""
        self._stop.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._thread.join(timeout_s)

    def wait_starts(self, n: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.starts >= n:
                return True
            time.sleep(0.05)
        return self.starts >= n

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
