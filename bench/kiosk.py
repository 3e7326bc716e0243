"""Kiosk check-in benchmark (one command, prints a table):

    .venv/bin/python bench/kiosk.py [--checkins 20]

Runs the daemon's kiosk service (guesthouse workflow, encrypted outbox, face-presence
person check; and a row with face verification against the chip portrait, blink
challenge included) against the real stack: pyscard -> pcscd -> vpcd -> our emulator in
its own process, at the emulator's default per-APDU cost. The kiosk camera is a
feed paced at 15 fps that shows the rendered card front (its QR) while the service
looks for the access key and the test portrait's face afterwards, as a citizen
would (for face verification: the same face blinking about once every 0.7 s, rendered
by devkit/face_render.py, so the challenge is answered as soon as it can be). A bench thread plays the staff and the citizen: it fills the form and
accepts the moment the screen asks, and that human time is left out.

Per check-in: card placed (the service sees it) -> event committed, split into QR
(card placed -> reading), chip (reading -> person check), person check, and commit
(consent given -> committed); median and p95 over the check-ins, for short
(223-byte) and extended-length reads. Also the controller's reaction (state change -> `wait_for_change` returning in
another thread, what the screen server's event stream waits on) and, in a pass of
its own with the page open in headless Chromium on the screen server, card placed ->
the page painting "reading".
Targets (issue 10): <= 1.5 s median with extended length, <= 5 s with short APDUs;
screen reaction <= 200 ms."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import describe  # noqa: E402

from devkit.cccd.card_front import photographed, render_front  # noqa: E402
from devkit.cccd.testcard import TestPerson, TestPki, build_card_files  # noqa: E402
from devkit.emulator.profile import CardProfile  # noqa: E402
from devkit.emulator.stack import READER_NAME, PcscdProcess  # noqa: E402
from devkit.face_render import blinking_person  # noqa: E402
from devkit.kiosk_scene import face_frame  # noqa: E402
from drivers.pcsc.context import PcscContext  # noqa: E402
from edge.kiosk.build import build_person_check  # noqa: E402
from edge.kiosk.pin import hash_pin  # noqa: E402
from edge.kiosk.service import KioskService  # noqa: E402
from edge.outbox import Outbox  # noqa: E402
from firmware_config.kiosk import KioskConfig  # noqa: E402
from firmware_config.storage import StorageConfig  # noqa: E402
from kiosk.screen.protocol import ScreenState as S  # noqa: E402

FPS = 15.0


class PacedFeed:
    """A kiosk camera at FPS: the card front while the service wants the key, the
    person (frames in a loop) otherwise."""

    def __init__(self, service_state, card_frame, faces: list) -> None:
        self._state = service_state
        self._card, self._faces = card_frame, faces
        self._next = time.monotonic()
        self._shown = 0

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def drain(self) -> None: ...
    def streaming(self) -> bool:
        return True

    def next_frame(self, timeout_s: float):
        wait = self._next - time.monotonic()
        if wait > timeout_s:
            time.sleep(timeout_s)
            return None
        time.sleep(max(0.0, wait))
        self._next = max(self._next + 1 / FPS, time.monotonic())
        if self._state() in (S.ACCESS_KEY, S.CARD_PLACED):
            return self._card
        self._shown += 1
        return self._faces[self._shown % len(self._faces)]


def person_frames(method: str) -> list:
    """The person in front of the camera: still for face presence, blinking for face
    verification (its blink challenge), landmarks from the verifier's own detector."""
    if method == "face_presence":
        return [face_frame()]
    from edge.vision.faceid.verifier import FaceVerifier
    from firmware_config.faceid import FaceVerifierConfig

    detector = FaceVerifier.from_config(FaceVerifierConfig())
    frames = [face_frame(i) for i in range(30)]
    return blinking_person(frames, [detector.detect(f)[0].keypoints for f in frames])


