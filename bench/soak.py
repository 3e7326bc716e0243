"""Long-run soak of the daemon: memory, file descriptors, threads and the event ledger
over more than a million frames, a camera outage of many simulated hours, broker
outages and an outbox held at its quota. One command, one table:

    .venv/bin/python -m bench.soak                      # 1,050,000 frames, >= 100,000 texts
    .venv/bin/python -m bench.soak --frames 60000 --texts 6000   # a quick look

The daemon runs in its own process (bench/soak_daemon.py says what in it is real and
what stands in); this process starts a local Mosquitto, freezes and stops it on a
schedule, and counts the daemon's open file descriptors from /proc. The daemon puts
its own RSS in every report line, so RSS and counters describe the same moment; the
warm-up RSS is taken at the first settled line after warm-up (outbox drained, broker
up), the end RSS at the daemon's last line (everything delivered). Delivery is counted
by the broker's PUBACKs in the daemon's own outbox ledger. Targets: RSS growth after
warm-up <= 5 MB, no thread death, nothing lost (every event appended is acknowledged
by the broker, counted as evicted at the quota, or still waiting)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402
from devkit.mosquitto import BrokerOptions, LocalBroker  # noqa: E402

RSS_TARGET_MB = 5.0


#: An outbox this shallow is not draining a backlog: the publisher holds no batch of
#: rows and the allocator no drain's worth of freed blocks. RSS is compared only
#: between such moments; mid-drain it runs a few MB higher for a while.
SETTLED_DEPTH = 64


@dataclass
class Sample:
    elapsed_s: float
    line: dict
    rss_mb: float  # measured by the daemon itself when it wrote `line`
    fds: int
    broker: str

    @property
    def settled(self) -> bool:
        return (
            self.broker == "up"
            and self.line.get("outbox", {}).get("depth", SETTLED_DEPTH + 1) <= SETTLED_DEPTH
        )


@dataclass
class SoakResult:
    samples: list[Sample] = field(default_factory=list)
    final: dict = field(default_factory=dict)
    outages: list[str] = field(default_factory=list)
    warmup_rss_mb: float | None = None
    wall_s: float = 0.0

    @property
    def rss_growth_mb(self) -> float:
        """Highest RSS after warm-up minus RSS at warm-up (transient peaks included)."""
        tail = [s.rss_mb for s in self.samples if s.elapsed_s >= self.warmup_at_s]
        return max(tail) - self.warmup_rss_mb if tail and self.warmup_rss_mb is not None else float("nan")

    @property
    def rss_end_growth_mb(self) -> float:
        """Where memory settles: RSS at the last settled sample (the daemon's last line,
        written once everything is delivered) minus RSS at warm-up (also settled)."""
        settled = [s for s in self.samples if s.settled]
        if not settled or self.warmup_rss_mb is None:
            return float("nan")
        return settled[-1].rss_mb - self.warmup_rss_mb

    warmup_at_s: float = 0.0

    @property
    def lost_rows(self) -> int:
        led = self.final.get("ledger", {})
        accounted = led.get("acked_total", 0) + led.get("evicted_total", 0) + led.get("expired_total", 0)
        return led.get("appended_total", 0) - accounted - led.get("depth", 0)

    @property
    def lost_events(self) -> int:
        """Events the vision pipeline made that the outbox refused, plus rows unaccounted."""
        last = next((s.line for s in reversed(self.samples) if "append_failures" in s.line), {})
        return int(last.get("append_failures", 0)) + max(0, self.lost_rows)

    @property
    def thread_deaths(self) -> list[str]:
        return list(self.final.get("thread_deaths", ["(daemon gave no final report)"]))


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def run_soak(
    frames: int, texts: int, *, outage_hours: float = 12.0, quota: str = "2MiB", warmup: float = 0.2
) -> SoakResult:
    """Run one soak and return its samples; the broker is frozen at 30 % of the frames
    and stopped (then restarted) at 55 % and 80 %, each time for a few seconds."""
    result = SoakResult()
    with tempfile.TemporaryDirectory(prefix="vn-edge-soak-") as tmp:
        broker = LocalBroker(Path(tmp) / "broker", BrokerOptions(persistence=True))
        broker.start()
        outbox = Path(tmp) / "outbox.db"
        cmd = [
            sys.executable, "-m", "bench.soak_daemon", "--port", str(broker.port), "--outbox", str(outbox),
            "--frames", str(frames), "--texts", str(texts), "--quota", quota,
            "--outage-at", str(int(frames * 0.4)), "--outage-hours", str(outage_hours),
        ]  # fmt: skip
        started = time.monotonic()
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines: list[dict] = []
        reader = threading.Thread(
            target=lambda: lines.extend(json.loads(x) for x in child.stdout), daemon=True
        )
        reader.start()
        plan = [(0.30, "freeze", 6.0), (0.55, "stop", 6.0), (0.80, "stop", 4.0)]
        taken = 0

        def collect(broker_state: str) -> dict | None:
            """Turn the daemon's new report lines into samples; returns the latest."""
            nonlocal taken
            fresh, taken = lines[taken:], len(lines)
            fds = _fds(child.pid)
            for line in (x for x in fresh if "analysed" in x and "rss_kb" in x):
                sample = Sample(time.monotonic() - started, line, line["rss_kb"] / 1024, fds, broker_state)
                result.samples.append(sample)
                late = line["frames_served"] >= warmup * frames
                if result.warmup_rss_mb is None and late and sample.settled:
                    result.warmup_rss_mb, result.warmup_at_s = sample.rss_mb, sample.elapsed_s
            return result.samples[-1].line if result.samples else None

        try:
            while child.poll() is None:
                time.sleep(1.0)
                last = collect("up")
                if last is not None and plan and last["frames_served"] >= plan[0][0] * frames:
                    _, how, seconds = plan.pop(0)
                    broker.freeze() if how == "freeze" else broker.stop()
                    result.outages.append(f"broker {how} {seconds:g} s at {last['frames_served']:,} frames")
                    for _ in range(int(seconds)):
                        time.sleep(1.0)
                        collect("frozen" if how == "freeze" else "stopped")
                    broker.thaw() if how == "freeze" else broker.start()
                if time.monotonic() - started > 6 * 3600:
                    child.terminate()
            child.wait(60)
        finally:
            if child.poll() is None:
                child.kill()
            broker.kill()
        reader.join(10)
        collect("up")  # the daemon's last, settled line comes just before it exits
        result.wall_s = time.monotonic() - started
        result.final = next((x for x in reversed(lines) if x.get("final") and "ledger" in x), {})
    return result


