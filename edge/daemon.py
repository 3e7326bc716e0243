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
from typing import Protocol

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
    ) -> None:
        """`vision_factory` builds the vision producer with VisionService's arguments;
        the soak bench passes one with stand-in models and frame sources."""
        self.config = config
        self._vision_factory = vision_factory
        self.notifier = notifier or SystemdNotifier()
        self.stop_requested = threading.Event()
        self._clock = ClockStatus()
        self.outbox = None
        self.publisher = None
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
        try:
            self.publisher = Publisher(cfg.mqtt, cfg.device.id, self.outbox, stats_source=self.producer_stats)
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
        if self.publisher is not None:
            self.publisher.stop(flush_timeout_s=5.0)
            self.publisher = None
        if self.outbox is not None:
            self.outbox.close()
            self.outbox = None
        log.info("daemon stopped")
