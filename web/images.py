"""How the evidence viewer gets a page image, once the route has checked the package is the user's and cites it.

MinIO with PRESCREEN_MINIO_PUBLIC_URL: a redirect to a presigned GET URL signed for that address, so the browser
fetches the bytes from the store directly. A presigned URL signs the Host it is for; the store's own endpoint
(`minio:9000` in docker-compose.yml) is an address only the containers reach, so the URL is signed by a client
of the public address. Signing needs no request: the region is given (PRESCREEN_MINIO_REGION, else us-east-1,
MinIO's default), so the public address need not be reachable from the server.

Otherwise (the local store, or MinIO without a public address): None, and the app sends the bytes itself.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from storage.keys import validate_key
from storage.settings import ObjectStoreKind, StorageSettings

EXPIRES_S = 600  # long enough to load a page, short enough that a copied link goes stale


class ImageLinks:
    def __init__(self, storage: StorageSettings, public_url: str | None) -> None:
        self.bucket = storage.minio_bucket
        self._client = None
        if public_url and storage.object_store is ObjectStoreKind.MINIO:
            from minio import Minio

            url = urlsplit(public_url)
            secret = storage.minio_secret_key.get_secret_value() if storage.minio_secret_key else None
            self._client = Minio(url.netloc, access_key=storage.minio_access_key, secret_key=secret,
                                 secure=url.scheme == "https", region=storage.minio_region or "us-east-1")

    @property
    def redirects(self) -> bool:
        return self._client is not None

    def presigned(self, key: str, expires_s: int = EXPIRES_S) -> str | None:
        """A URL browsers can GET the object from for `expires_s` seconds, or None: send the bytes."""
        if self._client is None:
            return None
        validate_key(key)
        return self._client.presigned_get_object(self.bucket, key, expires=timedelta(seconds=expires_s))
