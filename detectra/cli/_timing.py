"""Where the wall time of a `train` / `eval` command went, for the line that ends its summary."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

__all__ = ["RunClock", "format_duration", "process_start"]


def process_start() -> float:
    """The ``time.perf_counter()`` value at which this process started (Linux: from /proc, so the interpreter's
    start-up and imports count), or now where that is not known."""
    now = time.perf_counter()
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        age = uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime: clock ticks after boot
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - age if 0 <= age < 86400 else now


def format_duration(seconds: float) -> str:
    """'0m07s', '5m40s', '1h02m03s' (rounded to the second)."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


@dataclass
class RunClock:
    """The wall time of one command from its start (``time.perf_counter()`` when the command began), split into
    the phases the command times itself; what they leave is its start-up (imports, building the model, loading
    the datasets and weights), so the parts add up to the total."""

    start: float
    training: float = 0.0  # the training loop, less the evaluations run inside it
    evaluation: float = 0.0  # every evaluation on the test sets (periodic, final, --eval-only)
    finishing: float = 0.0  # the plots and the annotated pictures after the run
    finishing_label: str = "plots and pictures"

    def phases(self, now: float | None = None) -> tuple[float, list[tuple[str, float]]]:
        """(total seconds, [(phase, seconds)]) up to ``now`` (default: this moment), with the phases that ran."""
        total = (time.perf_counter() if now is None else now) - self.start
        timed = [("training", self.training), ("evaluation", self.evaluation),
                 (self.finishing_label, self.finishing)]  # fmt: skip
        timed = [(name, s) for name, s in timed if s > 0]
        startup = max(total - sum(s for _, s in timed), 0.0)
        return total, [("start-up", startup), *timed]

    def finished_line(self, now: float | None = None) -> str:
        """'Finished in 5m40s (start-up 0m21s, training 5m12s, evaluation 0m05s, plots and pictures 0m02s).'"""
        total, phases = self.phases(now)
        parts = ", ".join(f"{name} {format_duration(s)}" for name, s in phases)
        return f"Finished in {format_duration(total)} ({parts})."
