"""MinioObjectStore against moto's S3 server (integration: needs moto[server])."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from storage.keys import original_key
from storage.objects import ObjectNotFound, ObjectStore, StorageError

pytestmark = pytest.mark.integration
SHA = "cd" + "e" * 62


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def _client(endpoint: str):  # noqa: ANN202 - minio.Minio
    from minio import Minio

    return Minio(endpoint, access_key="testing", secret_key="testing", secure=False, region="us-east-1")


def test_minio_store(endpoint: str) -> None:
    from storage.minio_store import MinioObjectStore

    store = MinioObjectStore(_client(endpoint), "prescreen-test")
    assert isinstance(store, ObjectStore)
    key = original_key(SHA)
    assert not store.exists(key)
    assert store.put_if_absent(key, b"first", "application/pdf") is True
    assert store.put_if_absent(key, b"second") is False
    assert store.get(key) == b"first"
    store.put("derived/cd/x/report.json", b"{}", "application/json")
    store.put("derived/cd/x/report.json", b'{"v": 2}')
    assert store.get("derived/cd/x/report.json") == b'{"v": 2}'
    assert list(store.list("originals/")) == [key]
    assert list(store.list()) == ["derived/cd/x/report.json", key]
    assert store.presigned_url(key, 60)
    with pytest.raises(ObjectNotFound):
        store.get("originals/00/missing")


def test_missing_bucket_is_a_clear_error(endpoint: str) -> None:
    from storage.minio_store import MinioObjectStore

    # The bucket is checked on opening, so a wrong bucket fails before any work is done.
    with pytest.raises(StorageError, match="no-such-bucket"):
        MinioObjectStore(_client(endpoint), "no-such-bucket", create_bucket=False)
