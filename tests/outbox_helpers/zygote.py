"""Pre-imported parent that forks appender children on request.

Starting a fresh interpreter and importing the project costs ~0.5 s, which would make
a hundred kills take minutes; a fork of this already-initialised, single-threaded
process starts in milliseconds. Each child is still a separate process that opens the
outbox itself after the fork, so a SIGKILL hits it exactly as it would hit the daemon.

Protocol (line based): stdin "go ARGS..." -> stdout "pid N", then the child prints
"ready N" once its first append returned; when the child is gone the zygote prints
"exit N STATUS". EOF on stdin ends the zygote.

The zygote and its child share one stdout pipe, and the child is SIGKILLed at random
instants, so every protocol line is one `write` of fewer than PIPE_BUF bytes (atomic on
a pipe): never `print`, which under PYTHONUNBUFFERED issues the text and its newline as
two writes that the other process (or a kill) can cut apart. The lines of the two
processes may still come in either order ("ready N" can precede "pid N"); the reader
(tests/test_outbox_powerloss.py) keeps state per pid instead of assuming an order."""

from __future__ import annotations

import os
import sys
import traceback

from tests.outbox_helpers.appender import main as appender_main
from tests.outbox_helpers.appender import say


def child(args: list[str]) -> None:
    """Runs in the forked child; never returns."""
    code = 1
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the command pipe (and its read-ahead) belongs to the zygote
        os.close(devnull)
        code = appender_main(args, ready_tag=f"ready {os.getpid()}")
    except BaseException:
        traceback.print_exc()  # to stderr, so "child exited before it was killed" says why
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> int:
    for line in sys.stdin:
        args = line.split()
        if not args or args[0] != "go":
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(args[1:])
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"exit {pid} {os.waitstatus_to_exitcode(status)}")
    return 0


if __name__ == "__main__":
    sys.exit(serve())
