"""Page images from the MinIO object store (storage/minio_store.py) in the evidence viewer, against a real S3
server: moto in server mode (tests/integration/s3_fixtures.py).

With PRESCREEN_MINIO_PUBLIC_URL the image route answers an authorised request with a redirect to a presigned URL
signed for that address (here `localhost`, while the app itself talks to the store at `127.0.0.1`), which plain
urllib downloads. moto does not check presigned signatures (in IAM mode it fails on them with a 500), so the
signature is checked here by an independent SigV4 computation (AWS's documented algorithm). Without a public
address the app sends the bytes it read from the store. Either way another district's package answers 404 and
nothing about the image leaks.
"""
from __future__ import annotations

import hashlib
import hmac
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from extractors.context import OcrSettings
from intake.limits import IntakeLimits
from prescreen.settings import AppSettings
from storage.keys import derived_key
from storage.minio_store import MinioObjectStore
from storage.settings import StorageSettings
from tests.integration import s3_fixtures
from tests.integration.s3_fixtures import REGION, MotoServer, store_settings, unique_bucket
from tests.web.conftest import finding, jpeg, report, seed
from web.settings import WebSettings

pytestmark = pytest.mark.integration

moto_s3 = s3_fixtures.moto_s3  # registers the fixture here, as tests/integration/test_minio_s3.py does


@pytest.fixture(scope="module")
def storage(wb_home, moto_s3) -> StorageSettings:
    """The store of this module's workbench: a fresh bucket on the S3 server (keys testing/testing)."""
    return store_settings(moto_s3.endpoint, unique_bucket())


def _app(storage: StorageSettings, public_url: str | None) -> FastAPI:
    from web.app import create_app

    return create_app(AppSettings(IntakeLimits(), OcrSettings(), storage), WebSettings(minio_public_url=public_url))


@pytest.fixture(scope="module")
def public_url(moto_s3: MotoServer) -> str:
    return f"http://localhost:{moto_s3.port}"  # another Host than the app's endpoint: the URL must be signed for it


@pytest.fixture(scope="module")
def app(storage, public_url) -> Iterator[FastAPI]:
    """Overrides conftest's: the workbench on MinIO, handing out presigned URLs for the public address."""
    application = _app(storage, public_url)
    yield application
    application.state.workbench.processor.shutdown()


@pytest.fixture(scope="module")
def streaming(app, storage) -> Iterator[TestClient]:
    """A second process of the same deployment without PRESCREEN_MINIO_PUBLIC_URL (same database and bucket)."""
    application = _app(storage, None)
    with TestClient(application) as c:
        yield c
    application.state.workbench.processor.shutdown()


@pytest.fixture(scope="module")
def images(app, people) -> dict:
    store = app.state.workbench.store
    assert isinstance(store, MinioObjectStore)
    yz_bytes, hs_bytes = jpeg(210, 297), jpeg(297, 210)
    yz_key = derived_key("c" * 64, "page-image", "test", "第1页.jpg")  # non-ASCII: percent-encoded when signed
    hs_key = derived_key("d" * 64, "page-image", "test", "page-1.jpg")
    store.put(yz_key, yz_bytes, "image/jpeg")
    store.put(hs_key, hs_bytes, "image/jpeg")
    missing_key = derived_key("e" * 64, "page-image", "test", "page-1.jpg")  # cited, never stored
    yz = seed(app, "鄞州区", "宁波甬江科技服务有限公司", "91330212MA2H000001", uploader=people["yinzhou"].user,
              reports=[report("", [finding("X-SMES", "fail", 41, 56, "服务企业共41家", yz_key)], yz_key)])
    hs = seed(app, "海曙区", "宁波海曙创新服务中心", "91330203MA2H000002", uploader=people["haishu"].user,
              reports=[report("", [finding("X-NAME", "fail", "宁波海曙", "宁波海曙创新服务中心", "宁波海曙", hs_key)],
                              hs_key)])
    gone = seed(app, "鄞州区", "宁波缺图服务有限公司", "91330212MA2H000005", uploader=people["yinzhou"].user,
                reports=[report("", [finding("X-SMES", "fail", 1, 2, "缺图", missing_key)], missing_key)])
    return {"yz": yz, "hs": hs, "gone": gone, "yz_key": yz_key, "hs_key": hs_key, "missing_key": missing_key,
            "yz_bytes": yz_bytes, "hs_bytes": hs_bytes, "bucket": store.bucket}