class Recorder(threading.Thread):
    """Waits on the controller like the screen server does and plays staff and citizen
    the moment they are asked; `reaction` = the board's change -> this thread woken."""

    def __init__(self, service: KioskService, pin: str) -> None:
        super().__init__(daemon=True)
        self.service, self.pin = service, pin
        self.reactions: list[float] = []
        self.human: list[tuple[float, float]] = []  # (staff form shown, consent given)
        self.done = 0
        self.stop_flag = False

    def run(self) -> None:
        svc = self.service
        snap = svc.snapshot()
        shown = 0.0
        while not self.stop_flag:
            before = snap.state
            snap = svc.wait_for_change(snap.seq, 0.5)
            if snap.state is before:
                continue
            if snap.state is S.READING:
                self.reactions.append(time.monotonic() - svc.board.changed_at)
            elif snap.state is S.STAFF_DETAILS:
                shown = svc.board.changed_at
                svc.act({"type": "staff_unlock", "pin": self.pin})
                departure = (date.today() + timedelta(days=2)).isoformat()
                values = {"room": "101", "expected_departure": departure, "reason": "1"}
                svc.act({"type": "staff_details", "values": values})
            elif snap.state is S.CONSENT:
                svc.act({"type": "consent", "accept": True})
                self.human.append((shown, time.monotonic()))
            elif snap.state in (S.RECEIPT, S.NOT_GENUINE, S.READ_ERROR, S.TIMEOUT, S.WRONG_KEY):
                self.done += 1


def phases(history: list[tuple[S, float]], human: tuple[float, float]) -> dict[str, float] | None:
    """Step times of one check-in from the board's history (human time taken out)."""
    first: dict[S, float] = {}
    for state, at in history:
        first.setdefault(state, at)
    need = (S.CARD_PLACED, S.READING, S.PERSON_CHECK, S.STAFF_DETAILS, S.COMMITTED)
    if any(s not in first for s in need):
        return None
    return {
        "qr": first[S.READING] - first[S.CARD_PLACED],
        "chip": first[S.PERSON_CHECK] - first[S.READING],
        "face": first[S.STAFF_DETAILS] - first[S.PERSON_CHECK],
        "commit": first[S.COMMITTED] - human[1],
    }


