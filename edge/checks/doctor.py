"""Every check a technician needs on a visit, in the order one would fix them: the
configuration and its files, the TLS identity, the broker, the clock, disk and outbox,
cameras, card reader, the kiosk's trust store and staff PIN, models, the unit. The parts that reach outside (clock, systemctl,
pcscd socket, timeouts) are passed in, so tests can make each check fail on purpose."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge.checks import broker, devices, host, identity, models, unit
from edge.checks.files import file_findings
from edge.checks.findings import Finding, Severity, fail, ok
from edge.checks.kiosk_setup import kiosk_findings
from firmware_config import ConfigError, EdgeConfig, load_config


@dataclass
class DoctorOptions:
    user: str | None = "vn-edge"
    credentials_dir: str | None = None
    clock: host.Clock | None = None  # the kernel's answer (edge.clock.ClockStatus) when None
    systemctl: str = "systemctl"
    pcscd_socket: Path = devices.PCSCD_SOCKET
    network_timeout_s: float = 5.0
    publish_timeout_s: float = 15.0
    camera_sample_s: float = 2.0
    root: Path = Path("/")  # where the unit and its drop-ins are installed (a staging root in tests)


def run_doctor(config_path: Path, options: DoctorOptions) -> list[Finding]:
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        first = exc.problems[0]
        return [
            fail(
                "config",
                f"{len(exc.problems)} problem(s), first: {first}",
                f"edge validate --config {config_path} lists them all",
            )
        ]
    out = [ok("config", f"{config_path} valid ({cfg.device.id}, {cfg.device.role})")]
    out += file_findings(cfg, user=options.user, credentials_dir=options.credentials_dir)
    out += identity.identity_findings(cfg, options.credentials_dir)
    out += _broker(cfg, options)
    if options.clock is None:
        from edge.clock import ClockStatus

        options.clock = ClockStatus()
    out.append(host.clock_finding(options.clock))
    out.append(host.disk_finding(cfg))
    out.append(host.outbox_finding(cfg))
    out += devices.camera_findings(cfg, options.camera_sample_s)
    out += devices.reader_findings(cfg, options.pcscd_socket)
    out += kiosk_findings(cfg, options.root, options.credentials_dir)
    out += models.model_findings(cfg)
    units = unit.unit_findings(options.systemctl)
    return out + units


def _broker(cfg: EdgeConfig, options: DoctorOptions) -> list[Finding]:
    reach = broker.reachable(cfg, options.network_timeout_s)
    if reach.severity == Severity.FAIL:
        return [reach]
    handshake = broker.tls_handshake(cfg, options.network_timeout_s, options.credentials_dir)
    if handshake.severity == Severity.FAIL:
        return [reach, handshake]
    running = any(
        f.check == "unit.active" and f.severity == Severity.OK for f in unit.unit_findings(options.systemctl)
    )
    published = broker.test_publish(
        cfg,
        daemon_running=running,
        timeout_s=options.publish_timeout_s,
        credentials_dir=options.credentials_dir,
    )
    return [reach, handshake, published]
