"""One runner in a process of its own, reading the page files it is sent, one at a time.

    python -m benchmarks.worker RUNNER WARM_UP_FILE     # then one JSON line per page on stdin

A process per runner keeps the memory figures apart (RapidOCR's sessions stay loaded in the
process that used them). All runners stay alive for the whole run, so the main process can
give each page to every runner in turn: ours and the bare engine read the same page seconds
apart, and load from other work on the shared cores falls on both alike.

Protocol: after warming up the worker writes {"ready": ...}; for each {"path": ...} line it
writes one result line (text, seconds, peak_mb, engine, extracted) or {"error": ...}.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from .engines import runner


def serve(name: str, warm_up: str) -> int:
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else writes to stdout (libraries, C code) goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.ERROR)  # per-page warnings (low confidence) would bury the progress lines

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj, ensure_ascii=False) + "\n")
        proto.flush()

    r = runner(name)
    r.warm_up(Path(warm_up))
    send({"ready": True, "memory": r.memory})
    for line in sys.stdin:
        path = Path(json.loads(line)["path"])
        try:
            got = r.read(path)
        except Exception as exc:  # one engine failing on one page must not lose the other pages
            send({"error": repr(exc)})
        else:
            send({"text": got.text, "seconds": round(got.seconds, 3), "peak_mb": round(got.peak_mb, 1),
                  "engine": got.engine, "extracted": got.extracted})
    return 0


class Worker:
    """The main process's handle on one worker."""

    def __init__(self, name: str, warm_up: Path, cwd: Path, env: dict[str, str]) -> None:
        self.name = name
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", name, str(warm_up)], cwd=cwd, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        self.memory = ""

    def _reply(self) -> dict:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {"error": f"worker exited (status {self.proc.poll()})"}

    def ready(self) -> None:
        msg = self._reply()
        if "error" in msg:
            raise RuntimeError(f"{self.name}: {msg['error']}")
        self.memory = msg["memory"]

    def read(self, path: Path) -> dict:
        if self.proc.poll() is not None:
            return {"error": f"worker exited (status {self.proc.returncode})"}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"path": str(path)}) + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


if __name__ == "__main__":
    sys.exit(serve(*sys.argv[1:3]))
