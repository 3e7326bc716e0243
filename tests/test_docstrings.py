"""Docstrings say why, in words that stay true: no team or person names (they change
hands) and no timings (they change with every machine and commit; benchmarks in
bench/ report figures, commit messages record them)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("edge", "drivers", "kiosk", "firmware_config", "models", "devkit")
SKIP = ("models/train/",)  # training notebooks-as-scripts record their experiments

WHO = re.compile(r"\b(team|teams|engineer|engineers|colleague|owned by the \w+ work)\b", re.IGNORECASE)
TIMING = re.compile(
    r"\b\d+(?:[.,]\d+)?(?:\s*(?:-|->|to)\s*\d+(?:[.,]\d+)?)?\s*(?:ms|µs|us|ns|s|sec|seconds?|min)\b"
    r"|\b\d+(?:\.\d+)?\s*x\s+(?:faster|slower)\b",
    re.IGNORECASE,
)


def _docstrings(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                out.append((getattr(node, "lineno", 1), doc))
    return out


def _findings(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel.startswith(SKIP):
                continue
            for line, doc in _docstrings(path):
                found += [f"{rel}:{line}: {m.group(0)!r}" for m in pattern.finditer(doc)]
    return found


def test_docstrings_name_no_team_or_person() -> None:
    assert _findings(WHO) == []


def test_docstrings_hold_no_timings() -> None:
    assert _findings(TIMING) == []


def test_the_patterns_see_what_they_are_for() -> None:
    assert WHO.search("the LDS engineer's parser") and TIMING.search("costs ~0.3 ms on the VM")
    assert TIMING.search("2.9 -> 1.2 µs a message") and TIMING.search("about 2.5x faster")
