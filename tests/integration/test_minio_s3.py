"""The production MinIO adapter against a real S3 server (moto in a subprocess), through the minio SDK.

Faults moto cannot produce on demand (503, throttling, a hung server, forced races) come from
FaultProxy, a real HTTP server in front of moto; credentials and policies are checked by a second
moto server in IAM mode.
"""
from __future__ import annotations

import hashlib
import io
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from minio import Minio

from storage.keys import derived_key, original_key, report_key
from storage.minio_store import HEALTH_KEY, MinioObjectStore
from storage.objects import (
    AccessDenied,
    BucketNotFound,
    ObjectConflict,
    ObjectNotFound,
    ObjectStore,
    StoreUnreachable,
)
from storage.settings import open_object_store
from tests.integration import s3_fixtures
from tests.integration.s3_fixtures import (
    REGION,
    Credentials,
    FaultProxy,
    MotoServer,
    RecordedSleeps,
    free_port,
    store_settings,
    unique_bucket,
)

pytestmark = pytest.mark.integration

# The fixtures live in s3_fixtures; naming them here registers them for this module.
moto_s3 = s3_fixtures.moto_s3
moto_s3_iam = s3_fixtures.moto_s3_iam
fault_proxy = s3_fixtures.fault_proxy

SHA = hashlib.sha256(b"an original").hexdigest()


def _open(endpoint: str, bucket: str | None = None, sleeps: RecordedSleeps | None = None,
          **overrides: object) -> MinioObjectStore:
    settings = store_settings(endpoint, bucket or unique_bucket(), **overrides)
    return MinioObjectStore.from_settings(settings, sleep=RecordedSleeps() if sleeps is None else sleeps)


def _raw_client(endpoint: str) -> Minio:
    """Straight minio SDK, to look at the bucket behind the adapter's back."""
    return Minio(endpoint, access_key="testing", secret_key="testing", secure=False, region=REGION)


def _race(*calls):  # noqa: ANN202 - list of results or exceptions
    """Run the calls at once on threads; each one's result, or the exception it raised."""
    def outcome(call):  # noqa: ANN001, ANN202
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(outcome, calls))


# -- bootstrap

def test_opening_creates_a_missing_bucket(moto_s3: MotoServer) -> None:
    settings = store_settings(moto_s3.endpoint, unique_bucket())
    assert not _raw_client(moto_s3.endpoint).bucket_exists(settings.minio_bucket)
    store = open_object_store(settings)
    assert isinstance(store, MinioObjectStore) and isinstance(store, ObjectStore)
    assert _raw_client(moto_s3.endpoint).bucket_exists(settings.minio_bucket)
    open_object_store(settings)  # a bucket that is already there is fine


def test_missing_bucket_without_create_is_a_clear_error(moto_s3: MotoServer) -> None:
    bucket = unique_bucket()
    with pytest.raises(BucketNotFound) as exc:
        _open(moto_s3.endpoint, bucket, minio_create_bucket=False)
    message = str(exc.value)
    assert bucket in message and moto_s3.endpoint in message and "PRESCREEN_MINIO_CREATE_BUCKET" in message
    assert "不存在" in exc.value.zh and "does not exist" in exc.value.en
    assert not _raw_client(moto_s3.endpoint).bucket_exists(bucket)


def test_a_bucket_removed_after_opening_is_a_clear_error(moto_s3: MotoServer) -> None:
    store = _open(moto_s3.endpoint)
    _raw_client(moto_s3.endpoint).remove_bucket(store.bucket)
    with pytest.raises(BucketNotFound, match=store.bucket):
        store.put("derived/x/report.json", b"{}")


def test_processes_bootstrapping_the_same_bucket_at_once_all_succeed(fault_proxy: FaultProxy) -> None:
    bucket = unique_bucket()
    with fault_proxy.heads_gated(2):  # both see the bucket missing, both create it
        results = _race(lambda: _open(fault_proxy.endpoint, bucket), lambda: _open(fault_proxy.endpoint, bucket))
    assert all(isinstance(r, MinioObjectStore) for r in results), results
    assert len([s for s in fault_proxy.requests("PUT") if s.path.rstrip("/") == f"/{bucket}"]) == 2


