"""MinIO / S3 object store: the one module that talks to minio and translates its errors."""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import NoReturn

from minio import Minio
from minio.error import MinioException, S3Error
from urllib3.exceptions import HTTPError

from storage.keys import validate_key
from storage.objects import ObjectNotFound, StorageError

_DEFAULT_TYPE = "application/octet-stream"


class MinioObjectStore:
    """Same interface as LocalObjectStore, over a bucket."""

    def __init__(self, client: Minio, bucket: str, create_bucket: bool = True) -> None:
        self.client = client
        self.bucket = bucket
        try:
            if create_bucket and not client.bucket_exists(bucket):
                client.make_bucket(bucket)
        except (MinioException, HTTPError) as exc:
            self._raise(exc, None)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        validate_key(key)
        try:
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                                   content_type=content_type or _DEFAULT_TYPE)
        except (MinioException, HTTPError) as exc:
            self._raise(exc, key)

    def put_if_absent(self, key: str, data: bytes, content_type: str | None = None) -> bool:
        # Check-then-put is not atomic, but keys are content addresses: racing writers write the
        # same bytes, so the loser's overwrite changes nothing.
        if self.exists(key):
            return False
        self.put(key, data, content_type)
        return True

    def get(self, key: str) -> bytes:
        validate_key(key)
        try:
            response = self.client.get_object(self.bucket, key)
        except (MinioException, HTTPError) as exc:
            self._raise(exc, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            self._raise(exc, key)
        except (MinioException, HTTPError) as exc:
            self._raise(exc, key)
        return True

    def list(self, prefix: str = "") -> Iterator[str]:
        try:
            keys = [o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix or None,
                                                                    recursive=True)]
        except (MinioException, HTTPError) as exc:
            self._raise(exc, prefix)
        yield from sorted(k for k in keys if k is not None)

    def presigned_url(self, key: str, expires_s: int = 3600) -> str | None:
        validate_key(key)
        try:
            return self.client.presigned_get_object(self.bucket, key, expires=timedelta(seconds=expires_s))
        except (MinioException, HTTPError) as exc:
            self._raise(exc, key)

    def _raise(self, exc: Exception, key: str | None) -> NoReturn:
        """Translate minio/urllib3 errors into ours, naming the bucket and key."""
        where = f"s3://{self.bucket}/{key}" if key else f"bucket {self.bucket!r}"
        code = exc.code if isinstance(exc, S3Error) else None
        if code in ("NoSuchKey", "NoSuchObject", "NotFound"):
            raise ObjectNotFound(f"no object {where}") from exc
        if code == "NoSuchBucket":
            raise StorageError(f"bucket {self.bucket!r} does not exist (create it or allow create_bucket)") from exc
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            raise StorageError(f"access denied to {where}: check the MinIO access/secret key and policy") from exc
        if isinstance(exc, HTTPError):
            raise StorageError(f"cannot reach the object store for {where}: {exc}") from exc
        raise StorageError(f"object store error on {where}: {exc}") from exc