def _download(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers["Content-Type"]


def sigv4(url: str, secret_key: str) -> str:
    """The signature a presigned S3 GET URL must carry (query-string SigV4, only the Host header signed)."""
    parts = urlsplit(url)
    query = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(parts.query)
                   if k != "X-Amz-Signature")
    canonical = "\n".join(["GET", parts.path, "&".join(f"{k}={v}" for k, v in query), f"host:{parts.netloc}\n",
                           "host", "UNSIGNED-PAYLOAD"])
    params = dict(parse_qsl(parts.query))
    day, region, service, terminal = params["X-Amz-Credential"].split("/")[1:]
    to_sign = "\n".join(["AWS4-HMAC-SHA256", params["X-Amz-Date"], f"{day}/{region}/{service}/{terminal}",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, service, terminal):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_an_officer_is_redirected_to_a_presigned_url_that_serves_the_page_image(client, people, images, public_url,
                                                                                storage):
    me = people["yinzhou"].auth
    # The viewer's image address, as the flag's evidence gives it, is the app's own route.
    evidence = client.get(f"/api/packages/{images['yz']}/flags/X-SMES", headers=me).json()["evidence"]
    assert evidence[0]["box"] and evidence[0]["image_url"].startswith(f"/api/packages/{images['yz']}/image?key=")
    r = client.get(evidence[0]["image_url"], headers=me, follow_redirects=False)
    assert r.status_code == 307 and r.headers["cache-control"] == "no-store"
    url = r.headers["location"]
    assert url.startswith(f"{public_url}/{images['bucket']}/")
    assert _download(url) == (images["yz_bytes"], "image/jpeg")  # no cookie, no token: the signature is the ticket

    # Signed with the store's key, for the public Host, valid for 10 minutes from now.
    params = dict(parse_qsl(urlsplit(url).query))
    credential = params["X-Amz-Credential"]
    assert credential.startswith(f"{storage.minio_access_key}/") and f"/{REGION}/s3/" in credential
    assert params["X-Amz-Expires"] == "600" and params["X-Amz-SignedHeaders"] == "host"
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=1)
    secret = storage.minio_secret_key.get_secret_value()
    assert sigv4(url, secret) == params["X-Amz-Signature"]
    assert sigv4(url.replace("//localhost:", "//127.0.0.1:"), secret) != params["X-Amz-Signature"]  # Host is signed
    assert sigv4(url, "another-secret") != params["X-Amz-Signature"]


def test_another_districts_package_image_is_404_without_a_url(client, people, images):
    yz, hs = people["yinzhou"].auth, people["haishu"].auth
    theirs = client.get(f"/api/packages/{images['hs']}/image", params={"key": images["hs_key"]}, headers=yz,
                        follow_redirects=False)
    assert theirs.status_code == 404 and "location" not in theirs.headers
    assert images["bucket"] not in theirs.text and "X-Amz" not in theirs.text
    # Nor through one's own package: a key is served only for the package whose reports cite it.
    assert client.get(f"/api/packages/{images['yz']}/image", params={"key": images["hs_key"]}, headers=yz,
                      follow_redirects=False).status_code == 404
    # Its own office gets it.
    own = client.get(f"/api/packages/{images['hs']}/image", params={"key": images["hs_key"]}, headers=hs,
                     follow_redirects=False)
    assert own.status_code == 307 and _download(own.headers["location"]) == (images["hs_bytes"], "image/jpeg")
    assert client.get(f"/api/packages/{images['hs']}/image", params={"key": images["hs_key"]},
                      follow_redirects=False).status_code == 401


def test_without_a_public_address_the_app_sends_the_bytes_from_minio(streaming, people, images):
    yz = people["yinzhou"].auth
    r = streaming.get(f"/api/packages/{images['yz']}/image", params={"key": images["yz_key"]}, headers=yz,
                      follow_redirects=False)
    assert r.status_code == 200 and r.content == images["yz_bytes"] and r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"] == "private, max-age=3600"
    assert streaming.get(f"/api/packages/{images['hs']}/image", params={"key": images["hs_key"]},
                         headers=yz).status_code == 404
    # Cited by the report but not in the bucket: 404, not a 500 from the store.
    assert streaming.get(f"/api/packages/{images['gone']}/image", params={"key": images["missing_key"]},
                         headers=yz).status_code == 404


def test_the_presigned_host_is_the_public_one_only(app, storage, public_url):
    """The app's own store client signs for its endpoint; the viewer's links for the public address."""
    links = app.state.workbench.images
    assert links.redirects
    key = derived_key("f" * 64, "page-image", "test", "page-1.jpg")
    assert urlsplit(links.presigned(key)).netloc == urlsplit(public_url).netloc
    assert urlsplit(app.state.workbench.store.presigned_url(key)).netloc == storage.minio_endpoint
