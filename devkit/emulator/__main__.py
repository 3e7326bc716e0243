"""`python -m devkit.emulator`: present an emulated CCCD to a running pcscd.

    python -m devkit.emulator --card demo --pki /tmp/test-pki
    python -m devkit.emulator --card ./my-card-profile --remove-after 12

With `--card demo` a synthetic citizen's card is issued under a throw-away
test CSCA written to `--pki DIR` (give `DIR/csca` to `edge card read --csca`).
The access data is printed so a technician can try `edge card read --can ...`.
Runs until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

from devkit.emulator.card import EmulatedCard
from devkit.emulator.faults import Faults
from devkit.emulator.profile import CardProfile, ProfileError
from devkit.emulator.vpcd import VPCD_BASE_PORT, VpcdLink


def demo_profile(pki_dir: Path) -> CardProfile:
    from devkit.cccd.testcard import TestPerson, TestPki, build_card_files

    person = TestPerson.default()
    pki = TestPki.load(pki_dir) if (pki_dir / "private").is_dir() else TestPki.generate(pki_dir)
    return CardProfile(
        files=build_card_files(person, pki),
        document_number=person.document_number,
        birth=person.birth_yymmdd,
        expiry=person.expiry_yymmdd,
        can=person.can,
    )


def _ins_sw(text: str) -> tuple[int, int]:
    ins, _, sw = text.partition("=")
    return int(ins, 16), int(sw, 16)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m devkit.emulator", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--card", default="demo", help="profile directory, or 'demo' for the built-in test citizen"
    )
    p.add_argument("--pki", type=Path, help="test PKI folder for --card demo (created if missing)")
    p.add_argument("--save-profile", type=Path, help="write the card profile to this folder too")
    p.add_argument("--slot", type=int, default=0, help="vpcd slot (port 35963 + slot)")
    p.add_argument("--host", default="127.0.0.1", help="where vpcd listens (loopback)")
    p.add_argument("--no-pace", action="store_true", help="BAC-only card (no EF.CardAccess)")
    p.add_argument("--no-extended", action="store_true", help="refuse extended-length APDUs")
    p.add_argument("--wrong-key", action="store_true", help="chip keys differ from the printed access data")
    p.add_argument("--remove-after", type=int, help="pull the card after N APDUs (once)")
    p.add_argument("--delay", type=float, default=0.0, help="extra seconds before every answer")
    p.add_argument(
        "--corrupt", action="append", default=[], help="flip the last byte of FID (hex), repeatable"
    )
    p.add_argument("--bad-mac-after", type=int, help="wrong SM MAC from APDU N on")
    p.add_argument("--truncate-after", type=int, help="truncated answers from APDU N on")
    p.add_argument("--status", action="append", default=[], type=_ins_sw, help="INS=SW override (hex)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.card == "demo":
            pki_dir = args.pki or Path(tempfile.mkdtemp(prefix="cccd-test-pki-"))
            profile = demo_profile(pki_dir)
            print(f"test CSCA for passive authentication: {pki_dir / 'csca'}", flush=True)
        else:
            profile = CardProfile.load(Path(args.card))
    except ProfileError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    profile = profile.with_files(pace=not args.no_pace, extended_length=not args.no_extended)
    if args.save_profile:
        profile.save(args.save_profile)
    faults = Faults(
        wrong_key=args.wrong_key,
        remove_after=args.remove_after,
        corrupt_files={int(f, 16) for f in args.corrupt},
        status_overrides=dict(args.status),
        delay_s=args.delay,
        bad_mac_after=args.bad_mac_after,
        truncate_after=args.truncate_after,
    )
    link = VpcdLink(lambda: EmulatedCard(profile, faults), port=VPCD_BASE_PORT + args.slot, host=args.host)
    signal.signal(signal.SIGTERM, lambda *_: link.stop())
    signal.signal(signal.SIGINT, lambda *_: link.stop())
    # Access data on stdout for the technician at the console; never logged.
    print(
        f"card ready on vpcd slot {args.slot}: CAN {profile.can}, document {profile.document_number}, "
        f"birth {profile.birth}, expiry {profile.expiry}",
        flush=True,
    )
    link.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
