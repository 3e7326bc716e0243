"""`edge outbox status --config FILE [--json]`: what is waiting on this device, how old
it is, what was evicted or expired and the last delivery error. Read-only, safe to run
beside the live daemon; `--json` for scripts and remote support."""

from __future__ import annotations

import argparse
import json
import sys

from edge.commands.config_arg import load_or_report
from edge.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outbox", help="inspect the durable event outbox")
    actions = p.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="depth, age, size, evictions and last error")
    status.add_argument("--config", required=True, help="YAML configuration file")
    status.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    status.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    from edge.outbox import OutboxError, inspect_outbox

    cfg = load_or_report(args.config)
    if cfg is None:
        return ExitCode.CONFIG
    try:
        stats = inspect_outbox(cfg.storage.path, int(cfg.storage.quota))
    except OutboxError as exc:
        print(f"outbox unavailable: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    if args.json:
        print(json.dumps({"path": str(cfg.storage.path), **stats.as_dict()}, indent=2, sort_keys=True))
    else:
        print(render_table(str(cfg.storage.path), stats.as_dict()))
    return ExitCode.OK


def render_table(path: str, s: dict) -> str:
    evicted = ", ".join(f"{k} {v:,}" for k, v in s["evicted_by_priority"].items())
    lines = [
        f"Outbox {path}",
        _row("waiting", f"{s['depth']:,} messages"),
        _row("oldest", "-" if s["oldest_age_s"] is None else f"{_age(s['oldest_age_s'])} ago"),
        _row(
            "stored",
            f"{_bytes(s['bytes'])} of {_bytes(s['quota_bytes'])} quota ({_bytes(s['file_bytes'])} on disk)",
        ),
        _row("rejected", f"{s['rejected']:,} held now, {s['rejected_total']:,} rejections in total"),
        _row("last error", s["last_error"] or "-"),
        _row("evicted", f"{s['evicted_total']:,} ({evicted})"),
        _row("expired", f"{s['expired_total']:,}"),
        _row("disk full", f"{s['disk_full_total']:,} times"),
        _row("appended", f"{s['appended_total']:,}"),
        _row("acknowledged", f"{s['acked_total']:,}"),
        "",
        f"  {'by type':<14}{'waiting':>9}    {'by priority':<14}{'waiting':>9}",
    ]
    types = sorted(s["depth_by_type"].items())
    prios = [(p, s["depth_by_priority"].get(p, 0)) for p in ("critical", "high", "normal", "low")]
    for i in range(max(len(types), len(prios))):
        left = f"{types[i][0]:<14}{types[i][1]:>9,}" if i < len(types) else " " * 23
        right = f"{prios[i][0]:<14}{prios[i][1]:>9,}" if i < len(prios) else ""
        lines.append(f"  {left}    {right}".rstrip())
    return "\n".join(lines)


def _row(label: str, value: str) -> str:
    return f"  {label:<14}{value}"


def _age(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{seconds:.1f}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


def _bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
