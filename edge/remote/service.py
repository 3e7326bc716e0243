"""The remote-command service inside the daemon: its own thread works through the
commands the publisher hands in (so a slow command never holds up publishing), sends
each reply back through the publisher, and watches a change on trial: kept once the
daemon has stayed healthy for `healthy_for_s`, rolled back (and restarted) when
`health_deadline_s` passes first. The outcome of a trial goes to the central server
as a second reply with the command's correlation data."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from edge.boottime import BootInstant, boot_now
from edge.remote.dispatcher import CommandDispatcher, reply_body
from edge.remote.messages import Incoming, Reply
from edge.remote.ports import DaemonPort
from edge.remote.trial import Trial, TrialRecord
from firmware_config.remote import RemoteConfig

log = logging.getLogger(__name__)

QUEUE_SIZE = 32
TURN_S = 0.2


class RemoteService:
    def __init__(
        self,
        config: RemoteConfig,
        device_id: str,
        dispatcher: CommandDispatcher,
        trial: Trial,
        daemon: DaemonPort,
        *,
        send: Callable[[Reply], None],
        connected: Callable[[], bool],
        clock: Callable[[], float] = time.time,
        boot: Callable[[], BootInstant] = boot_now,
    ) -> None:
        """`clock` (wall time) only dates the replies; the trial is judged in `boot`
        time, which no clock step moves (edge.boottime)."""
        self._config = config
        self._device_id = device_id
        self._dispatcher = dispatcher
        self._trial = trial
        self._daemon = daemon
        self._send = send
        self._connected = connected
        self._clock = clock
        self._queue: queue.Queue[Incoming] = queue.Queue(QUEUE_SIZE)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="remote-commands", daemon=True)
        self._healthy_since: float | None = None
        self._boot = boot
        self._born = boot()
        self.handled = 0

    # -- Service -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def healthy(self) -> bool:
        return self._thread.is_alive() or not self._thread.ident

    def submit(self, incoming: Incoming) -> None:
        """Publisher thread: never blocks. A flood beyond the queue is refused at once."""
        try:
            self._queue.put_nowait(incoming)
        except queue.Full:
            topic = self._dispatcher.reply_topic(incoming.response_topic)
            payload = reply_body(
                self._device_id, None, "refused", code="busy", reason="too many commands waiting"
            )
            self._send(Reply(topic, payload, incoming.correlation))

    # -- thread --------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                incoming = self._queue.get(timeout=TURN_S)
            except queue.Empty:
                incoming = None
            if incoming is not None:
                self._handle(incoming)
            self._watch_trial()

    def _handle(self, incoming: Incoming) -> None:
        reply, outcome, _request = self._dispatcher.handle(incoming)
        self.handled += 1
        self._send(reply)
        if outcome is not None and outcome.restart:
            self._daemon.request_restart(f"remote command: {outcome.reason}")

    def _watch_trial(self) -> None:
        record = self._trial.load()
        if record is None:
            return
        if record.state == "trial":
            now = self._boot()
            since_born = record.started.since(self._born)
            if since_born is not None and since_born >= 0:
                return  # begun by this process, which is about to restart: the next one judges it
            healthy, sick = self._daemon.health()
            if not healthy:
                self._healthy_since = None
            elif self._healthy_since is None:
                self._healthy_since = now.seconds
            if (
                self._healthy_since is not None
                and now.seconds - self._healthy_since >= self._config.healthy_for_s
            ):
                self._trial.commit()
                log.info("change kept: healthy on trial", extra={"command": record.command})
            elif overdue := record.overdue(now):
                reason = f"{overdue} ({', '.join(sick)})"
                self._trial.rollback(reason + "; previous files restored")
                log.error("change rolled back", extra={"command": record.command, "reason": reason})
                self._daemon.request_restart("rollback of a change on trial")
                self._stop.set()
            return
        if self._connected():
            self._report(record)
            self._trial.forget()

    def _report(self, record: TrialRecord) -> None:
        status = "committed" if record.state == "committed" else "rolled_back"
        payload = reply_body(
            self._device_id, (record.command, record.nonce), status, reason=record.reason, at=self._clock()
        )
        self._send(Reply(record.reply_topic, payload, record.correlation))
