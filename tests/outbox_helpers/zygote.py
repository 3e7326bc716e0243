"""Pre-imported parent that forks appender children on request.

Starting a fresh interpreter and importing the project costs ~0.5 s, which would make
a hundred kills take minutes; a fork of this already-initialised, single-threaded
process starts in milliseconds. Each child is still a separate process that opens the
outbox itself after the fork, so a SIGKILL hits it exactly as it would hit the daemon.

Protocol (line based): stdin "go ARGS..." -> stdout "pid N", then the child prints
"ready N" once its first append returned; when the child is gone the zygote prints
"exit N STATUS". EOF on stdin ends the zygote."""

from __future__ import annotations

import os
import sys

from tests.outbox_helpers.appender import main as appender_main


def serve() -> int:
    for line in sys.stdin:
        args = line.split()
        if not args or args[0] != "go":
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = appender_main(args[1:], ready_tag=f"ready {os.getpid()}")
            finally:
                sys.stdout.flush()
                os._exit(code)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {os.waitstatus_to_exitcode(status)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
