"""The one table of exit codes for every `edge` command.

A script on a device, a provisioning tool or a technician on the phone reads the
exit code, not the text: so a code means the same thing whichever command returns
it, and the table below is printed by `edge --help`, by each command's `--help` and
written in docs/operations.md (a test keeps the three in step). A new command takes
its codes from here; a new kind of failure gets a new member at the end, never a
reused number. The card codes keep the values technicians already know."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit status of an `edge` command; `describe()` is its one-line meaning."""

    OK = 0
    CONFIG = 1
    USAGE = 2
    NO_READER = 3
    NO_CARD = 4
    ACCESS_DENIED = 5
    READ_ERROR = 6
    NOT_GENUINE = 7
    UNAVAILABLE = 8
    INPUT = 9
    CHECK_FAILED = 10
    WARNINGS = 11

    def describe(self) -> str:
        return _MEANING[self]


_MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.CONFIG: "the configuration file is invalid or unreadable (every problem is printed)",
    ExitCode.USAGE: "wrong command line (unknown option, missing or contradictory arguments)",
    ExitCode.NO_READER: "no card reader, or pcscd is not running",
    ExitCode.NO_CARD: "no card on the reader within the wait time",
    ExitCode.ACCESS_DENIED: "the card refused the access key (wrong CAN or MRZ data)",
    ExitCode.READ_ERROR: "the card read failed (card removed, transmission or protocol error)",
    ExitCode.NOT_GENUINE: "the chip failed passive, active or chip authentication",
    ExitCode.UNAVAILABLE: "a part the command needs could not be started or opened "
    "(outbox file or key, certificate, MQTT client, model weights)",
    ExitCode.INPUT: "the input given to the command could not be read (e.g. no readable image)",
    ExitCode.WARNINGS: "the checks passed with warnings (e.g. `edge doctor`: a certificate expiring "
    "within 30 days)",
    ExitCode.CHECK_FAILED: "the command ran but its check did not pass (e.g. not every self-test "
    "event was acknowledged)",
}


def table() -> str:
    """The table as plain text, for argparse epilogs (kept narrow for an SSH terminal)."""
    rows = [f"  {int(code):>3}  {code.name.lower():<14}{code.describe()}" for code in ExitCode]
    return "exit codes (the same for every command):\n" + "\n".join(rows)


def markdown_table() -> str:
    """The table as Markdown, exactly as docs/operations.md carries it."""
    rows = [f"| {int(code)} | `{code.name.lower()}` | {code.describe()} |" for code in ExitCode]
    return "\n".join(["| code | name | meaning |", "| --- | --- | --- |", *rows])