def one_mode(
    work: Path,
    pki: TestPki,
    card_dir: Path,
    extended: bool,
    n: int,
    page: bool = False,
    method: str = "face_presence",
) -> tuple[list[dict[str, float] | None], list[float], list[float]]:
    cfg = KioskConfig.model_validate(
        {
            "reader": READER_NAME,
            "csca_dir": str(pki.trust_dir),
            "extended_length": "auto",
            "person_check": "required",
            "person_check_method": method,
            "face_verification": {"liveness": {"challenges": ["blink"]}},
            "camera": {"id": "bench", "kind": "file", "url": str(work)},
            "timeouts": {"message_s": 0.0, "receipt_s": 30},
        }
    )
    box = Outbox(
        StorageConfig(
            path=work / f"outbox-{extended}-{method}.db", encryption_key={"file": str(work / "key")}
        ),
        "bench-kiosk-01",
    )
    person = TestPerson.default()
    card_frame = photographed(render_front(person, module_px=4), frame_size=(960, 540), scale=0.9, tilt_deg=6)
    holder: dict = {}
    feed = PacedFeed(lambda: holder["svc"].board.snapshot().state, card_frame, person_frames(method))
    service = KioskService(
        cfg,
        "guesthouse_kiosk",
        box.append,
        outbox_dir=work,
        person_check=build_person_check(cfg),
        pin_hash=hash_pin("2468", iterations=1000),
        camera=feed,
    )
    holder["svc"] = service
    recorder = Recorder(service, "2468")
    recorder.start()
    service.start()
    watch = None
    if page:
        from kiosk_page import PageWatch

        watch = PageWatch(service)
    results: list[dict[str, float] | None] = []
    try:
        for i in range(n):
            service.board.history.clear()
            if watch is not None:
                watch.before()
            args = [sys.executable, "-m", "devkit.emulator", "--card", str(card_dir)]
            if not extended:
                args.append("--no-extended")
            emulator = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL)
            try:
                end = time.monotonic() + 60
                while recorder.done < i + 1 and time.monotonic() < end:
                    time.sleep(0.02)
                human = recorder.human[-1] if len(recorder.human) > i else (0.0, 0.0)
                results.append(phases(list(service.board.history), human))
                if watch is not None:
                    watch.after(list(service.board.history))
            finally:
                emulator.terminate()
                emulator.wait(10)
                with PcscContext() as ctx:
                    ctx.wait_for_removal(READER_NAME, 10)
            time.sleep(0.2)
    finally:
        recorder.stop_flag = True
        if watch is not None:
            watch.close()
        service.stop()
        box.close()
    return results, recorder.reactions, watch.reactions_ms if watch is not None else []


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkins", type=int, default=20, help="check-ins per read mode")
    parser.add_argument(
        "--page-checkins",
        type=int,
        default=10,
        help="extra check-ins with the page in headless Chromium, for card placed -> 'reading' shown (0: skip)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-kiosk-"))
    (work / "key").write_text("cd" * 32)
    person = TestPerson.default()
    pki = TestPki.generate(work / "pki")
    CardProfile(
        files=build_card_files(person, pki),
        document_number=person.document_number,
        birth=person.birth_yymmdd,
        expiry=person.expiry_yymmdd,
        can=person.can,
    ).save(work / "card")
    pcscd = PcscdProcess()
    rows, reactions, page_ms = [], [], []
    try:
        for extended, method in (
            (True, "face_presence"),
            (False, "face_presence"),
            (True, "face_verification"),
        ):
            marks, react, _ = one_mode(work, pki, work / "card", extended, args.checkins, method=method)
            rows.append((extended, method, marks))
            reactions += react
        if args.page_checkins:  # a pass of its own: Chromium's CPU must not colour the figures above
            _, _, page_ms = one_mode(work, pki, work / "card", True, args.page_checkins, page=True)
    finally:
        pcscd.stop()

    print(f"machine: {describe()}")
    print(
        f"{args.checkins} check-ins per mode, guesthouse workflow, camera {FPS:.0f} fps, staff/consent time excluded"
    )
    head = f"{'read, person check':<30}{'ok':>4}{'median s':>10}{'p95 s':>8}{'QR':>15}{'chip':>15}{'person':>15}{'commit':>15}  target"
    print(head)
    print("-" * len(head))
    ok_all = True
    for extended, method, results in rows:
        good = [r for r in results if r is not None]
        name = f"{'extended' if extended else 'short'}, {method.replace('_', ' ')}"
        if not good:
            print(f"{name:<30}{0:>4}  no check-in completed")
            ok_all = False
            continue
        total = [sum(r.values()) for r in good]
        med = statistics.median(total)
        share = {}
        for k in ("qr", "chip", "face", "commit"):
            step = statistics.median(r[k] for r in good)
            share[k] = f"{100 * step / med:.0f}% ({1000 * step:.0f} ms)"
        target = 1.5 if extended else 5.0
        ok = med <= target and len(good) == len(results)
        if method == "face_presence":  # issue 10's targets; face verification adds a challenge to answer
            ok_all &= ok
            verdict = f"<= {target} s {'OK' if ok else 'MISS'}"
        else:
            verdict = f"(no target; {len(good)}/{len(results)} passed)"
        print(
            f"{name:<30}{len(good):>4}{med:>10.3f}{pct(total, 0.95):>8.3f}"
            f"{share['qr']:>15}{share['chip']:>15}{share['face']:>15}{share['commit']:>15}"
            f"  {verdict}"
        )
    if reactions:
        med_r, p95_r = statistics.median(reactions) * 1000, pct(reactions, 0.95) * 1000
        print(
            f"controller reaction ('reading' shown -> a waiting screen thread woken): median {med_r:.1f} ms, p95 {p95_r:.1f} ms (target <= 200 ms; browser render not included)"
        )
    if page_ms:
        ok = pct(page_ms, 0.95) <= 200
        ok_all &= ok
        print(
            f"card placed -> page painted 'reading' (headless Chromium, {len(page_ms)} extended check-ins): "
            f"median {statistics.median(page_ms):.0f} ms, p95 {pct(page_ms, 0.95):.0f} ms "
            f"(target <= 200 ms) {'OK' if ok else 'MISS'}"
        )
    print("step columns: share of the median total (median of the step); shares need not add up to 100 %")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
