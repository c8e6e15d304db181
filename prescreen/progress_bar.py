"""A progress bar on stderr for bulk runs: done/total, rate and ETA, read from a counter callable.

The counter is polled on a thread of its own (the database holds the truth, whether the work runs in this
process or on the workers). On a terminal the bar redraws in place; otherwise a line every few seconds.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

log = logging.getLogger(__name__)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def render(label: str, done: int, total: int, started_with: int, elapsed: float, unit: str, width: int = 24) -> str:
    """`label [#####.....] 120/200  60%  52.3 包/s  剩余 ETA 0:00:02`; rate and ETA over this session's work."""
    share = done / total if total else 1.0
    filled = int(round(share * width))
    rate = (done - started_with) / elapsed if elapsed > 0 else 0.0
    eta = _clock((total - done) / rate) if rate > 0 else "--:--:--"
    return (f"{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {share * 100:5.1f}%  "
            f"{rate:6.1f} {unit}/s  剩余 ETA {eta}  用时 {_clock(elapsed)}")


class ProgressBar:
    def __init__(self, label: str, total: int, count: Callable[[], int], *, unit: str = "包", enabled: bool = True,
                 stream: TextIO | None = None, interval_s: float = 0.5, line_every_s: float = 5.0) -> None:
        self.label, self.total, self.count, self.unit = label, total, count, unit
        self.enabled = enabled and total > 0
        self.stream = stream or sys.stderr
        self.interval_s, self.line_every_s = interval_s, line_every_s
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self._started_with = 0
        self._last_line = 0.0
        self._ended: float | None = None
        self.done = 0

    def __enter__(self) -> ProgressBar:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        self._started = time.monotonic()
        self._started_with = self.done = self._read()
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.done = self._read()
        self._ended = time.monotonic()
        if self.enabled:
            self._draw(final=True)

    @property
    def elapsed(self) -> float:
        return (self._ended or time.monotonic()) - self._started

    @property
    def processed(self) -> int:
        """Finished during this session (a resumed run started with some finished already)."""
        return self.done - self._started_with

    def _read(self) -> int:
        try:
            return self.count()
        except Exception:  # progress only: a failed poll (database busy) must not stop the run
            log.debug("progress poll failed", exc_info=True)
            return self.done

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.done = self._read()
            self._draw()

    def _draw(self, final: bool = False) -> None:
        line = render(self.label, self.done, self.total, self._started_with, self.elapsed, self.unit)
        if self._tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        elif final or time.monotonic() - self._last_line >= self.line_every_s:
            self._last_line = time.monotonic()
            self.stream.write(line + "\n")
        self.stream.flush()
