"""The daemon's wiring: the one place where the objects are built and connected.

Start order follows the data flow backwards (outbox, then publisher, then the
producers) so no producer ever runs without a durable place to put its events;
stop order is the reverse, so the publisher can flush what the producers made.
The systemd watchdog is pinged only while every component reports healthy: a
wedged publisher loop or a dead camera thread gets the service restarted."""

from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from edge.clock import ClockStatus
from edge.events import EventDraft, StoredEvent
from edge.sdnotify import SystemdNotifier
from edge.startup import StartupError
from firmware_config import EdgeConfig
from firmware_config.root import KIOSK_ROLES

log = logging.getLogger(__name__)


class Service(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def healthy(self) -> bool: ...


class Daemon:
    def __init__(
        self,
        config: EdgeConfig,
        *,
        notifier: SystemdNotifier | None = None,
        vision_factory: Callable[..., Service] | None = None,
        config_path: Path | None = None,
    ) -> None:
        """`vision_factory` builds the vision producer with VisionService's arguments;
        the soak bench passes one with stand-in models and frame sources. `config_path`
        is the file `config` came from: remote commands change it."""
        self.config = config
        self._vision_factory = vision_factory
        self.config_path = config_path
        self.notifier = notifier or SystemdNotifier()
        self.stop_requested = threading.Event()
        self.restart_reason: str | None = None
        self._clock = ClockStatus()
        self.outbox = None
        self.publisher = None
        self.remote: Service | None = None
        self.producers: dict[str, Service] = {}

    # -- wiring --------------------------------------------------------------
    def _append(self, draft: EventDraft) -> StoredEvent:
        """What producers get instead of the outbox: store durably, then wake the publisher."""
        assert self.outbox is not None and self.publisher is not None
        stored = self.outbox.append(draft)
        self.publisher.notify()
        return stored

    def _build(self) -> None:
        from edge.outbox import Outbox
        from edge.publisher import Publisher

        cfg = self.config
        try:
            self.outbox = Outbox(cfg.storage, cfg.device.id)
        except Exception as exc:
            raise StartupError(f"cannot open outbox {cfg.storage.path}: {exc}") from exc
        commands = self._build_remote()
        try:
            self.publisher = Publisher(
                cfg.mqtt, cfg.device.id, self.outbox, stats_source=self.producer_stats, commands=commands
            )
        except Exception as exc:
            raise StartupError(f"cannot set up the MQTT publisher: {exc}") from exc
        if cfg.synthetic is not None:
            from edge.sources.synthetic import SyntheticSource

            self.producers["synthetic"] = SyntheticSource(
                cfg.synthetic, self._append, clock_synced=self._clock.synchronised
            )
        if cfg.cameras and cfg.vision is not None and cfg.vision.enabled:
            from edge.vision.pipeline import VisionService

            make = self._vision_factory or VisionService
            try:
                self.producers["vision"] = make(cfg.vision, cfg.cameras, self._append, clock=self._clock)
            except Exception as exc:  # missing weights, unusable model file, bad execution provider
                raise StartupError(f"cannot set up the vision pipeline: {exc}") from exc
        if cfg.kiosk is not None and cfg.device.role in KIOSK_ROLES:
            from edge.kiosk.build import build_kiosk_service, build_screen

            try:
                kiosk = build_kiosk_service(
                    cfg, self._append, synced=self._clock.synchronised, unsent=self.outbox.unsent
                )
                self.producers["kiosk"] = kiosk
                # after the service: started after it, stopped before it
                self.producers["kiosk_screen"] = build_screen(cfg.kiosk, kiosk)
            except Exception as exc:  # unreadable CSCA folder or PIN secret, missing face model, busy port
                raise StartupError(f"cannot set up the kiosk: {exc}") from exc

    def _build_remote(self) -> Any:
        """The remote-command service and its channel on the publisher's connection."""
        remote = self.config.remote
        if remote is None or not remote.enabled or self.config_path is None:
            return None
        from edge.publisher import CommandChannel, DeviceTopics
        from edge.remote.build import build_remote_service

        topics = DeviceTopics(self.config.mqtt.topic_prefix, self.config.device.id)
        channel: CommandChannel | None = None

        def connected() -> bool:
            return channel is not None and channel.connected

        try:
            service = build_remote_service(
                self.config, self.config_path, self, send=lambda r: channel.reply(r), connected=connected
            )
        except Exception as exc:  # unusable journal file
            raise StartupError(f"cannot set up remote commands: {exc}") from exc
        channel = CommandChannel(topics, service.submit, max_packet=remote.packet_limit)
        self.remote = service
        return channel

    # -- what remote commands need of the daemon (edge.remote.ports.DaemonPort) ------
    def request_restart(self, reason: str) -> None:
        log.warning("restart requested", extra={"reason": reason})
        self.restart_reason = reason
        self.stop_requested.set()

    def outbox_status(self) -> dict[str, Any]:
        assert self.outbox is not None
        return self.outbox.stats().as_dict()

    def health(self) -> tuple[bool, list[str]]:
        sick = self.unhealthy_components()
        if self.publisher is None or not self.publisher.connected():
            sick.append("broker connection")
        return not sick, sick

    def still(self, camera_id: str, timeout_s: float) -> bytes:
        vision = self.producers.get("vision")
        if vision is None:
            raise LookupError("this device runs no cameras")
        return vision.still(camera_id, timeout_s)  # type: ignore[attr-defined]

    def producer_stats(self) -> dict[str, object]:
        """Producer counters for the stats topic (camera drops, reconnects, …)."""
        out: dict[str, object] = {}
        for name, producer in list(self.producers.items()):
            stats = getattr(producer, "stats", None)
            if callable(stats):
                out[name] = stats()
        return out

    # -- lifecycle -----------------------------------------------------------
    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop_requested.set())
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def run(self) -> int:
        cfg = self.config
        try:
            self._build()
        except StartupError:
            self.shutdown()
            raise
        assert self.publisher is not None
        # What startup built (modules, config, models) lives as long as the process.
        # Moved out of the collector's reach, it is not walked again by every full
        # collection: with the daemon's imports that walk takes 25-45 ms on a 2-core
        # VM, with the GIL held, stalling the publisher and camera loops each time.
        gc.freeze()
        self.publisher.start()
        if self.remote is not None:
            self.remote.start()
        for name, producer in self.producers.items():
            producer.start()
            log.info("producer started", extra={"producer": name})
        log.info(
            "daemon running",
            extra={"device": cfg.device.id, "role": cfg.device.role, "producers": ",".join(self.producers)},
        )
        self.notifier.ready(f"publishing to {cfg.mqtt.host}:{cfg.mqtt.port}")
        try:
            self._supervise()
        finally:
            self.shutdown()
        return 0

    def _supervise(self) -> None:
        interval = 1.0
        if self.notifier.watchdog_interval_s:
            interval = min(interval, self.notifier.watchdog_interval_s / 3)
        last_complaint = 0.0
        while not self.stop_requested.wait(interval):
            sick = self.unhealthy_components()
            if not sick:
                self.notifier.watchdog()
            elif time.monotonic() - last_complaint > 30:
                last_complaint = time.monotonic()
                log.error("watchdog withheld: unhealthy components", extra={"components": ",".join(sick)})

    def unhealthy_components(self) -> list[str]:
        sick = [name for name, p in self.producers.items() if not p.healthy()]
        if self.publisher is not None and not self.publisher.healthy():
            sick.append("publisher")
        if self.remote is not None and not self.remote.healthy():
            sick.append("remote")
        return sick

    def shutdown(self) -> None:
        """Stop producers, flush the publisher, close the outbox. Safe to call twice."""
        self.notifier.stopping()
        for name, producer in reversed(list(self.producers.items())):
            try:
                producer.stop()
            except Exception:
                log.exception("producer failed to stop cleanly", extra={"producer": name})
        self.producers.clear()
        if self.remote is not None:
            self.remote.stop()
            self.remote = None
        if self.publisher is not None:
            self.publisher.stop(flush_timeout_s=5.0)
            self.publisher = None
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None
        log.info("daemon stopped")