def render(result: SoakResult, frames: int, texts: int) -> str:
    out = [
        f"Soak: {frames:,} frames, {texts:,} distinct plate texts wanted; {describe()}",
        "Real: Daemon wiring, SQLite outbox on disk (synchronous=normal, at its quota), MQTT publisher",
        "  to a real Mosquitto (frozen once, stopped twice), capture thread with real backoff,",
        "  queue, inference thread, tracker, plate events with JPEG crops; delivery = broker PUBACKs.",
        "Stand-in (outermost boundary): frame source (one 128x72 image, 25 fps on a simulated clock)",
        "  and plate reader (one vehicle per 8 frames, its own text) instead of decoders and ONNX models.",
        "",
        f"{'wall s':>7} {'frames':>10} {'texts':>8} {'events':>8} {'waiting':>8} {'evicted':>8} "
        f"{'RSS MB':>7} {'fds':>4} {'thr':>4} {'sim h':>6}  state",
    ]
    step = max(1, len(result.samples) // 24)
    shown = result.samples[::step] + ([result.samples[-1]] if result.samples else [])
    for s in dict.fromkeys(id(x) for x in shown):
        row = next(x for x in result.samples if id(x) == s)
        ln, ob = row.line, row.line.get("outbox", {})
        state = [row.line.get("camera_state", "?")]
        if row.broker != "up":
            state.append(f"broker {row.broker}")
        out.append(
            f"{row.elapsed_s:7.0f} {ln.get('frames_served', 0):10,} {ln.get('distinct_texts', 0):8,} "
            f"{ln.get('events_appended', 0):8,} {ob.get('depth', 0):8,} {ob.get('evicted_total', 0):8,} "
            f"{row.rss_mb:7.1f} {row.fds:4} {ln.get('threads', 0):4} {ln.get('sim_s', 0) / 3600:6.1f}  "
            + ", ".join(state)
        )
    fin = result.final
    led = fin.get("ledger", {})
    growth = result.rss_growth_mb
    out += [
        "",
        f"outages: camera unreachable {fin.get('open_refused', 0):,} attempts over the simulated outage; "
        + "; ".join(result.outages),
        f"frames served {fin.get('frames_served', 0):,}, distinct texts {fin.get('distinct_texts', 0):,}, "
        f"simulated time {fin.get('sim_s', 0) / 3600:.1f} h, wall {result.wall_s:.0f} s",
        f"outbox rows: appended {led.get('appended_total', 0):,}, acknowledged {led.get('acked_total', 0):,}, "
        f"evicted at quota {led.get('evicted_total', 0):,}, expired {led.get('expired_total', 0):,}, "
        f"waiting {led.get('depth', 0):,}",
        "",
        f"{'target':<34}{'measured':>14}  result",
        f"{'RSS growth after warm-up <= 5 MB':<34}{growth:>11.1f} MB  {_ok(growth <= RSS_TARGET_MB)}"
        f"   (peak after warm-up, drains included; settled at the end {result.rss_end_growth_mb:+.1f} MB; "
        f"warm-up RSS {result.warmup_rss_mb or float('nan'):.1f} MB, settled, after 20 % of the frames)",
        f"{'open fds (min-max)':<34}{_span([s.fds for s in result.samples if s.fds > 0]):>14}",
        f"{'threads (min-max)':<34}{_span([s.line.get('threads', 0) for s in result.samples]):>14}",
        f"{'no thread death':<34}{len(result.thread_deaths):>14}  {_ok(not result.thread_deaths)}",
        f"{'nothing lost':<34}{result.lost_events:>14}  {_ok(result.lost_events == 0 and bool(led))}",
    ]
    return "\n".join(out)


def _span(values: list[int]) -> str:
    return f"{min(values)}-{max(values)}" if values else "-"


def _ok(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", type=int, default=1_050_000)
    p.add_argument("--texts", type=int, default=110_000)
    p.add_argument("--outage-hours", type=float, default=12.0)
    p.add_argument("--quota", default="2MiB", help="small, so broker outages fill it and evict")
    args = p.parse_args(argv)
    result = run_soak(args.frames, args.texts, outage_hours=args.outage_hours, quota=args.quota)
    print(render(result, args.frames, args.texts))
    ok = result.rss_growth_mb <= RSS_TARGET_MB and not result.thread_deaths and result.lost_events == 0
    return 0 if ok and result.final else 1


if __name__ == "__main__":
    sys.exit(main())
