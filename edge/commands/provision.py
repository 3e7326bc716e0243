"""`edge provision`: set up this device (run as root over SSH). Idempotent: a second
run changes nothing and says so; `--dry-run` prints the plan and changes nothing.

  edge provision --role intersection_camera --id hcm-q1-cam-0001 --broker mqtt.example:8883 \\
      --site "..." --camera north=rtsp://... --command-key KEY
  (send /etc/vn-edge/tls/device.csr to the central CA)
  edge provision --install-cert device.pem --ca ca.pem

The first form makes the service user, directories, key passphrase, device key (on the
device; it never leaves) and CSR, configuration, outbox key and the enabled unit; the
second checks and installs the certificate. Whenever certificate and CA are in place
the run ends with `edge validate` and `edge selftest publish`."""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import subprocess
import sys
from pathlib import Path

from edge.commands.config_arg import load_or_report
from edge.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("provision", help="set up this device (idempotent; --dry-run shows the plan)")
    p.add_argument("--root", default="/", help="install under this root (staging and tests; default /)")
    p.add_argument("--role", choices=["intersection_camera", "pawnshop_kiosk", "guesthouse_kiosk"])
    p.add_argument("--id", dest="device_id", help="device id, the certificate CN (e.g. hcm-q1-cam-0001)")
    p.add_argument("--broker", help="broker HOST[:PORT] (port 8883 when omitted)")
    p.add_argument("--site", default="", help="site label for technicians")
    p.add_argument("--camera", action="append", default=[], metavar="ID=URL", help="a camera (repeat)")
    p.add_argument("--reader", help="PC/SC reader name for a kiosk (first reader when omitted)")
    p.add_argument(
        "--command-key", help="central command public key: base64 (44 chars) or a file (PEM or base64)"
    )
    p.add_argument(
        "--csca",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="kiosk: a CSCA certificate (DER or PEM) for the trust store (repeat)",
    )
    p.add_argument(
        "--staff-pin-file",
        metavar="FILE",
        help="kiosk: file whose first line is the staff PIN ('-': standard input); stored only as an "
        "encrypted credential of its hash",
    )
    p.add_argument("--user", default="vn-edge", help="service user (default vn-edge)")
    p.add_argument(
        "--reconfigure", action="store_true", help="replace an existing configuration that differs"
    )
    p.add_argument("--install-cert", type=Path, metavar="FILE", help="certificate from the central CA")
    p.add_argument("--ca", type=Path, metavar="FILE", help="the central CA to pin (with --install-cert)")
    p.add_argument("--selftest-count", type=int, default=10, help="events sent by the final selftest")
    p.add_argument("--no-start", action="store_true", help="do not (re)start the service at the end")
    p.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    p.set_defaults(func=run)


def _command_key(value: str | None) -> str | None:
    if value is None:
        return None
    text = Path(value).read_text().strip() if Path(value).is_file() else value.strip()
    if "BEGIN PUBLIC KEY" in text:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        from edge.remote.wire import public_key_b64

        return public_key_b64(load_pem_public_key(text.encode()))  # type: ignore[arg-type]
    try:
        if len(base64.b64decode(text, validate=True)) != 32:
            raise ValueError
    except (binascii.Error, ValueError):
        raise SystemExit(
            "--command-key: not an Ed25519 public key (32 bytes base64, or a PEM file)"
        ) from None
    return text


