"""Group commit: many concurrent appenders, one transaction, one fsync.

A durable commit costs one fsync (far slower on an SD card than on a server disk),
which caps one event per transaction at the device's fsync rate (bench/outbox.py). Appenders
queue their item; one of them is the leader and commits everything queued so far in
one transaction, then wakes exactly the callers it committed for and hands leadership
to the first caller still waiting. Every caller returns only after its own data is
durable. Followers sleep on their own event instead of queueing on the write lock, so
waking N of them is N independent wake-ups, not N serial lock hand-offs under the GIL.
There is no background thread: nothing to start, stop or lose on shutdown."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Ticket(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result", "wake")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None
        self.wake = threading.Event()


class GroupCommitter(Generic[T, R]):
    """`commit(items)` must return one result per item, or raise; on failure of a
    group larger than one, each item is retried alone so one caller's error (e.g. its
    event does not fit) does not fail the others. `lock` is held around every commit
    so other writers of the same connection set can be kept out."""

    def __init__(self, commit: Callable[[list[T]], list[R]], lock: threading.Lock) -> None:
        self._commit = commit
        self._lock = lock
        self._queue: list[_Ticket[T, R]] = []
        self._queue_lock = threading.Lock()
        self._leader_active = False

    def submit(self, item: T, *, check: Callable[[], None]) -> R:
        ticket: _Ticket[T, R] = _Ticket(item)
        with self._queue_lock:
            self._queue.append(ticket)
            follow = self._leader_active
            self._leader_active = True
        if follow:
            ticket.wake.wait()
        if not ticket.done:  # we lead: either nobody was leading, or leadership was handed to us
            self._lead(check)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _lead(self, check: Callable[[], None]) -> None:
        with self._queue_lock:
            group, self._queue = self._queue, []
        try:
            with self._lock:
                check()
                self._run(group)
        except BaseException as exc:
            for t in group:
                if not t.done:
                    t.error, t.done = exc, True
            raise_after = exc
        else:
            raise_after = None
        finally:
            for t in group:
                t.done = True
                t.wake.set()
            with self._queue_lock:
                if self._queue:
                    self._queue[0].wake.set()  # hand leadership to the oldest waiter
                else:
                    self._leader_active = False
        if raise_after is not None and not isinstance(raise_after, Exception):
            raise raise_after  # KeyboardInterrupt and friends propagate in the leader too

    def _run(self, group: list[_Ticket[T, R]]) -> None:
        try:
            results = self._commit([t.item for t in group])
        except Exception:
            if len(group) == 1:
                raise
            for t in group:
                try:
                    t.result = self._commit([t.item])[0]
                except Exception as exc:
                    t.error = exc
                t.done = True
            return
        for t, r in zip(group, results, strict=True):
            t.result, t.done = r, True
