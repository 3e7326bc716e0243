"""Run the real PC/SC stack around the emulator: pcscd in the foreground with
only the vpcd driver configured, and the emulated card on a vpcd slot.

Used by the end-to-end tests, the benchmark and `scripts/demo.sh`-style
manual runs; nothing here is a mock: pyscard -> pcscd -> vpcd -> emulator."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from devkit.emulator.card import EmulatedCard
from devkit.emulator.faults import Faults
from devkit.emulator.profile import CardProfile
from devkit.emulator.vpcd import VPCD_BASE_PORT, VpcdLink
from drivers.pcsc.context import PcscContext
from drivers.pcsc.errors import ReaderError

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PID_FILE = Path("/run/pcscd/pcscd.pid")
READER_NAME = "Virtual PCD 00 00"

VPCD_CONF = f"""FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x{VPCD_BASE_PORT:04X}
LIBPATH      {VPCD_DRIVER}
CHANNELID    0x{VPCD_BASE_PORT:04X}
"""


class StackUnavailable(RuntimeError):
    """pcscd or the vpcd driver is missing, or another pcscd is in the way."""


def _running_pcscd() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


class PcscdProcess:
    """pcscd started by us (foreground, our own reader.conf.d); stopped by us."""

    def __init__(self) -> None:
        if shutil.which("pcscd") is None or not VPCD_DRIVER.exists():
            raise StackUnavailable("pcscd or vsmartcard-vpcd not installed (scripts/setup.sh installs them)")
        if _running_pcscd() is not None:
            raise StackUnavailable(f"another pcscd (pid {_running_pcscd()}) is running; stop it first")
        self._conf = Path(tempfile.mkdtemp(prefix="vpcd-conf-"))
        (self._conf / "vpcd").write_text(VPCD_CONF)
        self._log = open(self._conf.with_suffix(".log"), "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            ["pcscd", "--foreground", "--config", str(self._conf), "--error"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(10.0)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackUnavailable(f"pcscd exited with {self.process.returncode}")
            try:
                with PcscContext() as ctx:
                    if READER_NAME in ctx.readers():
                        return
            except ReaderError:
                pass
            time.sleep(0.1)
        self.stop()
        raise StackUnavailable("pcscd did not list the vpcd reader in time")

    def restart(self, down_s: float = 0.0) -> None:
        """Stop pcscd, stay down `down_s` seconds, start it again: to a client this is
        the reader unplugged and plugged back (the service goes away with it)."""
        self.stop()
        time.sleep(down_s)
        self.__init__()  # type: ignore[misc]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()
        shutil.rmtree(self._conf, ignore_errors=True)


class EmulatorThread:
    """An emulated card presented on vpcd slot 0 from a background thread."""

    def __init__(
        self, profile: CardProfile, faults: Faults | None = None, port: int = VPCD_BASE_PORT
    ) -> None:
        self.faults = faults or Faults()
        self.link = VpcdLink(lambda: EmulatedCard(profile, self.faults), port=port)
        self._thread = threading.Thread(target=self.link.serve_forever, name="cccd-emulator", daemon=True)
        self._thread.start()

    @property
    def apdu_count(self) -> int:
        return self.link.card.apdu_count if self.link.card else 0

    def stop(self) -> None:
        self.link.stop()
        self._thread.join(5)


def wait_card_state(present: bool, timeout_s: float = 10.0) -> None:
    """Wait until pcscd sees the virtual card (or its absence)."""
    with PcscContext() as ctx:
        if present:
            ctx.wait_for_card(READER_NAME, timeout_s)
        else:
            ctx.wait_for_removal(READER_NAME, timeout_s)


@contextlib.contextmanager
def presented(profile: CardProfile, faults: Faults | None = None) -> Iterator[EmulatorThread]:
    """Present a card for the duration of the block, then take it away."""
    emulator = EmulatorThread(profile, faults)
    try:
        wait_card_state(True)
        yield emulator
    finally:
        emulator.stop()
        with contextlib.suppress(ReaderError):
            wait_card_state(False)
