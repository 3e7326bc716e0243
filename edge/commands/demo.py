"""`edge demo`: the README demo (local broker, replayed camera, emulated CCCD)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the self-contained demo on loopback")
    p.add_argument("--workdir", type=Path, default=Path("var/demo"), help="scratch folder (default var/demo)")
    p.add_argument("--seconds", type=float, default=60.0, help="upper bound for the camera part")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge.devtools.demo import run_demo

    return run_demo(args.workdir, args.seconds)
