"""The ObjectStore protocol, its errors, and the local-filesystem store.

    StorageError
     ├── ObjectNotFound     get() of a key that is not there
     ├── PackageNotFound    (repository) no package row with that id
     └── StoreFault         a fault an operator must fix; message in Chinese and English
          ├── AccessDenied      credentials rejected or policy forbids the operation
          ├── BucketNotFound    the configured bucket does not exist (and may not be created)
          ├── StoreUnreachable  connection, timeout or 5xx/throttling that outlasted the retries
          └── ObjectConflict    a content-addressed key holds bytes of another content
"""
from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from storage.keys import validate_key


class StorageError(Exception):
    """Base of every storage exception."""


class ObjectNotFound(StorageError, KeyError):
    """No object under that key."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "object not found"


class StoreFault(StorageError):
    """A fault of the object store an operator must fix; str() gives Chinese then English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


class AccessDenied(StoreFault):
    """Unknown access key, wrong secret key, or a policy that forbids the operation."""


class BucketNotFound(StoreFault):
    """The configured bucket does not exist."""


class StoreUnreachable(StoreFault):
    """The store could not be reached or stayed unavailable through every retry."""


class ObjectConflict(StoreFault):
    """A key that should hold one content (content-addressed) holds another."""


@runtime_checkable
class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Write `data` under `key`, replacing what was there (derived artefacts)."""

    def put_if_absent(self, key: str, data: bytes, content_type: str | None = None) -> bool:
        """Write only if `key` is free (content-addressed originals); True if it wrote."""

    def get(self, key: str) -> bytes:
        """Bytes under `key`; raises ObjectNotFound."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with `prefix` (a string prefix, as in S3), sorted."""

    def presigned_url(self, key: str, expires_s: int = 3600) -> str | None:
        """A URL a browser can fetch the object from, or None if the store has none."""


class LocalObjectStore:
    """Objects as files under `root`. Writes are atomic: a reader sees old or new bytes, never half."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):  # a symlinked folder inside root must not lead out
            raise ValueError(f"object key leaves the store: {key!r}")
        return path

    def _write_temp(self, path: Path, data: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return tmp

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self._path(key)
        tmp = self._write_temp(path, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def put_if_absent(self, key: str, data: bytes, content_type: str | None = None) -> bool:
        path = self._path(key)
        if path.exists():
            return False
        tmp = self._write_temp(path, data)
        try:
            # link() fails if the name exists: atomic no-overwrite even between racing writers.
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
        return True

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"no object {key!r} in {self.root}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        keys = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel = Path(dirpath).relative_to(self.root).as_posix()
            base = "" if rel == "." else rel + "/"
            # Prune folders that cannot hold a matching key.
            dirnames[:] = [d for d in dirnames if (base + d + "/").startswith(prefix)
                           or prefix.startswith(base + d + "/")]
            keys += [base + f for f in filenames if not f.startswith(".tmp-") and (base + f).startswith(prefix)]
        yield from sorted(keys)

    def presigned_url(self, key: str, expires_s: int = 3600) -> str | None:
        path = self._path(key)
        return path.as_uri() if path.is_file() else None


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); not possible on every platform."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
