"""`edge run --config FILE`: the daemon (what the systemd unit starts)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from edge.commands.config_arg import load_or_report
from edge.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the device daemon")
    p.add_argument("--config", required=True, help="YAML configuration file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge.remote.trial import Trial, marker_for

    # Before the configuration is even read: a remote change whose trial ran out of time
    # (it kept the daemon from starting or from becoming healthy) is undone here.
    settled = Trial(marker_for(Path(args.config))).settle_at_start()
    if settled is not None and settled.state == "rolled_back":
        print(f"rolled back remote {settled.command}: {settled.reason}", file=sys.stderr)
    config = load_or_report(args.config, "refusing to start, the configuration is invalid")
    if config is None:
        return ExitCode.CONFIG

    from edge.daemon import Daemon
    from edge.logs import configure_logging
    from edge.startup import StartupError

    configure_logging(config.logging)
    daemon = Daemon(config, config_path=Path(args.config))
    daemon.install_signal_handlers()
    try:
        return daemon.run()
    except StartupError as exc:
        logging.getLogger("edge").error("refusing to start: %s", exc)
        print(f"refusing to start: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
