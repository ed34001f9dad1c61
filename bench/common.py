"""What every benchmark script shares: progress lines, timing, peak memory, the report file."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def timed(function: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``function()`` took, and its result."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def peak_rss_mib() -> int:
    """Peak resident memory of this process so far."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (Linux /proc): the work a
    server did, which a busy shared machine stretches less than wall-clock time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """The one-minute load average, to say how busy the machine was."""
    return round(os.getloadavg()[0], 1)


def save_run(out: Path, name: str, report: dict[str, Any]) -> None:
    """Put ``report`` under ``runs[name]`` of the JSON report ``out`` (other runs kept)."""
    results = json.loads(out.read_text()) if out.exists() else {}
    results.setdefault("runs", {})[name] = report
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
