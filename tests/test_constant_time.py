"""Secrets and authenticators are compared in constant time, everywhere.

A plain `==` on a MAC returns as soon as a byte differs, so the time a card or a
peer waits for the refusal tells how many leading bytes of a forged MAC were right.
The check reads the source: any `==`/`!=` with a MAC, token, cryptogram or
key check value on either side is a finding; `hmac.compare_digest` is the way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "edge", "devkit")
SECRET_NAME = re.compile(r"(^|_|\.)(mac|macs|token|cryptogram|kcv|check_value)(_|$|\()", re.IGNORECASE)


def _findings(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            for operand in (node.left, *node.comparators):
                text = ast.unparse(operand)
                if SECRET_NAME.search(text) and not isinstance(operand, ast.Constant):
                    found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
                    break
    return found


def test_no_mac_or_token_is_compared_with_equals() -> None:
    findings = [
        f
        for pkg in PACKAGES
        for path in (ROOT / pkg).rglob("*.py")
        for f in _findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert findings == []


def test_the_check_sees_a_mac_compared_with_equals() -> None:
    assert _findings("ok = keys.mac(data) != mac\n", "x.py")
    assert not _findings("ok = hmac.compare_digest(keys.mac(data), mac)\n", "x.py")
