"""CCCD chip-read benchmark (one command, prints a table):

    .venv/bin/python bench/card.py [--repeat 3]

Issues a test card (EF.COM, EF.SOD, DG1, DG13 and a ~14 KB DG2 face image),
starts pcscd with the vpcd driver and our emulator in a separate process
(`python -m devkit.emulator`, so the card's own crypto is not charged to the
reader), then reads the whole card through pyscard -> pcscd -> vpcd for each
access method (PACE, BAC) and APDU size (short 223-byte chunks, extended
length). Per mode it reports the APDU count against the minimum for the chunk
size and against the issue-3 budget ceil(bytes/223) + 12, and splits the read
time into time waiting for the card and time in our own code (secure
messaging, PACE/BAC crypto, framing, LDS parsing, passive authentication).
Targets (issue 3): APDUs <= ceil(bytes/223) + 12; own overhead <= 10 %."""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from devkit.cccd.testcard import TestPerson, TestPki, build_card_files  # noqa: E402
from devkit.emulator.profile import CardProfile  # noqa: E402
from devkit.emulator.stack import READER_NAME, PcscdProcess  # noqa: E402
from drivers.pcsc.connection import CardConnection  # noqa: E402
from drivers.pcsc.context import PcscContext  # noqa: E402
from kiosk.cccd.trust_store import TrustStore  # noqa: E402
from kiosk.emrtd.channel import ApduChannel  # noqa: E402
from kiosk.emrtd.chip_read import ChipReadResult, read_chip  # noqa: E402
from kiosk.emrtd.files import SHORT_CHUNK, extended_length_in_atr  # noqa: E402
from kiosk.emrtd.session import AccessKey  # noqa: E402

MODES = (("PACE", False), ("BAC", False), ("PACE", True), ("BAC", True))


def one_read(person: TestPerson, trust: TrustStore, method: str) -> ChipReadResult:
    key = AccessKey(can=person.can) if method == "PACE" else AccessKey(mrz=person.bac_key_info())
    with PcscContext() as ctx:
        ctx.wait_for_card(READER_NAME, 10)
        with CardConnection(ctx, READER_NAME) as conn:
            extended = extended_length_in_atr(conn.atr)
            return read_chip(ApduChannel(conn), key, trust, extended_length=extended)


def run_mode(
    profile_dir: Path, person, trust, method: str, extended: bool, repeat: int
) -> list[ChipReadResult]:
    args = [sys.executable, "-m", "devkit.emulator", "--card", str(profile_dir)]
    if method == "BAC":
        args.append("--no-pace")
    if not extended:
        args.append("--no-extended")
    emulator = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        results = [one_read(person, trust, method) for _ in range(repeat)]
    finally:
        emulator.terminate()
        emulator.wait(10)
        with PcscContext() as ctx:
            ctx.wait_for_removal(READER_NAME, 10)
    for r in results:
        if r.raw.access_method != method or not r.passive_auth.passed:
            raise SystemExit(f"benchmark read went wrong: {r.raw.access_method}, PA {r.passive_auth}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="reads per mode (median reported)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-card-"))
    person = TestPerson.default()
    pki = TestPki.generate(work / "pki")
    files = build_card_files(person, pki)
    CardProfile(
        files=files,
        document_number=person.document_number,
        birth=person.birth_yymmdd,
        expiry=person.expiry_yymmdd,
        can=person.can,
    ).save(work / "card")
    trust = TrustStore.from_directory(pki.trust_dir)

    pcscd = PcscdProcess()
    rows = []
    try:
        for method, extended in MODES:
            results = run_mode(work / "card", person, trust, method, extended, args.repeat)
            rows.append((method, extended, results))
    finally:
        pcscd.stop()

    print(f"machine: {describe()}")
    print(
        f"card: DG2 {len(files[0x0102])} B, DG13 {len(files[0x010D])} B, SOD {len(files[0x011D])} B; "
        f"median of {args.repeat} reads per mode; stack pyscard -> pcscd -> vpcd -> emulator process"
    )
    head = (
        f"{'mode':<14}{'bytes':>7}{'chunk':>7}{'APDUs':>7}{'min':>6}{'budget':>8}"
        f"{'card s':>9}{'own s':>8}{'parse s':>9}{'total s':>9}{'own %':>7}  verdict"
    )
    print(head)
    print("-" * len(head))
    ok_all = True
    for method, extended, results in rows:
        raw = results[0].raw
        total = statistics.median(r.raw.total_seconds + r.parse_seconds for r in results)
        card = statistics.median(r.raw.card_seconds for r in results)
        protocol = statistics.median(r.raw.own_seconds for r in results)
        parse = statistics.median(r.parse_seconds for r in results)
        own_pct = 100 * (protocol + parse) / total
        minimum = sum(math.ceil(len(body) / raw.chunk_size) for body in raw.files.values())
        budget = math.ceil(raw.bytes_read / SHORT_CHUNK) + 12
        ok = raw.apdu_count <= budget and own_pct <= 10
        ok_all &= ok
        name = f"{method} {'ext' if extended else 'short'}"
        print(
            f"{name:<14}{raw.bytes_read:>7}{raw.chunk_size:>7}{raw.apdu_count:>7}{minimum:>6}{budget:>8}"
            f"{card:>9.3f}{protocol:>8.3f}{parse:>9.3f}{total:>9.3f}{own_pct:>6.1f}%  {'OK' if ok else 'MISS'}"
        )
    print("min = READ BINARY APDUs needed for these files at this chunk size (one file per APDU at least);")
    print("budget = ceil(bytes / 223) + 12 (issue 3); APDUs include EF.CardAccess, SELECT, PACE/BAC.")
    print("own = our protocol code (SM, PACE/BAC, framing); parse = LDS parsing + passive authentication.")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
