"""Wakes the publisher loop out of select() when a producer appended an event.

A flag plus a socket pair: `set()` from any thread writes one byte only when the flag
was clear, so a burst of appends costs one syscall; the loop includes `fd` in its
select() and calls `clear()` before reading the outbox, so an append that lands after
the read wakes it again. This keeps enqueue -> publish latency at a few milliseconds
without polling."""

from __future__ import annotations

import contextlib
import socket
import threading


class Wakeup:
    def __init__(self) -> None:
        self.fd, self._writer = socket.socketpair()
        self.fd.setblocking(False)
        self._writer.setblocking(False)
        self._flag = threading.Event()
        self._closed = False

    def set(self) -> None:
        if not self._flag.is_set():
            self._flag.set()
            # OSError: buffer full (already awake) or closed at shutdown
            with contextlib.suppress(OSError):
                self._writer.send(b"\0")

    def pending(self) -> bool:
        return self._flag.is_set()

    def clear(self) -> None:
        self._flag.clear()
        try:
            while self.fd.recv(4096):
                pass
        except OSError:  # BlockingIOError: drained
            pass

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.fd.close()
            self._writer.close()
