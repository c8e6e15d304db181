"""minio/urllib3 exceptions: which are worth a retry, and what they mean to an operator."""
from __future__ import annotations

from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from urllib3.exceptions import HTTPError, LocationParseError, NewConnectionError, SSLError

from storage.objects import AccessDenied, BucketNotFound, ObjectNotFound, StorageError, StoreUnreachable

MISSING_KEY_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound"})
_BAD_CREDENTIAL_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                                   "InvalidClientTokenId"})
_DENIED_CODES = frozenset({"AccessDenied", "AllAccessDisabled", "AccountProblem"})
# Throttling and conflicts the server asks us to retry; any 5xx (but 501 Not Implemented) or 429 too.
_TRANSIENT_CODES = frozenset({"SlowDown", "SlowDownRead", "SlowDownWrite", "Throttling", "ThrottlingException",
                              "RequestTimeout", "ConditionalRequestConflict"})
_PERMANENT_TRANSPORT = (SSLError, LocationParseError)  # a retry cannot fix a certificate or a bad endpoint


def http_status(exc: BaseException) -> int | None:
    if isinstance(exc, S3Error):
        return exc.response.status if exc.response is not None else None
    if isinstance(exc, ServerError):
        return exc.status_code
    if isinstance(exc, InvalidResponseError):  # a non-XML answer, e.g. a proxy's 502 page
        return getattr(exc, "_code", None)  # minio keeps the status only in this attribute
    return None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, HTTPError):  # connection refused or reset, timeouts
        return not isinstance(exc, _PERMANENT_TRANSPORT)
    if isinstance(exc, S3Error) and exc.code in _TRANSIENT_CODES:
        return True
    status = http_status(exc)
    return status is not None and (status >= 500 and status != 501 or status == 429)


def translate(exc: MinioException | HTTPError, *, bucket: str, key: str | None, endpoint: str,
              attempts: int) -> StorageError:
    """Our error for a minio/urllib3 one, naming the bucket, key and endpoint, in Chinese and English."""
    where = f"s3://{bucket}/{key}" if key else f"bucket '{bucket}'"
    code = exc.code if isinstance(exc, S3Error) else None
    if code in MISSING_KEY_CODES:
        return ObjectNotFound(f"对象不存在：{where} / no object {where}")
    if code == "NoSuchBucket":
        return missing_bucket(bucket, endpoint)
    if code in _BAD_CREDENTIAL_CODES:
        return AccessDenied(
            f"对象存储 {endpoint} 拒绝了凭据（{code}）：请检查 PRESCREEN_MINIO_ACCESS_KEY 与 PRESCREEN_MINIO_SECRET_KEY",
            f"the object store at {endpoint} rejected the credentials ({code}): check PRESCREEN_MINIO_ACCESS_KEY "
            "and PRESCREEN_MINIO_SECRET_KEY")
    if code in _DENIED_CODES:
        return AccessDenied(
            f"访问被拒绝：{where}（{endpoint}）：请检查访问密钥、私密密钥与存储桶策略",
            f"access denied to {where} on {endpoint}: check the access key, the secret key and the bucket policy")
    if isinstance(exc, _PERMANENT_TRANSPORT):
        return StoreUnreachable(
            f"无法与对象存储 {endpoint} 建立连接（{_reason(exc)}）：请检查 PRESCREEN_MINIO_ENDPOINT、"
            "PRESCREEN_MINIO_SECURE 与证书（SSL_CERT_FILE）",
            f"cannot connect to the object store at {endpoint} ({_reason(exc)}): check PRESCREEN_MINIO_ENDPOINT, "
            "PRESCREEN_MINIO_SECURE and the certificate (SSL_CERT_FILE)")
    if isinstance(exc, HTTPError):
        return StoreUnreachable(
            f"无法连接对象存储 {endpoint}（已尝试 {attempts} 次）：{_reason(exc)}",
            f"cannot reach the object store at {endpoint} after {_attempts(attempts)}: {_reason(exc)}")
    if is_transient(exc):
        fault = " ".join(str(p) for p in (http_status(exc), code) if p)
        return StoreUnreachable(
            f"对象存储 {endpoint} 暂时不可用（{fault}，已尝试 {attempts} 次）：{where}",
            f"the object store at {endpoint} stayed unavailable ({fault}) after {_attempts(attempts)}: {where}")
    return StorageError(f"对象存储出错：{where}：{exc} / object store error on {where}: {exc}")


def missing_bucket(bucket: str, endpoint: str) -> BucketNotFound:
    return BucketNotFound(
        f"存储桶 '{bucket}' 在 {endpoint} 上不存在：请创建它，或设置 PRESCREEN_MINIO_CREATE_BUCKET=true",
        f"bucket '{bucket}' does not exist on {endpoint}: create it or set PRESCREEN_MINIO_CREATE_BUCKET=true")


def _attempts(count: int) -> str:
    return f"{count} attempt" + ("" if count == 1 else "s")


def _reason(exc: BaseException) -> str:
    """The useful end of a urllib3 message, without the connection object's repr."""
    if isinstance(exc, NewConnectionError):  # "HTTPConnection(...): Failed to establish …: [Errno 111] …"
        return f"connection failed: {str(exc).rpartition(': ')[2]}"
    reason = getattr(exc, "reason", None)  # MaxRetryError wraps the real cause
    return f"{type(exc).__name__}: {reason or exc}"
