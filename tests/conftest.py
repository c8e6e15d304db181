"""Shared fixtures: an isolated PRESCREEN_HOME per test session, settings read from it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def prescreen_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("prescreen-home")
    os.environ["PRESCREEN_HOME"] = str(home)
    os.environ.pop("PRESCREEN_DATABASE_URL", None)
    return home


@pytest.fixture(scope="session")
def settings(prescreen_home):
    from prescreen.settings import AppSettings

    return AppSettings.from_env()
