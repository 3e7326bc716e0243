"""`edge doctor --config FILE [--json]`: every check a technician needs on a visit, each
failing one with its fix in one line; the exit code is the worst finding's (0 all
good, 11 warnings only, 10 something failed, 1 the configuration is invalid).

Run it as root beside the running daemon: it reads the configuration's files as the
service user would (modes and owners), and its test publish goes through the outbox,
so the daemon sends it rather than a second connection taking the daemon's over."""

from __future__ import annotations

import argparse
from pathlib import Path

from edge.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check everything a visit needs (table, or --json)")
    p.add_argument("--config", required=True, help="YAML configuration file")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    p.add_argument("--user", default="vn-edge", help="service user whose access to files is checked")
    p.add_argument("--credentials", help="credentials directory (default $CREDENTIALS_DIRECTORY)")
    p.add_argument("--systemctl", default="systemctl", help="systemctl to ask about the unit")
    p.add_argument("--pcscd-socket", type=Path, default=Path("/run/pcscd/pcscd.comm"), help="pcscd's socket")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the test publish")
    p.add_argument("--root", type=Path, default=Path("/"), help="where the unit is installed (staging)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge.checks.doctor import DoctorOptions, run_doctor
    from edge.checks.findings import Severity, render_json, render_table, worst

    options = DoctorOptions(
        user=args.user or None,
        credentials_dir=args.credentials,
        systemctl=args.systemctl,
        pcscd_socket=args.pcscd_socket,
        publish_timeout_s=args.timeout,
        root=args.root,
    )
    findings = run_doctor(Path(args.config), options)
    print(render_json(findings) if args.json else render_table(findings))
    if findings and findings[0].check == "config" and findings[0].severity == Severity.FAIL:
        return ExitCode.CONFIG
    return {Severity.FAIL: ExitCode.CHECK_FAILED, Severity.WARN: ExitCode.WARNINGS}.get(
        worst(findings), ExitCode.OK
    )
