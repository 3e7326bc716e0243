"""The `edge` console command. Each subcommand lives in its own module under
`edge.commands` exposing `register(subparsers)`; modules are imported only when
the command line needs them, so `edge validate` does not load OpenCV or pyscard."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# subcommand name -> module in edge.commands providing register(subparsers)
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "run": "run",
    "outbox": "outbox",
    "selftest": "selftest",
    "card": "card",
    "detect": "detect",
    "kiosk": "kiosk",
    "face": "face",
}

EXIT_USAGE = 2


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge", description="vn-edge device daemon and technician tools")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=f"(see: edge {name} --help)", add_help=False)
            continue
        importlib.import_module(f"edge.commands.{module}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(args_list)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
