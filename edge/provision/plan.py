"""A plan of idempotent steps: each step says what it would change (None when the
device already is as it should be) and then changes it. Running the plan twice
changes nothing the second time, and says so; `--dry-run` only prints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


class Step(Protocol):
    name: str

    def pending(self) -> str | None:
        """What would change, or None when nothing needs to."""

    def apply(self) -> None: ...


@dataclass
class StepResult:
    name: str
    change: str | None
    applied: bool


def run_plan(steps: Sequence[Step], *, dry_run: bool, say: Callable[[str], None] = print) -> list[StepResult]:
    results = []
    for step in steps:
        change = step.pending()
        if change is None:
            say(f"  ok       {step.name}")
            results.append(StepResult(step.name, None, False))
            continue
        if dry_run:
            say(f"  would    {step.name}: {change}")
            results.append(StepResult(step.name, change, False))
            continue
        step.apply()
        say(f"  changed  {step.name}: {change}")
        results.append(StepResult(step.name, change, True))
    return results
