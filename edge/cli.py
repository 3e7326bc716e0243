"""The `edge` console command. Each subcommand lives in its own module under
`edge.commands` exposing `register(subparsers)`; modules are imported only when
the command line needs them, so `edge validate` does not load OpenCV or pyscard.
Every command and subcommand shows the one exit-code table (`edge.exit_codes`) in
its `--help`, so a new command gets it without writing it again."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from edge.exit_codes import ExitCode, table

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
    "provision": "provision",
    "doctor": "doctor",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge",
        description="vn-edge device daemon and technician tools",
        epilog=table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=f"(see: edge {name} --help)", add_help=False)
            continue
        importlib.import_module(f"edge.commands.{module}").register(sub)
    _add_exit_codes(parser)
    return parser


def _add_exit_codes(parser: argparse.ArgumentParser) -> None:
    """Put the exit-code table under every (sub)command's help, however deeply nested."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if child.epilog is None:
                    child.epilog = table()
                    child.formatter_class = argparse.RawDescriptionHelpFormatter
                _add_exit_codes(child)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(args_list)  # argparse exits with ExitCode.USAGE (2) itself
    return int(args.func(args) or ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
