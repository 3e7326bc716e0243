"""The staff PIN: stored only as a salted PBKDF2 hash, checked in constant time,
with a pause after repeated wrong entries (a 4-6 digit PIN is guessed quickly
otherwise). `edge kiosk pin-hash` prints the line a technician puts in the
credential file."""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time

ITERATIONS = 200_000
MAX_WRONG = 5
LOCKOUT_S = 60.0


class PinFormatError(ValueError):
    """The stored PIN hash is not `pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX`."""


def pin_problem(pin: str) -> str | None:
    """Why `pin` cannot be the staff PIN, or None: 4 to 12 digits, the rule of
    `edge kiosk pin-hash` and `edge provision --staff-pin-file`."""
    if not (4 <= len(pin) <= 12 and pin.isdigit()):
        return "the staff PIN must be 4 to 12 digits"
    return None


def hash_pin(pin: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)
    return f"pbkdf2-sha256${iterations}${salt.hex()}${digest.hex()}"


def _parse(stored: str) -> tuple[int, bytes, bytes]:
    try:
        scheme, iterations, salt, digest = stored.strip().split("$")
        if scheme != "pbkdf2-sha256":
            raise ValueError
        return int(iterations), bytes.fromhex(salt), bytes.fromhex(digest)
    except ValueError:
        raise PinFormatError("staff PIN secret is not a pbkdf2-sha256$ITERATIONS$SALT$HASH line") from None


class PinChecker:
    def __init__(self, stored_hash: str | None, clock=time.monotonic) -> None:
        self._parsed = _parse(stored_hash) if stored_hash else None
        self._clock = clock
        self._lock = threading.Lock()
        self._wrong = 0
        self._locked_until = 0.0

    @property
    def configured(self) -> bool:
        return self._parsed is not None

    def check(self, pin: object) -> str | None:
        """None when the PIN is right, else a screen message key."""
        if self._parsed is None:
            return "staff.no_pin_configured"
        with self._lock:
            if self._clock() < self._locked_until:
                return "staff.pin_blocked"
            iterations, salt, digest = self._parsed
            given = pin.encode("utf-8") if isinstance(pin, str) else b""
            ok = hmac.compare_digest(hashlib.pbkdf2_hmac("sha256", given, salt, iterations), digest)
            if ok:
                self._wrong = 0
                return None
            self._wrong += 1
            if self._wrong >= MAX_WRONG:
                self._wrong = 0
                self._locked_until = self._clock() + LOCKOUT_S
                return "staff.pin_blocked"
            return "staff.pin_wrong"
