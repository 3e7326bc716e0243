"""`edge kiosk pin-hash`: make the staff PIN line for the kiosk's PIN credential.

The PIN is read from standard input (never a command-line argument, which other
users can see in the process list) and only its salted hash is printed."""

from __future__ import annotations

import argparse
import getpass
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kiosk", help="kiosk tools (staff PIN hash)")
    kiosk_sub = p.add_subparsers(dest="kiosk_command", metavar="ACTION", required=True)
    ph = kiosk_sub.add_parser(
        "pin-hash", help="read a staff PIN from stdin and print the line for the kiosk's staff_pin secret"
    )
    ph.set_defaults(func=run_pin_hash)


def run_pin_hash(args: argparse.Namespace) -> int:
    from edge.kiosk.pin import hash_pin, pin_problem

    pin = getpass.getpass("staff PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    problem = pin_problem(pin)
    if problem:
        print(f"edge kiosk: {problem}", file=sys.stderr)
        return 2
    print(hash_pin(pin))
    return 0
