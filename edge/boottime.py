"""Time that no clock step can move: seconds since boot (CLOCK_BOOTTIME) together with
the boot they count from.

A Raspberry Pi has no RTC: it boots with the time fake-hwclock saved (hours or days
behind) and jumps when NTP synchronises; an operator may set the clock too. A deadline
kept in wall-clock time then passes at once or hours late. Boot time never steps and
keeps counting through suspend, but it starts again at zero on every boot, so an
instant carries the kernel's boot id: instants of different boots are not compared."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_clock() -> float:
    """Seconds since boot including suspend; never stepped by NTP or an operator."""
    if hasattr(time, "CLOCK_BOOTTIME"):
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    return time.monotonic()


def current_boot_id() -> str:
    """The kernel's boot id. Under the unit, /proc/sys is hidden (ProcSubset=pid) and
    systemd hands the same id over as VN_EDGE_BOOT_ID (the %b specifier)."""
    from_unit = os.environ.get("VN_EDGE_BOOT_ID", "").strip()
    if from_unit:
        return from_unit
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return "unknown"


@dataclass(frozen=True)
class BootInstant:
    """A moment as seconds since the start of one boot."""

    boot_id: str
    seconds: float

    def since(self, earlier: BootInstant) -> float | None:
        """Seconds from `earlier` to this instant, or None when a reboot lies between
        them (how long the device was off is unknowable without trusting the wall clock)."""
        if earlier.boot_id != self.boot_id:
            return None
        if self.seconds < earlier.seconds:  # boot id unreadable ("unknown") and a reboot since
            return None
        return self.seconds - earlier.seconds


def boot_now() -> BootInstant:
    return BootInstant(current_boot_id(), boot_clock())
