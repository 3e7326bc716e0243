"""Loading `--config FILE` the same way in every subcommand: on error, every problem
is printed with file:line, key and suggestion, and the command gets None back."""

from __future__ import annotations

import sys

from firmware_config import ConfigError, EdgeConfig, load_config


def load_or_report(path: str, headline: str = "invalid configuration") -> EdgeConfig | None:
    try:
        return load_config(path)
    except ConfigError as exc:
        n = len(exc.problems)
        print(f"{path}: {headline} ({n} problem{'s' if n != 1 else ''})", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None
