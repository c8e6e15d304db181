"""Loaded into test workers with `--include`: every task start and end is appended, as a JSON line with the
pid of the process running it, to the file PRESCREEN_TEST_TASK_LOG names. Tests read it to kill the
process running a given task, and to count how often each task ran."""
from __future__ import annotations

import json
import os
from typing import Any

from celery.signals import task_postrun, task_prerun


def _append(record: dict[str, Any]) -> None:
    path = os.environ.get("PRESCREEN_TEST_TASK_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:  # one short write per line: appends do not interleave
            f.write(json.dumps(record, default=str) + "\n")


@task_prerun.connect
def _started(task_id: str, task: Any, args: tuple, **_: Any) -> None:
    _append({"event": "start", "pid": os.getpid(), "task": task.name, "id": task_id, "args": list(args)})


@task_postrun.connect
def _ended(task_id: str, task: Any, args: tuple, retval: Any = None, state: str | None = None, **_: Any) -> None:
    _append({"event": "end", "pid": os.getpid(), "task": task.name, "id": task_id, "args": list(args),
             "state": state, "result": retval if isinstance(retval, dict) else repr(retval)})
