"""Small helpers shared by the benchmark scripts (not a test module).

The scripts in this folder are run directly (``python benchmarks/x.py``),
so this folder is on ``sys.path`` and ``import _common`` works.
"""

from __future__ import annotations

import csv
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def machine() -> dict[str, str]:
    """CPU model, cores, memory, load, Python and patchplan commit."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    commit = "unknown"
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent,
                check=False,
            ).stdout.strip()
            or "unknown"
        )
    except OSError:
        pass
    try:
        import patchplan

        source = str(Path(patchplan.__file__).parent)
    except ImportError:
        source = "not importable"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "load_1_5_15": " ".join(f"{x:.2f}" for x in load()),
        "python": platform.python_version(),
        "os": platform.platform(),
        "commit": commit,
        "patchplan": source,
    }


def machine_line() -> str:
    """:func:`machine` as one line for a report or a log."""
    m = machine()
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['memory']}, load {m['load_1_5_15']}, "
        f"Python {m['python']}, patchplan commit {m['commit']}"
    )


def load() -> tuple[float, float, float]:
    """1, 5 and 15-minute load averages (nan where unavailable)."""
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def fmt(value: Any, digits: int = 2) -> str:
    """A table cell: floats to ``digits`` decimals, booleans as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, int]]) -> str:
    """``columns``: (key, header, decimals). Text columns left, numbers right."""
    head = "| " + " | ".join(h for _, h, _ in columns) + " |"
    align = []
    for key, _, _ in columns:
        numeric = any(isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool) for r in rows)
        align.append("---:" if numeric else "---")
    lines = [head, "|" + "|".join(align) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(k), d) for k, _, d in columns) + " |")
    return "\n".join(lines)


def write_csv(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """All keys of all rows, in first-seen order."""
    rows = list(rows)
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children: the rounds
    engine searches in a forked child, which ``time.process_time`` misses."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def mean(values: Iterable[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return sum(vals) / len(vals) if vals else float("nan")
