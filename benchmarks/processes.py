"""Stopping a worker started in a process group of its own (benchmarks and the integration tests)."""
from __future__ import annotations

import os
import signal
import subprocess
from contextlib import suppress


def stop_group(proc: subprocess.Popen, term_grace_s: float = 20, kill_grace_s: float = 10) -> None:
    """SIGTERM (a warm shutdown lets running tasks end), then SIGKILL; then SIGKILL whatever of the group is
    left, such as pool children a warm shutdown left behind."""
    for sig, grace in ((signal.SIGTERM, term_grace_s), (signal.SIGKILL, kill_grace_s)):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