def test_endpoint_may_be_written_as_a_url(moto_s3: MotoServer) -> None:
    store = _open(f"http://{moto_s3.endpoint}")
    store.put("derived/x/a.json", b"{}")
    assert store.get("derived/x/a.json") == b"{}"


# -- objects

def test_put_get_exists_list(moto_s3: MotoServer) -> None:
    store = _open(moto_s3.endpoint)
    key = original_key(SHA)
    assert not store.exists(key)
    assert store.put_if_absent(key, b"an original", "application/pdf") is True
    assert store.exists(key) and store.get(key) == b"an original"
    stat = _raw_client(moto_s3.endpoint).stat_object(store.bucket, key)
    assert stat.content_type == "application/pdf"
    assert store.stored_sha256(key) == SHA  # from the metadata written with the object
    store.put("derived/x/report.json", b"{}", "application/json")
    store.put("derived/x/report.json", b'{"v": 2}')  # derived artefacts may be replaced
    assert store.get("derived/x/report.json") == b'{"v": 2}'
    assert list(store.list("originals/")) == [key]
    assert list(store.list()) == ["derived/x/report.json", key]
    with pytest.raises(ObjectNotFound) as exc:
        store.get("originals/00/missing")
    assert "s3://" in str(exc.value) and "对象不存在" in str(exc.value)


def test_stored_sha256_of_an_object_written_by_another_tool_is_read_from_its_bytes(moto_s3: MotoServer) -> None:
    store = _open(moto_s3.endpoint)
    _raw_client(moto_s3.endpoint).put_object(store.bucket, "imports/x.pdf", io.BytesIO(b"legacy"), 6)
    assert store.stored_sha256("imports/x.pdf") == hashlib.sha256(b"legacy").hexdigest()


def test_derived_artefacts_live_under_versioned_keys(moto_s3: MotoServer) -> None:
    store = _open(moto_s3.endpoint)
    old = derived_key(SHA, "ocr", "tesseract-5.3", "page-1.json")
    new = derived_key(SHA, "ocr", "tesseract-5.4", "page-1.json")
    store.put(old, b'{"text": "old"}', "application/json")
    store.put(new, b'{"text": "new"}', "application/json")
    store.put(report_key("p1", 1), b'{"verdict": "fail"}', "application/json")
    store.put(report_key("p1", 2), b'{"verdict": "pass"}', "application/json")
    assert store.get(old) == b'{"text": "old"}'  # a new extractor version leaves the old results alone
    assert list(store.list(f"derived/{SHA[:2]}/{SHA}/ocr/")) == [old, new]
    assert list(store.list("reports/p1/")) == ["reports/p1/v1.json", "reports/p1/v2.json"]


# -- originals are never overwritten

def test_originals_are_written_with_a_conditional_put_and_never_overwritten(fault_proxy: FaultProxy) -> None:
    store = _open(fault_proxy.endpoint)
    key = original_key(SHA)
    assert store.put_if_absent(key, b"an original") is True
    assert store.put_if_absent(key, b"other bytes") is False
    assert store.get(key) == b"an original"
    puts = fault_proxy.requests("PUT")[1:]  # after the bucket creation
    assert [(p.status, p.headers.get("if-none-match")) for p in puts] == [(200, "*")]  # the second call only looked


def test_racing_writers_one_wins_and_the_other_does_not_overwrite(fault_proxy: FaultProxy) -> None:
    bucket = unique_bucket()
    first, second = _open(fault_proxy.endpoint, bucket), _open(fault_proxy.endpoint, bucket)
    key = original_key(SHA)
    with fault_proxy.heads_gated(2):  # both writers find the key free before either writes
        results = _race(lambda: first.put_if_absent(key, b"writer one"),
                        lambda: second.put_if_absent(key, b"writer two"))
    assert sorted(results) == [False, True]
    winner = b"writer one" if results[0] else b"writer two"
    assert first.get(key) == winner
    conditional = [p for p in fault_proxy.requests("PUT") if p.path.endswith(key)]
    assert sorted(p.status for p in conditional) == [200, 412]  # the server refused the second write


