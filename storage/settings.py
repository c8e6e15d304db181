"""Storage settings (env prefix `PRESCREEN_`) and the factories that open stores from them."""
from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.objects import LocalObjectStore, ObjectStore

if TYPE_CHECKING:
    from storage.repository import Repository


def default_home() -> Path:
    """$XDG_DATA_HOME/prescreen, else ~/.local/share/prescreen."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "prescreen"


class ObjectStoreKind(StrEnum):
    LOCAL = "local"
    MINIO = "minio"


class StorageSettings(BaseSettings):
    """e.g. PRESCREEN_HOME, PRESCREEN_OBJECT_STORE=minio, PRESCREEN_DATABASE_URL, PRESCREEN_MINIO_ENDPOINT."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_", frozen=True, extra="ignore")

    home: Path = Field(default_factory=default_home)
    object_store: ObjectStoreKind = ObjectStoreKind.LOCAL
    database_url: str | None = None  # None: sqlite:///<home>/prescreen.db
    minio_endpoint: str = "127.0.0.1:9000"
    minio_access_key: str | None = None
    minio_secret_key: SecretStr | None = None
    minio_bucket: str = "prescreen"
    minio_secure: bool = False
    minio_region: str | None = None
    # Bootstrap: create the bucket when it is missing; false makes a missing bucket an error at start.
    minio_create_bucket: bool = True
    # Originals written with If-None-Match: *; false for servers that ignore it (exists-then-put instead).
    minio_conditional_writes: bool = True
    minio_retries: int = Field(3, ge=0, le=10)  # retries after the first try, on transient faults only
    minio_backoff_s: float = Field(0.2, ge=0)  # before the first retry, doubling each time (jittered)
    minio_backoff_max_s: float = Field(5.0, ge=0)
    minio_connect_timeout_s: float = Field(5.0, gt=0)
    minio_read_timeout_s: float = Field(60.0, gt=0)

    @model_validator(mode="after")
    def _refuse_missing_credentials(self) -> StorageSettings:
        # No built-in default keys: a forgotten setting must not fall back to minioadmin/minioadmin.
        if self.object_store is ObjectStoreKind.MINIO and not (self.minio_access_key and self.minio_secret_key):
            raise ValueError("PRESCREEN_MINIO_ACCESS_KEY and PRESCREEN_MINIO_SECRET_KEY are required "
                             "when PRESCREEN_OBJECT_STORE=minio")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home.expanduser() / 'prescreen.db'}"

    @property
    def objects_dir(self) -> Path:
        return self.home.expanduser() / "objects"


def open_object_store(settings: StorageSettings) -> ObjectStore:
    if settings.object_store is ObjectStoreKind.LOCAL:
        return LocalObjectStore(settings.objects_dir)
    from storage.minio_store import MinioObjectStore

    return MinioObjectStore.from_settings(settings)


def open_repository(settings: StorageSettings) -> Repository:
    """Engine for the configured database, schema created if missing."""
    from storage.db import make_engine
    from storage.repository import Repository

    url = settings.resolved_database_url
    if settings.database_url is None:
        settings.home.expanduser().mkdir(parents=True, exist_ok=True)
    repo = Repository(make_engine(url))
    repo.create_schema()
    return repo
