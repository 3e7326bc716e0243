"""One table of exit codes for every command: an invalid configuration is the same
code whichever command read it, and the table is in `--help` and in the docs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli import COMMANDS, build_parser
from edge.exit_codes import ExitCode, markdown_table, table

ROOT = Path(__file__).resolve().parents[1]

# every command that reads --config, with the other arguments it needs
CONFIG_COMMANDS = [
    ["validate"],
    ["run"],
    ["outbox", "status"],
    ["detect", "--image", "nowhere.jpg"],
    ["selftest", "publish"],
    ["card", "read", "--can", "123456"],
    ["doctor"],
]


def _edge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize("command", CONFIG_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_an_invalid_configuration_exits_with_the_config_code_from_every_command(tmp_path, command):
    bad = tmp_path / "bad.yaml"
    bad.write_text("device:\n  id: X\n")
    done = _edge(*command, "--config", str(bad))
    assert done.returncode == ExitCode.CONFIG, done.stderr


def test_every_command_covers_the_table_in_its_help() -> None:
    assert table() in build_parser().format_help()
    for name in COMMANDS:
        parser = build_parser(name)
        sub = next(a for a in parser._actions if a.dest == "command").choices[name]
        assert table() in sub.format_help(), name


def test_a_nested_subcommand_shows_the_table() -> None:
    done = _edge("card", "read", "--help")
    assert done.returncode == ExitCode.OK and "exit codes (the same for every command)" in done.stdout


def test_the_operations_guide_carries_the_same_table() -> None:
    assert markdown_table() in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def test_codes_are_unique_and_each_has_a_meaning() -> None:
    assert len({int(c) for c in ExitCode}) == len(ExitCode)
    assert all(c.describe() for c in ExitCode)