def run(args: argparse.Namespace) -> int:
    from edge.provision.layout import Layout

    if os.geteuid() != 0 and not args.dry_run:
        print("edge provision changes owners and modes: run it as root (or with --dry-run)", file=sys.stderr)
        return ExitCode.USAGE
    layout = Layout(Path(args.root), args.user)
    if args.install_cert is not None:
        return _install_cert(args, layout)
    missing = [
        f"--{n}" for n, v in (("role", args.role), ("id", args.device_id), ("broker", args.broker)) if not v
    ]
    if missing:
        print(
            f"edge provision: {', '.join(missing)} required (or --install-cert FILE --ca FILE)",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    return _provision(args, layout)


def _spec(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from edge.provision.config_file import DeviceSpec

    host, _, port = args.broker.partition(":")
    cameras = []
    for item in args.camera:
        cid, sep, url = item.partition("=")
        if not sep:
            raise SystemExit(f"--camera {item!r}: write ID=URL")
        cameras.append((cid, url))
    return DeviceSpec(
        device_id=args.device_id,
        role=args.role,
        broker_host=host,
        broker_port=int(port or 8883),
        site=args.site,
        cameras=tuple(cameras),
        reader=args.reader,
        command_key=_command_key(args.command_key),
    )


def _provision(args: argparse.Namespace, layout) -> int:  # type: ignore[no-untyped-def]
    from edge.provision.config_file import ConfigFile
    from edge.provision.credentials import OutboxKey
    from edge.provision.identity import identity_steps
    from edge.provision.plan import run_plan
    from edge.provision.system import ServiceUser, directories
    from edge.provision.unit import EnableUnit, unit_file, unit_text

    config = ConfigFile(layout, _spec(args), reconfigure=args.reconfigure)
    try:
        kiosk = _kiosk_steps(args, layout)
    except (OSError, ValueError) as exc:  # KioskSetupError, an unreadable file: nothing changed yet
        print(f"edge provision: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    steps = [
        ServiceUser(layout),
        *directories(layout),
        *identity_steps(layout, args.device_id),
        config,
        OutboxKey(layout, unit_text()),
        *kiosk,
        unit_file(layout),
        EnableUnit(layout),
    ]
    print(
        f"edge provision {args.device_id} ({args.role}) into {layout.root}{' [dry run]' if args.dry_run else ''}"
    )
    results = run_plan(steps, dry_run=args.dry_run)
    changed = [r for r in results if r.change is not None]
    if config.differs:
        print(f"  note     {layout.config} differs from the profile and was kept (--reconfigure replaces it)")
    if args.dry_run:
        print(f"dry run: {len(changed)} change(s) would be made" if changed else "dry run: nothing to change")
        return ExitCode.OK
    print(f"provision: {len(changed)} change(s) made" if changed else "provision: nothing to change")
    if any(r.applied and r.name.startswith(("systemd unit", "unit drop-in")) for r in results):
        _systemctl(layout, "daemon-reload")
    if not (layout.cert.exists() and layout.ca.exists()):
        print(
            f"next: send {layout.csr} to the central CA, then run "
            "`edge provision --install-cert device.pem --ca ca.pem`"
        )
        return ExitCode.OK
    return _finish(args, layout)


def _kiosk_steps(args: argparse.Namespace, layout) -> list:  # type: ignore[no-untyped-def]
    """The CSCA trust store and staff PIN steps of a kiosk role (edge.provision.kiosk)."""
    from edge.provision.kiosk import KIOSK_ROLES, kiosk_steps, read_staff_pin

    if args.role not in KIOSK_ROLES:
        if args.csca or args.staff_pin_file:
            raise ValueError(f"--csca and --staff-pin-file are for kiosk roles, not {args.role}")
        return []
    pin = read_staff_pin(args.staff_pin_file) if args.staff_pin_file else None
    return kiosk_steps(layout, list(args.csca), pin)


def _install_cert(args: argparse.Namespace, layout) -> int:  # type: ignore[no-untyped-def]
    from edge.provision.install_cert import check, install_steps
    from edge.provision.plan import run_plan

    if args.ca is None:
        print("edge provision --install-cert needs --ca FILE (the central CA to pin)", file=sys.stderr)
        return ExitCode.USAGE
    cfg = load_or_report(str(layout.config))
    if cfg is None:
        return ExitCode.CONFIG
    report = check(layout, cfg.device.id, args.install_cert, args.ca)
    for warning in report.warnings:
        print(f"warning: {warning}")
    if not report.ok:
        print(f"certificate {args.install_cert} refused, nothing installed:", file=sys.stderr)
        for problem in report.problems:
            print(f"  - {problem}", file=sys.stderr)
        return ExitCode.CHECK_FAILED
    print(
        f"certificate {args.install_cert}: CN={report.common_name}, valid until {report.not_after:%Y-%m-%d}"
    )
    results = run_plan(install_steps(layout, args.install_cert, args.ca), dry_run=args.dry_run)
    if args.dry_run:
        return ExitCode.OK
    changed = [r for r in results if r.applied]
    print(f"provision: {len(changed)} change(s) made" if changed else "provision: nothing to change")
    return _finish(args, layout)


def _finish(args: argparse.Namespace, layout) -> int:  # type: ignore[no-untyped-def]
    """`edge validate` and `edge selftest publish` with the credentials the unit would
    give the daemon; then (on a live root) the service is (re)started."""
    from edge.provision.credentials import checks_credentials
    from edge.provision.unit import installed_unit_text

    config = str(layout.config)
    with checks_credentials(layout, installed_unit_text(layout)) as creds:
        env = {**os.environ, "CREDENTIALS_DIRECTORY": creds}
        for cmd in (
            ["validate", "--config", config],
            [
                "selftest",
                "publish",
                "--config",
                config,
                "--count",
                str(args.selftest_count),
                "--timeout",
                "30",
            ],
        ):
            if cmd[0] == "selftest" and _active(layout):
                print("selftest skipped: the service is running (its connection would be taken over)")
                continue
            print(f"$ edge {' '.join(cmd)}")
            proc = subprocess.run(
                [sys.executable, "-m", "edge.cli", *cmd], env=env, text=True, capture_output=True
            )
            sys.stdout.write(proc.stdout)
            sys.stderr.write(proc.stderr)
            if proc.returncode != 0:
                print(f"provision: `edge {cmd[0]}` failed (exit {proc.returncode}); fix it and run again")
                return ExitCode.CHECK_FAILED
    if not args.no_start:
        _systemctl(layout, "restart", "vn-edge.service")
    return ExitCode.OK


def _systemd_running(layout) -> bool:  # type: ignore[no-untyped-def]
    return not layout.staging and Path("/run/systemd/system").is_dir()


def _active(layout) -> bool:  # type: ignore[no-untyped-def]
    if not _systemd_running(layout):
        return False
    return subprocess.run(["systemctl", "is-active", "--quiet", "vn-edge.service"]).returncode == 0


def _systemctl(layout, *cmd: str) -> None:  # type: ignore[no-untyped-def]
    if _systemd_running(layout):
        subprocess.run(["systemctl", *cmd], check=False)