def test_without_conditional_writes_racing_writers_of_one_content_store_it_intact(fault_proxy: FaultProxy) -> None:
    bucket = unique_bucket()
    first, second = (_open(fault_proxy.endpoint, bucket, minio_conditional_writes=False) for _ in range(2))
    key = original_key(SHA)
    with fault_proxy.heads_gated(2):
        results = _race(lambda: first.put_if_absent(key, b"an original"),
                        lambda: second.put_if_absent(key, b"an original"))
    assert results == [True, True]  # both wrote: the same bytes, so nothing was lost
    assert first.get(key) == b"an original" and first.stored_sha256(key) == SHA
    assert not any("if-none-match" in p.headers for p in fault_proxy.requests("PUT"))


def test_without_conditional_writes_a_key_given_other_bytes_is_detected(fault_proxy: FaultProxy) -> None:
    bucket = unique_bucket()
    first, second = (_open(fault_proxy.endpoint, bucket, minio_conditional_writes=False) for _ in range(2))
    key = original_key(SHA)
    with fault_proxy.heads_gated(2):  # existence checks together, then both writes, then both read-backs together
        results = _race(lambda: first.put_if_absent(key, b"writer one"),
                        lambda: second.put_if_absent(key, b"writer two"))
    conflicts = [r for r in results if isinstance(r, ObjectConflict)]
    assert len(conflicts) == 1 and True in results, results
    assert "content-addressed" in conflicts[0].en and "内容寻址" in conflicts[0].zh
    assert first.get(key) == (b"writer one" if results[0] is True else b"writer two")


# -- presigned URLs

def test_presigned_url_downloads_with_plain_urllib(moto_s3: MotoServer) -> None:
    store = _open(moto_s3.endpoint)
    key = derived_key(SHA, "page-image", "150dpi-1", "第1页.jpg")  # non-ASCII names are percent-encoded
    store.put(key, b"\xff\xd8 jpeg bytes", "image/jpeg")
    url = store.presigned_url(key, expires_s=120)
    assert "X-Amz-Expires=120" in url and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"\xff\xd8 jpeg bytes"
        assert response.headers["Content-Type"] == "image/jpeg"
    with pytest.raises(ValueError):
        store.presigned_url(key, expires_s=8 * 24 * 3600)  # S3 signs for 7 days at most


# -- credentials and permissions (moto in IAM mode checks signatures and policies)

@pytest.fixture
def iam_bucket(moto_s3_iam: tuple[MotoServer, dict[str, Credentials]]) -> str:
    server, users = moto_s3_iam
    bucket = unique_bucket()
    MinioObjectStore.from_settings(store_settings(server.endpoint, bucket, users["writer"]))
    return bucket


@pytest.mark.parametrize(("who", "code", "hint"), [
    ("wrong secret", "SignatureDoesNotMatch", "PRESCREEN_MINIO_SECRET_KEY"),
    ("unknown key", "InvalidAccessKeyId", "PRESCREEN_MINIO_ACCESS_KEY"),
    ("no policy", None, "bucket policy"),
])
def test_rejected_credentials_are_a_clear_error_and_not_retried(
        moto_s3_iam: tuple[MotoServer, dict[str, Credentials]], iam_bucket: str, who: str, code: str | None,
        hint: str) -> None:
    server, users = moto_s3_iam
    credentials = {"wrong secret": Credentials(users["writer"].access_key, "not-the-secret"),
                   "unknown key": Credentials("AKIAUNKNOWNKEY000000", "whatever"),
                   "no policy": users["nobody"]}[who]
    sleeps = RecordedSleeps()
    with pytest.raises(AccessDenied) as exc:
        MinioObjectStore.from_settings(store_settings(server.endpoint, iam_bucket, credentials), sleep=sleeps)
    assert hint in exc.value.en and (code is None or code in str(exc.value))
    assert ("凭据" if code else "访问被拒绝") in exc.value.zh
    assert sleeps == []


def test_right_credentials_work_under_signature_checks(
        moto_s3_iam: tuple[MotoServer, dict[str, Credentials]], iam_bucket: str) -> None:
    server, users = moto_s3_iam
    store = MinioObjectStore.from_settings(store_settings(server.endpoint, iam_bucket, users["writer"]))
    assert store.put_if_absent(original_key(SHA), b"an original") is True
    assert store.get(original_key(SHA)) == b"an original"


# -- health

