"""What the benchmarks measure and print about the machine they ran on, so that figures taken on a noisy shared
machine can be compared: the speed of one core now (a fixed pure-Python loop) and who else used the
CPUs during the run (other processes, niced ones, time stolen by the host)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def core_speed_ms() -> float:
    """Milliseconds one core takes for a fixed pure-Python loop (best of three; ~250 ms when fast)."""
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        total = 0
        for i in range(3_000_000):
            total += i
        best = min(best, time.process_time() - began)
    return best * 1000


def cpu_ticks() -> dict[str, int]:
    """The whole machine's CPU time so far, in clock ticks, by kind (Linux /proc/stat); {} elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return {}
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return {name: int(value) for name, value in zip(names, fields, strict=False)}


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (Linux /proc)."""
    user, system = tree_cpu_split(pid)
    return user + system


def tree_cpu_split(pid: int) -> tuple[float, float]:
    """CPU seconds (user, system) used so far by a process and its children (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            user += int(fields[11]) / ticks
            system += int(fields[12]) / ticks
    return user, system


def usage_line(before: dict[str, int], seconds: float, own_cpu_s: float) -> str:
    """A comment line: the machine's CPU use over `seconds` since `before`, and how much of it was
    not the benchmark's own (`own_cpu_s`: server and load generator)."""
    after = cpu_ticks()
    if not before or not after:
        return "# machine: no /proc/stat"
    tick = os.sysconf("SC_CLK_TCK")
    used = {k: (after[k] - before[k]) / tick for k in before}
    busy = used["user"] + used["nice"] + used["system"] + used["irq"] + used["softirq"]
    others = max(0.0, busy - own_cpu_s)
    return (f"# machine: core speed {core_speed_ms():.0f} ms (fixed loop; lower is faster), "
            f"{busy / seconds:.2f} of {os.cpu_count()} CPUs busy over {seconds:.1f} s, of which "
            f"{others / seconds:.2f} not this benchmark ({used['nice'] / seconds:.2f} niced); "
            f"host steal {used['steal'] / seconds:.2f}")
