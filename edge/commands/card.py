"""`edge card ...`: technician tools for the kiosk's card reader.

`edge card readers` lists the PC/SC readers; `edge card read` reads a CCCD
chip with the access key given on the command line and prints the typed,
passive-authenticated result. Exit codes tell a script (or a technician on the
phone) what went wrong without parsing text."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.exit_codes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("card", help="card reader tools (list readers, read a CCCD chip)")
    card_sub = p.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    lst = card_sub.add_parser("readers", help="list PC/SC readers and whether a card is present")
    lst.set_defaults(func=run_readers)

    rd = card_sub.add_parser(
        "read",
        help="read a CCCD chip",
        description=(
            "Read a CCCD chip (PACE with the CAN or MRZ data, BAC fallback), parse it and run passive "
            "authentication."
        ),
    )
    rd.add_argument(
        "--config",
        type=Path,
        help="device configuration: its 'kiosk' section supplies defaults for the options below",
    )
    rd.add_argument("--reader", help="reader name or unique substring (default: first reader)")
    key = rd.add_mutually_exclusive_group(required=True)
    key.add_argument("--mrz", help="the 3 TD1 MRZ lines (newlines or spaces between them)")
    key.add_argument(
        "--doc-number", help="document number (CCCD: last 9 digits of the ID); needs --birth --expiry"
    )
    key.add_argument("--can", help="card access number (CCCD: last 6 digits of the ID)")
    rd.add_argument("--birth", help="date of birth YYMMDD (with --doc-number)")
    rd.add_argument("--expiry", help="date of expiry YYMMDD (with --doc-number)")
    rd.add_argument("--csca", type=Path, help="folder of trusted CSCA certificates (PEM/DER)")
    rd.add_argument(
        "--accept-without-csca",
        action="store_true",
        help="call the chip genuine without a CSCA trust store (commissioning only; forgeries pass)",
    )
    rd.add_argument("--no-photo", action="store_true", help="do not read DG2 (face image)")
    rd.add_argument("--json", action="store_true", help="print the full result as JSON")
    rd.add_argument(
        "--wait",
        type=float,
        default=None,
        help="seconds to wait for a card (default: kiosk.card_wait_s, else 10)",
    )
    rd.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="upper bound for the read in seconds (default: kiosk.read_timeout_s, else 20)",
    )
    rd.add_argument(
        "--extended-length",
        choices=("auto", "on", "off"),
        default=None,
        help="extended-length reads (default: kiosk.extended_length, else auto)",
    )
    rd.set_defaults(func=run_read)


def _fail(code: int, kind: str, message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": kind, "message": message, "exit_code": code}, ensure_ascii=False))
    else:
        print(f"edge card: {kind}: {message}", file=sys.stderr)
    return code


def run_readers(args: argparse.Namespace) -> int:
    from drivers.pcsc.context import PcscContext
    from drivers.pcsc.errors import ReaderError

    try:
        with PcscContext() as ctx:
            names = ctx.readers()
            for name in names:
                print(f"{name}\t{'card present' if ctx.card_present(name) else 'empty'}")
    except ReaderError as exc:
        return _fail(ExitCode.NO_READER, "no_reader", str(exc), False)
    if not names:
        return _fail(ExitCode.NO_READER, "no_reader", "no PC/SC reader attached", False)
    return ExitCode.OK


def _apply_config(args: argparse.Namespace) -> None:
    """Fill options not given on the command line from the device config (or built-in defaults)."""
    kiosk = None
    args.require_passive_auth = True
    if args.config is not None:
        from firmware_config import load_config

        kiosk = load_config(args.config).kiosk
    if kiosk is not None:
        args.reader = args.reader or kiosk.reader
        args.csca = args.csca or kiosk.csca_dir
        args.wait = args.wait if args.wait is not None else kiosk.card_wait_s
        args.timeout = args.timeout if args.timeout is not None else kiosk.read_timeout_s
        args.extended_length = args.extended_length or kiosk.extended_length
        args.no_photo = args.no_photo or not kiosk.read_photo
        args.accept_without_csca = args.accept_without_csca or kiosk.accept_without_csca
        args.require_passive_auth = kiosk.require_passive_auth
    args.wait = 10.0 if args.wait is None else args.wait
    args.timeout = 20.0 if args.timeout is None else args.timeout
    args.extended_length = args.extended_length or "auto"


def _access_key(args: argparse.Namespace):
    from kiosk.cccd.mrz import BacKeyInfo, parse_td1
    from kiosk.emrtd.session import AccessKey

    if args.can:
        return AccessKey(can=args.can)
    if args.mrz:
        mrz = parse_td1("\n".join(args.mrz.split()))  # lines may come separated by spaces on a shell line
        return AccessKey(mrz=BacKeyInfo(mrz.document_number, mrz.birth_yymmdd, mrz.expiry_yymmdd))
    if not (args.birth and args.expiry):
        raise ValueError("--doc-number needs --birth and --expiry (YYMMDD)")
    return AccessKey(mrz=BacKeyInfo(args.doc_number, args.birth, args.expiry))


def run_read(args: argparse.Namespace) -> int:
    from drivers.pcsc.connection import CardConnection
    from drivers.pcsc.context import PcscContext
    from drivers.pcsc.errors import NoCardError, NoReaderError, PcscUnavailableError, ReaderError
    from firmware_config import ConfigError
    from kiosk.cccd.errors import LdsError
    from kiosk.cccd.trust_store import TrustStore
    from kiosk.emrtd.channel import ApduChannel
    from kiosk.emrtd.chip_auth import ChipAuthenticationError
    from kiosk.emrtd.chip_read import read_chip
    from kiosk.emrtd.errors import AccessDeniedError, EmrtdError
    from kiosk.emrtd.files import extended_length_in_atr

    as_json = args.json
    try:
        _apply_config(args)
        key = _access_key(args)
        trust = TrustStore.from_directory(args.csca) if args.csca else TrustStore([])
    except ConfigError as exc:
        return _fail(ExitCode.CONFIG, "config", "; ".join(str(p) for p in exc.problems), as_json)
    except (ValueError, LdsError) as exc:
        return _fail(ExitCode.USAGE, "usage", str(exc), as_json)
    try:
        with PcscContext() as ctx:
            reader = ctx.resolve(args.reader)
            ctx.wait_for_card(reader, args.wait)
            with CardConnection(ctx, reader, deadline_s=args.timeout) as conn:
                extended = {"on": True, "off": False}.get(args.extended_length)
                if extended is None:
                    extended = extended_length_in_atr(conn.atr)
                result = read_chip(
                    ApduChannel(conn), key, trust, extended_length=extended, include_photo=not args.no_photo
                )
    except (PcscUnavailableError, NoReaderError) as exc:
        return _fail(ExitCode.NO_READER, "no_reader", str(exc), as_json)
    except NoCardError as exc:
        return _fail(ExitCode.NO_CARD, "no_card", str(exc), as_json)
    except AccessDeniedError as exc:
        return _fail(ExitCode.ACCESS_DENIED, "access_denied", str(exc), as_json)
    except ChipAuthenticationError as exc:
        return _fail(ExitCode.NOT_GENUINE, "chip_authentication_failed", str(exc), as_json)
    except (ReaderError, EmrtdError) as exc:
        return _fail(ExitCode.READ_ERROR, "read_error", f"{type(exc).__name__}: {exc}", as_json)

    from kiosk.emrtd.genuineness import GenuinenessPolicy, judge

    pa = result.passive_auth
    policy = GenuinenessPolicy(
        require_passive_auth=args.require_passive_auth,
        accept_without_csca=args.accept_without_csca and args.csca is None,
    )
    verdict = judge(policy, pa, result.active_auth, result.raw.chip_auth)
    genuine = verdict.genuine
    payload = result.to_json_dict(include_photo=not args.no_photo)
    payload["genuine"] = genuine
    payload["not_genuine_reasons"] = list(verdict.reasons)
    payload["trust_store"] = str(args.csca) if args.csca else None
    if as_json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        ident = result.identity
        print(f"{ident.full_name or '?'} ({ident.personal_number or '?'}) via {result.raw.access_method}")
        print(
            f"passive authentication: structure {pa.structure.value}, hashes {pa.hashes.value}, "
            f"signature {pa.signature.value}, chain {pa.chain.value}"
        )
        print(
            f"{result.raw.apdu_count} APDUs, {result.raw.bytes_read} bytes, {result.timings()['total_s']} s"
        )
        if not genuine:
            print(f"not genuine: {', '.join(verdict.reasons)}")
        if ident.partial:
            print(f"partial: missing {', '.join(ident.missing_fields + ident.invalid_fields)}")
    return ExitCode.OK if genuine else ExitCode.NOT_GENUINE
