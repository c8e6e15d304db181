"""MinIO / S3 object store: the one module that talks to minio.

Originals are never overwritten. put_if_absent sends `If-None-Match: *`, so the server decides
atomically: of two racing writers one gets 200 and the other 412 (S3 and MinIO support it since
2024; moto too). Where conditional writes are off (PRESCREEN_MINIO_CONDITIONAL_WRITES=false, or a
server that answers NotImplemented) it falls back to exists-then-put, where two writers can both see
the key free and both write. The keys of originals are the sha256 of their bytes, so both write the
same bytes and the second write changes nothing; afterwards the stored sha256 is read back and an
ObjectConflict raised if it is not ours (only possible when a key is given bytes that do not hash to
it: detected, not prevented).

Every call is retried on transient faults (connection, timeout, 5xx, throttling) with backoff and
jitter; 4xx answers are not retried. Errors come out as storage.objects errors in Chinese and English.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error
from minio.helpers import check_bucket_name
from urllib3.exceptions import HTTPError

from storage.keys import validate_key
from storage.minio_errors import MISSING_KEY_CODES, is_transient, missing_bucket, translate
from storage.objects import ObjectConflict, StorageError
from storage.retry import RetryPolicy, call_with_retries

if TYPE_CHECKING:
    from storage.settings import StorageSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

_DEFAULT_TYPE = "application/octet-stream"
_SHA256_META = "X-Amz-Meta-Sha256"
_MAX_SINGLE_PUT = 5 * 1024 ** 3  # S3's limit for one PUT; bigger bodies go multipart, without If-None-Match
HEALTH_KEY = "health/probe"


def endpoint_and_secure(settings: StorageSettings) -> tuple[str, bool]:
    """'host:port' and TLS on/off; an endpoint written as a URL sets TLS by its scheme."""
    if "://" in settings.minio_endpoint:
        url = urlsplit(settings.minio_endpoint)
        return url.netloc, url.scheme == "https"
    return settings.minio_endpoint, settings.minio_secure


def minio_client(settings: StorageSettings) -> Minio:
    """A client with our timeouts and without urllib3's own retries: retrying is ours, bounded and logged."""
    endpoint, secure = endpoint_and_secure(settings)
    secret = settings.minio_secret_key.get_secret_value() if settings.minio_secret_key else None
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=settings.minio_connect_timeout_s, read=settings.minio_read_timeout_s),
        maxsize=10, cert_reqs="CERT_REQUIRED", ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=False)
    return Minio(endpoint, access_key=settings.minio_access_key, secret_key=secret, secure=secure,
                 region=settings.minio_region, http_client=http)


@dataclass(frozen=True)
class StoreHealth:
    ok: bool
    endpoint: str
    bucket: str
    latency_ms: float
    problem: str | None = None  # Chinese / English, when not ok