def test_health_check_reports_a_reachable_writable_bucket(moto_s3: MotoServer) -> None:
    store = _open(moto_s3.endpoint)
    health = store.check_health()
    assert health.ok and health.problem is None and health.bucket == store.bucket and health.latency_ms >= 0
    assert store.exists(HEALTH_KEY)


def test_health_check_reports_a_read_only_bucket(
        moto_s3_iam: tuple[MotoServer, dict[str, Credentials]], iam_bucket: str) -> None:
    server, users = moto_s3_iam
    store = MinioObjectStore.from_settings(store_settings(server.endpoint, iam_bucket, users["reader"]))
    health = store.check_health()
    assert not health.ok and health.problem is not None
    assert "访问被拒绝" in health.problem and HEALTH_KEY in health.problem


def test_health_check_reports_a_server_gone_without_retrying(fault_proxy: FaultProxy) -> None:
    sleeps = RecordedSleeps()
    store = _open(fault_proxy.endpoint, sleeps=sleeps)
    fault_proxy.stop()
    health = store.check_health()
    assert not health.ok and fault_proxy.endpoint in (health.problem or "") and sleeps == []


# -- transient faults: retried with backoff; client errors: not retried

def test_server_down_is_retried_with_backoff_then_a_clear_error() -> None:
    endpoint = f"127.0.0.1:{free_port()}"  # nothing listens there
    sleeps = RecordedSleeps()
    with pytest.raises(StoreUnreachable) as exc:
        _open(endpoint, sleeps=sleeps, minio_retries=3, minio_backoff_s=0.01, minio_backoff_max_s=0.03)
    assert len(sleeps) == 3
    for retry, delay in enumerate(sleeps):
        ceiling = min(0.03, 0.01 * 2 ** retry)
        assert ceiling / 2 <= delay <= ceiling
    assert endpoint in str(exc.value) and "4 attempts" in exc.value.en and "无法连接" in exc.value.zh


def test_transient_503_is_retried_and_succeeds(fault_proxy: FaultProxy) -> None:
    sleeps = RecordedSleeps()
    store = _open(fault_proxy.endpoint, sleeps=sleeps)
    store.put("derived/x/a.json", b"{}")
    fault_proxy.fail_next(2, 503, "SlowDown")
    assert store.get("derived/x/a.json") == b"{}"
    assert [s.status for s in fault_proxy.requests("GET")] == [503, 503, 200]
    fault_proxy.fail_next(1, 500, "InternalError")
    store.put("derived/x/b.json", b"[]")
    fault_proxy.fail_next(1, 503)  # a HEAD answer has no body: minio sees a bare status
    assert store.exists("derived/x/b.json")
    fault_proxy.fail_next(1, 502, code=None)  # a load balancer's HTML page, not S3 XML
    assert store.get("derived/x/b.json") == b"[]"
    assert len(sleeps) == 5


def test_throttling_that_outlasts_the_retries_is_a_clear_error(fault_proxy: FaultProxy) -> None:
    store = _open(fault_proxy.endpoint, minio_retries=2)
    fault_proxy.fail_next(3, 503, "SlowDown")
    with pytest.raises(StoreUnreachable) as exc:
        store.get("derived/x/a.json")
    assert "503 SlowDown" in exc.value.en and "3 attempts" in exc.value.en and "暂时不可用" in exc.value.zh


def test_a_stalled_answer_times_out_and_is_retried(fault_proxy: FaultProxy) -> None:
    store = _open(fault_proxy.endpoint, minio_read_timeout_s=1.0)
    store.put("derived/x/a.json", b"{}")
    fault_proxy.stall_next(1, 3.0)
    assert store.get("derived/x/a.json") == b"{}"
    assert [s.status for s in fault_proxy.requests("GET")] == [0, 200]


@pytest.mark.parametrize(("status", "code", "error"), [
    (403, "AccessDenied", AccessDenied),
    (404, "NoSuchKey", ObjectNotFound),
])
def test_client_errors_are_not_retried(fault_proxy: FaultProxy, status: int, code: str, error: type) -> None:
    sleeps = RecordedSleeps()
    store = _open(fault_proxy.endpoint, sleeps=sleeps)
    fault_proxy.fail_next(1, status, code)
    with pytest.raises(error):
        store.get("derived/x/a.json")
    assert len(fault_proxy.requests("GET")) == 1 and sleeps == []
