"""One finding of a check, and how a list of them is shown and turned into an exit code."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.IntEnum):
    OK = 0
    SKIPPED = 1  # not applicable here (no camera, no kiosk, no systemd ...)
    WARN = 2
    FAIL = 3


@dataclass(frozen=True)
class Finding:
    check: str  # short dotted name, e.g. "tls.cert_expiry"
    severity: Severity
    detail: str
    fix: str = ""  # one line: what to do (empty when OK)

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "severity": self.severity.name.lower(),
            "detail": self.detail,
            "fix": self.fix,
        }


def ok(check: str, detail: str) -> Finding:
    return Finding(check, Severity.OK, detail)


def fail(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, Severity.FAIL, detail, fix)


def warn(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, Severity.WARN, detail, fix)


def skipped(check: str, detail: str) -> Finding:
    return Finding(check, Severity.SKIPPED, detail)


def worst(findings: Iterable[Finding]) -> Severity:
    return max((f.severity for f in findings), default=Severity.OK)


def problems(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.FAIL]


def render_table(findings: list[Finding]) -> str:
    """Human table for an SSH terminal: status, check, detail; the fix under each
    finding that is not OK."""
    width = max((len(f.check) for f in findings), default=10)
    lines = []
    for f in findings:
        mark = {Severity.OK: "ok", Severity.SKIPPED: "--", Severity.WARN: "WARN", Severity.FAIL: "FAIL"}
        lines.append(f"{mark[f.severity]:<5} {f.check:<{width}}  {f.detail}")
        if f.fix and f.severity >= Severity.WARN:
            lines.append(f"{'':<5} {'':<{width}}  fix: {f.fix}")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
    lines.append(
        f"{counts[Severity.FAIL]} failed, {counts[Severity.WARN]} warning(s), "
        f"{counts[Severity.OK]} ok, {counts[Severity.SKIPPED]} not applicable"
    )
    return "\n".join(lines)


def render_json(findings: list[Finding]) -> str:
    return json.dumps(
        {"worst": worst(findings).name.lower(), "findings": [f.as_dict() for f in findings]}, indent=2
    )
