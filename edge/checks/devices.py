"""Cameras and the card reader, as the daemon will use them: each camera opens and
delivers frames at its configured rate; pcscd answers on its socket and the
configured reader (or any, when none is named) is present."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from edge.checks.findings import Finding, fail, ok, skipped, warn
from firmware_config import EdgeConfig
from firmware_config.cameras import CameraConfig

PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")


def camera_finding(cam: CameraConfig, name: str, sample_s: float) -> Finding:
    from drivers.camera import SourceError, open_source

    check = f"camera.{name}"
    try:
        source = open_source(
            cam.kind,
            cam.url,
            fps=cam.fps,
            open_timeout_s=min(cam.open_timeout_s, 10.0),
            read_timeout_s=cam.read_timeout_s,
        )
    except (SourceError, OSError) as exc:
        return fail(
            check,
            f"cannot open {cam.kind} source: {exc}",
            "check the cable/URL; stop vn-edge if the device is busy",
        )
    frames, started = 0, time.monotonic()
    try:
        while time.monotonic() - started < sample_s:
            source.read()
            frames += 1
    except (SourceError, OSError) as exc:
        if frames == 0:
            return fail(check, f"opened, but no frame: {exc}", "check the stream settings on the camera")
    finally:
        source.close()
    rate = frames / max(time.monotonic() - started, 1e-6)
    if frames == 0:
        return fail(check, "opened, but no frame", "check the stream settings on the camera")
    want = cam.fps
    detail = f"{frames} frames in {sample_s:g} s ({rate:.1f} fps" + (
        f", configured {want:g})" if want else ")"
    )
    if want and rate < 0.5 * want:
        return fail(
            check, detail, "lower the camera's resolution/bitrate or cameras[].fps; check the network"
        )
    if want and rate < 0.8 * want:
        return warn(check, detail, "the camera delivers less than configured; check its settings")
    return ok(check, detail)


def camera_findings(cfg: EdgeConfig, sample_s: float) -> list[Finding]:
    out = [camera_finding(cam, cam.id, sample_s) for cam in cfg.cameras]
    if cfg.kiosk is not None and cfg.kiosk.camera is not None:
        out.append(camera_finding(cfg.kiosk.camera, f"kiosk.{cfg.kiosk.camera.id}", sample_s))
    return out or [skipped("camera", "no camera configured")]


def reader_findings(cfg: EdgeConfig, pcscd_socket: Path = PCSCD_SOCKET) -> list[Finding]:
    if cfg.kiosk is None:
        return [skipped("reader", "not a kiosk")]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(str(pcscd_socket))
    except OSError as exc:
        return [
            fail(
                "reader.pcscd",
                f"pcscd not answering on {pcscd_socket}: {exc.strerror or exc}",
                "systemctl enable --now pcscd",
            ),
            skipped("reader.present", "needs pcscd"),
        ]
    out = [ok("reader.pcscd", f"pcscd answers on {pcscd_socket}")]
    try:
        from smartcard.System import readers

        names = [str(r) for r in readers()]
    except Exception as exc:  # pyscard raises its own error types for a dead daemon
        return [*out, fail("reader.present", f"cannot list readers: {exc}", "systemctl restart pcscd")]
    wanted = cfg.kiosk.reader
    found = [n for n in names if wanted is None or wanted in n]
    if not found:
        what = f"no reader matching {wanted!r}" if wanted else "no card reader"
        return [
            *out,
            fail(
                "reader.present",
                f"{what} (pcscd sees: {', '.join(names) or 'none'})",
                "plug the reader in; check kiosk.reader",
            ),
        ]
    return [*out, ok("reader.present", found[0])]
