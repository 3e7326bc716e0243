"""The systemd unit: loaded, enabled and active, how often it was restarted, and that
its watchdog is armed (a wedged loop gets the daemon restarted) and was not what
stopped it last. Read with `systemctl show`; skipped where systemd does not run."""

from __future__ import annotations

import subprocess
from pathlib import Path

from edge.checks.findings import Finding, fail, ok, skipped, warn

UNIT = "vn-edge.service"
RESTARTS_WARN = 3
PROPS = "LoadState,UnitFileState,ActiveState,SubState,NRestarts,WatchdogUSec,Result"


def unit_findings(
    systemctl: str = "systemctl", *, systemd_dir: Path = Path("/run/systemd/system")
) -> list[Finding]:
    if systemctl == "systemctl" and not systemd_dir.is_dir():
        return [skipped("unit", "systemd is not running here")]
    try:
        proc = subprocess.run(
            [systemctl, "show", UNIT, f"--property={PROPS}"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [fail("unit", f"systemctl: {exc}", "is systemd installed?")]
    props = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    out: list[Finding] = []
    if props.get("LoadState") != "loaded":
        return [
            fail(
                "unit.installed",
                f"{UNIT} is {props.get('LoadState', 'unknown')}",
                "edge provision installs it",
            )
        ]
    enabled = props.get("UnitFileState") == "enabled"
    out.append(
        ok("unit.enabled", "enabled")
        if enabled
        else fail("unit.enabled", f"{UNIT} not enabled", f"systemctl enable {UNIT}")
    )
    state = f"{props.get('ActiveState')}/{props.get('SubState')}"
    if props.get("ActiveState") == "active":
        out.append(ok("unit.active", state))
    else:
        out.append(
            fail(
                "unit.active",
                f"{UNIT} is {state} (result {props.get('Result')})",
                f"journalctl -u {UNIT} -n 50; systemctl start {UNIT}",
            )
        )
    restarts = int(props.get("NRestarts", "0") or 0)
    if restarts > RESTARTS_WARN:
        out.append(
            warn("unit.restarts", f"restarted {restarts} times since boot", f"journalctl -u {UNIT} shows why")
        )
    else:
        out.append(ok("unit.restarts", f"{restarts} restart(s) since boot"))
    watchdog = props.get("WatchdogUSec", "0")
    if props.get("Result") == "watchdog":
        out.append(
            fail(
                "unit.watchdog",
                "last stopped by the watchdog (a loop stopped making progress)",
                f"journalctl -u {UNIT} names the unhealthy component",
            )
        )
    elif watchdog in ("0", "infinity", ""):
        out.append(
            warn("unit.watchdog", "watchdog not armed", "reinstall the unit (WatchdogSec=30): edge provision")
        )
    else:
        out.append(ok("unit.watchdog", f"armed ({watchdog})"))
    return out
