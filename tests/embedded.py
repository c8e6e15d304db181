"""The embedded default for a test module: a data folder of its own, nothing from the shell, tasks eager."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from prescreen.tasks import reset_services
from prescreen.tasks_app import app

SHELL_SERVICES = ("PRESCREEN_DATABASE_URL", "PRESCREEN_OBJECT_STORE", "PRESCREEN_BROKER_URL")


@contextmanager
def embedded(home: Path) -> Iterator[pytest.MonkeyPatch]:
    """SQLite and the local store under `home`, whatever database, store or broker the shell names, and
    the Celery tasks run in process; yields the monkeypatch for the module's own changes."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRESCREEN_HOME", str(home))
        for name in SHELL_SERVICES:
            mp.delenv(name, raising=False)
        mp.setitem(app.conf, "task_always_eager", True)
        reset_services()
        yield mp
        reset_services()
