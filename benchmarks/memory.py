"""Peak resident memory of one page's work (Linux /proc).

- The worker process itself: its high-water mark (VmHWM), reset before each page by writing
  "5" to /proc/self/clear_refs, read after it. Exact.
- Its child processes (tesseract, run by pytesseract or as the bare CLI): sampled every 20 ms
  from /proc/<child>/status while they run; each sample reads the child's own VmHWM so far, so
  only growth in the last 20 ms of a child's life can be missed. Not wait4's ru_maxrss: Linux
  carries the pre-exec high-water mark over exec, so every child would weigh at least as much
  as the Python process that forked it. A child not yet exec'd (still our interpreter) is skipped.
"""
from __future__ import annotations

import glob
import re
import threading

_HWM = re.compile(r"VmHWM:\s+(\d+) kB")


def _hwm_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            m = _HWM.search(f.read())
    except OSError:  # the child ended between listing and reading
        return 0
    return int(m.group(1)) if m else 0


def reset_peak() -> bool:
    """Restart this process's high-water mark at its current size; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def self_peak_mb() -> float:
    return _hwm_kb("self") / 1024


def _comm(pid: int | str) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _children() -> list[str]:
    """Child processes that have exec'd something other than this interpreter."""
    pids: list[str] = []
    for path in glob.glob("/proc/self/task/*/children"):
        try:
            with open(path) as f:
                pids += f.read().split()
        except OSError:
            continue
    me = _comm("self")
    return [p for p in pids if _comm(p) not in ("", me)]


class ChildPeak:
    """Context manager: the largest combined VmHWM of this process's children seen while inside."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        total = sum(_hwm_kb(pid) for pid in _children())
        self.peak_mb = max(self.peak_mb, total / 1024)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
