"""Remote-command benchmark (one command, prints a table):

    .venv/bin/python -m bench.commands [--pings 200] [--changes 3]

A real Mosquitto (mutual TLS, fleet ACL) on loopback, the daemon (`edge run`) under the
devkit supervisor as systemd would run it, and the central commander signing commands
with an Ed25519 key pinned in the device configuration.

- ping round trip: from publishing a signed `ping` to receiving its reply (correlation
  data matched), one at a time; median, p90, p99, max over `--pings`.
- set_config: from publishing a signed `set_config` (a changed stats interval) to the
  restarted daemon (a new process) answering a ping ("healthy again"), and to the
  "committed" outcome (the daemon stayed healthy for `remote.healthy_for_s`, set to 1 s
  here); median and max over `--changes`."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from bench.machine import describe
from devkit.central import CentralCommander, new_command_key, pinned_key
from devkit.mosquitto import CENTRAL, BrokerOptions, LocalBroker
from devkit.pki import DevPki
from devkit.supervisor import Supervisor

DEVICE = "hcm-q1-bench-0001"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def write_config(workdir: Path, broker: LocalBroker, pki: DevPki, key) -> Path:  # type: ignore[no-untyped-def]
    creds = pki.issue(DEVICE)
    data = {
        "device": {"id": DEVICE, "role": "pawnshop_kiosk"},
        "mqtt": {
            "host": broker.host,
            "port": broker.port,
            "tls": {"ca_file": str(pki.ca.cert), "cert_file": str(creds.cert), "key_file": str(creds.key)},
            "keepalive_s": 5,
            "connect_timeout_s": 3,
            "reconnect_min_s": 0.1,
            "reconnect_max_s": 1.0,
        },
        "storage": {"path": str(workdir / "outbox.db")},
        "kiosk": {},
        "remote": {
            "command_key": pinned_key(key),
            "journal": str(workdir / "commands.db"),
            "health_deadline_s": 60,
            "healthy_for_s": 1,
        },
        "logging": {"level": "warning"},
    }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def wait_answering(central: CentralCommander, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            central.request(DEVICE, "ping", timeout_s=0.5)
            return
        except TimeoutError:
            continue
    raise TimeoutError("the daemon did not answer")


def measure(work: Path, pings: int, changes: int, broker_extra: tuple[str, ...]) -> dict[str, list[float]]:
    pki = DevPki(work / "pki")
    broker = LocalBroker(
        work / "broker", BrokerOptions(tls=True, acl=True, extra=broker_extra), pki=pki
    ).start()
    key = new_command_key()
    config = write_config(work, broker, pki, key)
    central = CentralCommander.for_broker(broker, key, pki.issue(CENTRAL)).start()
    supervisor = Supervisor(config, work / "daemon.log", restart_s=0.1).start()
    out: dict[str, list[float]] = {"rtt": [], "healthy": [], "committed": []}
    try:
        wait_answering(central)
        for _ in range(pings):
            started = time.perf_counter()
            reply = central.request(DEVICE, "ping", timeout_s=10)
            out["rtt"].append((time.perf_counter() - started) * 1000)
            assert reply["status"] == "ok", reply
        for n in range(changes):
            data = yaml.safe_load(config.read_text())
            data["mqtt"]["stats_interval_s"] = 30 + n
            starts = supervisor.starts
            started = time.perf_counter()
            corr = central.send(DEVICE, "set_config", {"config_yaml": yaml.safe_dump(data)})
            assert central.wait_reply(corr, 10)["status"] == "accepted"
            assert supervisor.wait_starts(starts + 1, 60), "the daemon was not restarted"
            wait_answering(central)  # the new process, not the one shutting down
            out["healthy"].append(time.perf_counter() - started)
            central.wait_reply(corr, 60, status="committed")
            out["committed"].append(time.perf_counter() - started)
    finally:
        supervisor.stop()
        central.stop()
        broker.kill()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pings", type=int, default=200)
    parser.add_argument("--changes", type=int, default=3)
    args = parser.parse_args()
    runs = {}
    with tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp:
        for label, extra in (
            ("broker default", ()),
            ("broker set_tcp_nodelay true", ("set_tcp_nodelay true",)),
        ):
            work = Path(tmp) / label.replace(" ", "_")
            work.mkdir()
            runs[label] = measure(work, args.pings, args.changes, extra)
    print(
        f"machine: {describe('mosquitto 2.0.11 (mutual TLS, fleet ACL)', 'daemon under devkit supervisor')}"
    )
    head = f"{'measure':<64} {'n':>4} {'median':>9} {'p90':>9} {'p99':>9} {'max':>9}"
    print(head)
    print("-" * len(head))
    for label, r in runs.items():
        rtts = r["rtt"]
        ms = [statistics.median(rtts), percentile(rtts, 0.9), percentile(rtts, 0.99), max(rtts)]
        print(f"{'ping round trip (ms), ' + label:<64} {len(rtts):>4} " + " ".join(f"{v:>9.2f}" for v in ms))
    for label, r in runs.items():
        for name, key in (
            ("set_config -> answering again (s)", "healthy"),
            ("set_config -> committed (s)", "committed"),
        ):
            values = r[key]
            if values:
                row = f"{name + ', ' + label:<64} {len(values):>4} {statistics.median(values):>9.2f}"
                print(f"{row} {'':>9} {'':>9} {max(values):>9.2f}")
    first, second = (statistics.median(r["rtt"]) for r in runs.values())
    print(f"ping median ratio default / nodelay: {first / second:.1f}x (same run, same machine)")
    print(
        "answering again = the restarted daemon answers a ping; committed = healthy for healthy_for_s (1 s)."
    )
    print("set_config restarts `edge run` (supervisor restart delay 0.1 s; systemd's RestartSec=5 adds 5 s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
