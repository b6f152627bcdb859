"""Progress of a sweep: runs done, failed, rate (runs per minute) and time left.

On a terminal: a rich progress bar on stderr. Otherwise (logs, CI, a cluster job): one plain line
on stderr every ``interval`` seconds and at the end, so a long sweep still shows it is alive.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["SweepProgress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``3725`` -> ``"1h02m05s"``; ``65`` -> ``"1m05s"``; unknown -> ``"?"``."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class SweepProgress:
    """Counts runs as they finish and shows the count, the rate and the time left.

    ``total`` is every run of the experiment, ``already`` those finished by earlier sweeps into
    the same folder (they count as done but not towards the rate).
    """

    def __init__(
        self,
        total: int,
        already: int,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        interval: float = 10.0,
        label: str = "sweep",
    ):
        self.total, self.already = total, already
        self.done, self.failed = already, 0
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.interval = interval
        self.label = label
        self.start = time.monotonic()
        self._last_line = self.start
        self._bar = None
        self._task = None

    # -- numbers -----------------------------------------------------------------------------
    @property
    def finished_here(self) -> int:
        """Runs finished (done or failed) by this sweep."""
        return self.done - self.already + self.failed

    def rate_per_minute(self) -> float:
        """Runs finished per minute by this sweep so far."""
        elapsed = time.monotonic() - self.start
        return 60.0 * self.finished_here / elapsed if elapsed > 0 else 0.0

    def eta_seconds(self) -> float:
        """Estimated seconds until every run is finished (NaN before the first run ends)."""
        rate = self.rate_per_minute()
        left = self.total - self.done - self.failed
        return 60.0 * left / rate if rate > 0 else float("nan")

    def line(self) -> str:
        """One plain status line."""
        return (
            f"{self.label}: {self.done}/{self.total} done, {self.failed} failed, "
            f"{self.rate_per_minute():.1f} runs/min, elapsed "
            f"{format_duration(time.monotonic() - self.start)}, "
            f"ETA {format_duration(self.eta_seconds())}"
        )

    # -- display -----------------------------------------------------------------------------
    def __enter__(self) -> SweepProgress:
        if self.enabled and self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(
                self.label, total=self.total, completed=self.done, status=self._status()
            )
        return self

    def _status(self) -> str:
        return (
            f"done · {self.failed} failed · {self.rate_per_minute():.1f} runs/min · "
            f"ETA {format_duration(self.eta_seconds())}"
        )

    def update(self, *, done: int = 0, failed: int = 0) -> None:
        """Count ``done`` more finished runs and ``failed`` more failed ones; refresh."""
        self.done += done
        self.failed += failed
        self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw the bar, or print a plain line if ``interval`` seconds have passed."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done + self.failed, status=self._status())
            return
        now = time.monotonic()
        if force or now - self._last_line >= self.interval:
            self._last_line = now
            print(self.line(), file=self.stream, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self.refresh()
            self._bar.stop()
        elif self.enabled:
            self.refresh(force=True)
