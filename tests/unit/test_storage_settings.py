"""StorageSettings: env prefix PRESCREEN_, XDG home, no default MinIO credentials."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from storage.objects import LocalObjectStore
from storage.settings import ObjectStoreKind, StorageSettings, open_object_store, open_repository


def test_defaults_follow_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PRESCREEN_HOME", raising=False)  # the test runner sets one for the suite
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    s = StorageSettings()
    assert s.home == tmp_path / "prescreen" and s.object_store is ObjectStoreKind.LOCAL
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'prescreen' / 'prescreen.db'}"


def test_env_and_factories(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESCREEN_HOME", str(tmp_path / "home"))
    s = StorageSettings()
    store = open_object_store(s)
    assert isinstance(store, LocalObjectStore) and store.root == (tmp_path / "home" / "objects").resolve()
    repo = open_repository(s)
    assert repo.list_packages() == [] and (tmp_path / "home" / "prescreen.db").exists()


def test_minio_needs_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_OBJECT_STORE", "minio")
    with pytest.raises(ValidationError):
        StorageSettings()
    monkeypatch.setenv("PRESCREEN_MINIO_ACCESS_KEY", "a")
    monkeypatch.setenv("PRESCREEN_MINIO_SECRET_KEY", "b")
    assert StorageSettings().minio_secret_key.get_secret_value() == "b"  # type: ignore[union-attr]