class MinioObjectStore:
    """Same interface as LocalObjectStore, over a bucket that is checked (or created) on opening."""

    def __init__(self, client: Minio, bucket: str, create_bucket: bool = True, *, retry: RetryPolicy | None = None,
                 conditional_writes: bool = True, endpoint: str = "S3",
                 region: str | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.endpoint = endpoint
        self.retry = retry or RetryPolicy()
        self.conditional_writes = conditional_writes and hasattr(client, "_put_object")  # see _put_new
        self._bootstrap(create_bucket, region)

    @classmethod
    def from_settings(cls, settings: StorageSettings, sleep: Callable[[float], None] = time.sleep) -> MinioObjectStore:
        retry = RetryPolicy(attempts=settings.minio_retries + 1, base_delay_s=settings.minio_backoff_s,
                            max_delay_s=settings.minio_backoff_max_s, sleep=sleep)
        return cls(minio_client(settings), settings.minio_bucket, settings.minio_create_bucket, retry=retry,
                   conditional_writes=settings.minio_conditional_writes, endpoint=settings.minio_endpoint,
                   region=settings.minio_region)

    # -- the ObjectStore protocol

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        validate_key(key)
        metadata = {_SHA256_META: _sha256(data)}
        self._call("put", key, lambda: self.client.put_object(
            self.bucket, key, io.BytesIO(data), len(data), content_type=content_type or _DEFAULT_TYPE,
            metadata=metadata))

    def put_if_absent(self, key: str, data: bytes, content_type: str | None = None) -> bool:
        if self.exists(key):  # the usual case for a package checked again: no upload at all
            return False
        sha = _sha256(data)
        if self.conditional_writes and len(data) <= _MAX_SINGLE_PUT:
            headers = {"Content-Type": content_type or _DEFAULT_TYPE, _SHA256_META: sha}
            wrote = self._call("conditional put", key, lambda: self._put_new(key, data, headers))
            if wrote is not None:
                return wrote
        self.put(key, data, content_type)
        stored = self.stored_sha256(key)
        if stored != sha:
            where = f"s3://{self.bucket}/{key}"
            raise ObjectConflict(
                f"{where} 存有另一内容（sha256 {stored}，本次为 {sha}）：同一内容寻址的键被写入了不同内容",
                f"{where} holds other bytes (sha256 {stored}, ours {sha}): different contents were written under "
                "one content-addressed key")
        return True

    def get(self, key: str) -> bytes:
        validate_key(key)
        return self._call("get", key, lambda: self._read(key))

    def exists(self, key: str) -> bool:
        validate_key(key)

        def stat() -> bool:
            try:
                self.client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in MISSING_KEY_CODES:
                    return False
                raise
            return True

        return self._call("stat", key, stat)

    def list(self, prefix: str = "") -> Iterator[str]:
        keys = self._call("list", prefix or None, lambda: [
            o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True)])
        yield from sorted(k for k in keys if k is not None)

    def presigned_url(self, key: str, expires_s: int = 3600) -> str:
        """A GET URL for the viewer, valid `expires_s` seconds (1 s to 7 days)."""
        validate_key(key)
        return self._call("presign", key, lambda: self.client.presigned_get_object(
            self.bucket, key, expires=timedelta(seconds=expires_s)))

    # -- for operators

    def stored_sha256(self, key: str) -> str:
        """sha256 of the stored bytes: from the metadata we write, else by reading them (other writers)."""
        validate_key(key)
        stat = self._call("stat", key, lambda: self.client.stat_object(self.bucket, key))
        return (stat.metadata or {}).get(_SHA256_META) or _sha256(self.get(key))

    def check_health(self) -> StoreHealth:
        """Bucket reachable and writable? One try each, no retries: a probe should show the present state.

        Writes and reads back HEALTH_KEY, one small object overwritten each time (no delete permission needed).
        """
        start = time.monotonic()
        probe = f"{datetime.now(UTC).isoformat()} pid {os.getpid()}".encode()
        problem = None
        try:
            if not self._call("bucket check", None, self._bucket_present, retry=False):
                raise missing_bucket(self.bucket, self.endpoint)
            self._call("health write", HEALTH_KEY, lambda: self.client.put_object(
                self.bucket, HEALTH_KEY, io.BytesIO(probe), len(probe), content_type="text/plain"), retry=False)
            self._call("health read", HEALTH_KEY, lambda: self._read(HEALTH_KEY), retry=False)
        except StorageError as exc:
            problem = str(exc)
        return StoreHealth(ok=problem is None, endpoint=self.endpoint, bucket=self.bucket,
                           latency_ms=round((time.monotonic() - start) * 1000, 1), problem=problem)

    # -- internals

    def _bootstrap(self, create: bool, region: str | None) -> None:
        """Check the bucket (create it if allowed), so a wrong bucket fails on opening, not mid-run."""
        try:
            check_bucket_name(self.bucket)
        except ValueError as exc:
            raise StorageError(f"存储桶名称无效：{self.bucket!r} / invalid bucket name {self.bucket!r}: {exc}") from None
        if self._call("bucket check", None, self._bucket_present):
            return
        if not create:
            raise missing_bucket(self.bucket, self.endpoint)

        def make() -> None:
            try:
                self.client.make_bucket(self.bucket, location=region)
            except S3Error as exc:
                # Another process created it first (BucketAlreadyOwnedByYou; some servers answer
                # BucketAlreadyExists, which on AWS may also mean someone else's): fine if we can reach it.
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists") or not self._bucket_present():
                    raise

        self._call("bucket creation", None, make)
        log.info("created bucket %s on %s", self.bucket, self.endpoint)

    def _bucket_present(self) -> bool:
        try:
            return self.client.bucket_exists(self.bucket)
        except S3Error as exc:
            if exc.code != "AccessDenied":
                raise
            # A HEAD answer has no body, so every 403 reads AccessDenied; a listing tells an unknown
            # access key, a wrong secret and a policy denial apart.
            next(iter(self.client.list_objects(self.bucket, prefix=HEALTH_KEY)), None)
            raise

    def _put_new(self, key: str, data: bytes, headers: dict[str, str]) -> bool | None:
        """PUT with If-None-Match: *. True: written; False: the key was taken; None: not supported.

        minio 7.2 has no public way to send If-None-Match (put_object turns unknown headers into
        x-amz-meta-*); _put_object is the single-request PUT put_object itself uses. The integration
        tests drive it against a real S3 server, so an SDK change shows there.
        """
        try:
            self.client._put_object(self.bucket, key, data, headers={**headers, "If-None-Match": "*"})
        except S3Error as exc:
            if exc.code == "PreconditionFailed":
                # Also what a retry gets when the first attempt was stored but its answer lost: the
                # original is there either way, which is all a content-addressed caller needs.
                return False
            if exc.code == "NotImplemented":
                log.warning("%s does not support conditional writes; originals fall back to exists-then-put",
                            self.endpoint)
                self.conditional_writes = False
                return None
            raise
        return True

    def _read(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def _call(self, what: str, key: str | None, fn: Callable[[], T], retry: bool = True) -> T:
        """fn() with retries on transient faults; minio/urllib3 errors translated to ours."""
        policy = self.retry if retry else replace(self.retry, attempts=1)
        try:
            return call_with_retries(fn, policy, is_transient, f"{what} s3://{self.bucket}/{key or ''}")
        except (MinioException, HTTPError) as exc:
            raise translate(exc, bucket=self.bucket, key=key, endpoint=self.endpoint,
                            attempts=policy.attempts) from exc


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
