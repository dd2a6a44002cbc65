"""The machine a benchmark ran on, and the check that a run did its work before it is timed."""

from __future__ import annotations

import os
import platform

from outbound_pipeline import clock


def describe() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal"):
                    memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                    break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, {load()}")


def load() -> str:
    """The machine's load average (1, 5 and 15 minutes) as the benchmark starts: the machine is
    shared, so absolute times are read beside it and only ratios from one run are compared."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


def today() -> str:
    return clock.now().strftime("%Y-%m-%d %H:%M UTC")


class BenchmarkDidNoWork(RuntimeError):
    """A benchmark run did less than it was asked: its timing would measure nothing."""


def check_work(what: str, kind: str, *, asked: int, done: int) -> None:
    """Refuses to record a figure for a run that did less than it was asked (at least
    ``asked`` of ``kind``)."""
    if done < asked:
        raise BenchmarkDidNoWork(f"{what}: {done} {kind} done where at least {asked} were "
                                 "asked for; no figure is recorded")
