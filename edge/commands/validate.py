"""`edge validate --config FILE`: check a device configuration without starting anything
and without the network: the schema, then every file and directory it names (present,
of the right kind, readable by whoever runs it: the unit runs it as the service user
in ExecStartPre, with the credentials systemd hands over). `edge doctor` checks the
rest (certificate, broker, clock, cameras, reader, models, unit)."""

from __future__ import annotations

import argparse

from edge.commands.config_arg import load_or_report
from edge.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="validate a device configuration file")
    p.add_argument("--config", required=True, help="YAML configuration file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_or_report(args.config, "problems found")
    if cfg is None:
        return ExitCode.CONFIG
    if cfg.kiosk is not None and cfg.storage.encryption_key is None:
        print(
            f"{args.config}: storage.encryption_key: a kiosk stores ID data and face images in its outbox; "
            "set an encryption key (e.g. encryption_key: {credential: outbox-key})"
        )
        return ExitCode.CONFIG
    from edge.checks.files import file_findings
    from edge.checks.findings import problems

    missing = problems(file_findings(cfg))
    if missing:
        print(f"{args.config}: {len(missing)} referenced file problem(s)")
        for finding in missing:
            print(f"  {finding.detail} ({finding.fix})")
        return ExitCode.CONFIG
    tls = "mutual TLS" if cfg.mqtt.tls else "PLAIN (insecure)"
    print(
        f"OK: {cfg.device.id} ({cfg.device.role}) -> {cfg.mqtt.host}:{cfg.mqtt.port} [{tls}], "
        f"outbox {cfg.storage.path} quota {cfg.storage.quota.human_readable()}, "
        f"{len(cfg.cameras)} camera(s), kiosk {'yes' if cfg.kiosk else 'no'}"
    )
    return ExitCode.OK
