"""One line naming the machine a benchmark ran on, for every bench's table header.

Benchmarks report absolute figures with the machine named, so a figure can be
compared only with figures from the same kind of machine; the load average is
included because these benches run on shared 2-core VMs, where it explains noise."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe(*software: str) -> str:
    """`host: N x CPU, RAM, arch, kernel, Python, <software...>, load avg` in one line."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    parts = [
        f"{platform.node()}: {os.cpu_count()} x {cpu_model()}",
        f"{mem:.0f} GiB RAM",
        platform.machine(),
        f"Linux {platform.release()}",
        f"Python {platform.python_version()}",
        *software,
        f"load avg {os.getloadavg()[0]:.2f}",
    ]
    return ", ".join(parts)
