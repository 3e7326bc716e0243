"""Is the system clock synchronised? A Raspberry Pi has no RTC: after a power cut it
boots with a stale time until NTP catches up, so every event says whether its
timestamp can be trusted. The kernel's own answer (adjtimex) covers chrony,
systemd-timesyncd and ntpd alike."""

from __future__ import annotations

import ctypes
import ctypes.util

_TIME_ERROR = 5  # adjtimex() return value: clock not synchronised


class _Timex(ctypes.Structure):
    # struct timex is 208 bytes on 64-bit Linux; only `modes` (first field) is set to 0
    # (read-only query). The buffer is oversized so any libc layout fits.
    _fields_ = [("modes", ctypes.c_uint), ("_rest", ctypes.c_byte * 512)]


class ClockStatus:
    """Reports whether the kernel considers the clock NTP-synchronised."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("c")
        self._libc = ctypes.CDLL(name, use_errno=True) if name else None

    def synchronised(self) -> bool:
        if self._libc is None:
            return False
        tx = _Timex()
        state = self._libc.adjtimex(ctypes.byref(tx))
        return state not in (-1, _TIME_ERROR)
