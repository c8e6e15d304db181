"""The workbench under test: a data folder per module (SQLite + local object store), tasks eager in process,
users of each role with API tokens, and packages either processed for real or stored with hand-made reports."""
from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from intake.models import Document, FileType, Package
from prescreen.tasks import reset_services
from prescreen.tasks_app import app as celery_app
from storage.keys import derived_key
from storage.states import PackageState
from web.accounts import User, create_user, issue_token
from web.models import Role, UploadRecord, UploadState

PASSWORD = "correct-horse-battery"
SECRET = "test-secret-key-0123456789abcdef-0123456789"
ENV_CLEARED = ("PRESCREEN_DATABASE_URL", "PRESCREEN_OBJECT_STORE", "PRESCREEN_BROKER_URL", "PRESCREEN_ENV",
               "PRESCREEN_ADMIN_PASSWORD")


@dataclass(frozen=True)
class Person:
    user: User
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def wb_home(tmp_path_factory) -> Iterator[Path]:
    """This module's own data folder, and the Celery tasks eager (in process) whatever the shell says."""
    home = tmp_path_factory.mktemp("workbench-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRESCREEN_HOME", str(home))
        mp.setenv("PRESCREEN_SECRET_KEY", SECRET)
        for name in ENV_CLEARED:
            mp.delenv(name, raising=False)
        mp.setitem(celery_app.conf, "task_always_eager", True)
        reset_services()  # the tasks open their stores from this environment
        yield home
        reset_services()


@pytest.fixture(scope="module")
def app(wb_home) -> Iterator[FastAPI]:
    from web.app import create_app

    application = create_app()
    yield application
    application.state.workbench.processor.shutdown()


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def people(app) -> dict[str, Person]:
    """admin, reviewer, and the officers of 鄞州区 and 海曙区, each with an API token."""
    db = app.state.workbench.db
    out = {}
    for key, role, district in (("admin", Role.ADMIN, None), ("reviewer", Role.REVIEWER, None),
                                ("yinzhou", Role.OFFICER, "鄞州区"), ("haishu", Role.OFFICER, "海曙区")):
        user = create_user(db, key, PASSWORD, role, district, actor="test")
        token, _ = issue_token(db, user, "tests", SECRET)
        out[key] = Person(user, token)
    return out


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; the page's CSRF token."""
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    r = client.post("/login", data={"username": username, "password": password, "login_csrf": token,
                                    "next": "/packages"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/packages").text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]*)"', html).group(1)


def wait_done(client: TestClient, status_url: str, headers: dict[str, str], timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        s = client.get(status_url, headers=headers).json()
        pkg = s.get("package", s)
        if s.get("state") in ("refused",) or (pkg and (pkg.get("done") or pkg.get("failed"))):
            return s
        time.sleep(0.5)
    raise AssertionError(f"not finished within {timeout_s}s: {s}")


@dataclass(frozen=True)
class GeneratedPackage:
    """A cultivation package made by our generator (no files from outside the repo): six text documents
    and the licence as an image; its form names another legal representative than its licence, so
    X-LEGAL-REP fails and an officer has a flag to decide."""

    folder: Path
    truth: dict[str, Any]

    @property
    def files(self) -> list[Path]:
        return sorted(self.folder.iterdir())

    def file_of(self, material: str) -> str:
        return next(d["files"][0] for d in self.truth["documents"] if d["material"] == material)

    @property
    def machine_district(self) -> str | None:
        from extractors.normalize.districts import district_for_code

        return district_for_code(self.truth["observed"]["applicant.uscc"][2:8])


@lru_cache(maxsize=1)
def generated_package() -> GeneratedPackage:
    """Made once per test process, into a temporary folder removed when the process ends."""
    import atexit
    import dataclasses
    import random
    import shutil
    import tempfile

    from synth.model import Kind, Profile
    from synth.package import generate_package
    from synth.plan import make_spec

    spec = make_spec(random.Random(3), "W0001", 3, Profile.QUICK, 0.0,
                     force={"kind": Kind.CULTIVATION, "defects": ["legal_rep_mismatch"]})
    out = Path(tempfile.mkdtemp(prefix="prescreen-web-package-"))
    atexit.register(shutil.rmtree, out, True)
    truth = generate_package(dataclasses.replace(spec, delivery="folder"), out)
    return GeneratedPackage(out / truth["path"], truth)


def package_files(package: GeneratedPackage | None = None) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (p.name, p.read_bytes())) for p in (package or generated_package()).files]


# --- packages with hand-made reports (for authorisation, lists, queue, versions) ------------------

def jpeg(width: int = 200, height: int = 280) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "JPEG")
    return out.getvalue()


def finding(rule: str, outcome: str, observed: Any = None, declared: Any = None, quote: str = "",
            image_key: str | None = None, document: str = "营业执照.pdf") -> dict[str, Any]:
    evidence = [{"document": document, "page": 1, "text": quote, "bbox": [10.0, 20.0, 60.0, 30.0], "char_span": None,
                 "confidence": None, "source": "text_layer",
                 "image": {"key": image_key, "scale": 2.0} if image_key else None}] if quote else []
    return {"rule": rule, "outcome": outcome, "article": "12.2" if rule.startswith("E-") else None,
            "declared": declared, "observed": observed, "message": f"{rule} 测试结果", "reason": None,
            "evidence": evidence}


def report(package_id: str, findings: list[dict[str, Any]], image_key: str | None = None,
           verdict: str = "needs_review") -> dict[str, Any]:
    page = {"page": 1, "source": "text_layer", "engine": "pdfplumber", "confidence": None, "width": 100.0,
            "height": 140.0, "unit": "pt", "problem": None,
            "image": {"key": image_key, "width": 200, "height": 280, "scale": 2.0} if image_key else None}
    return {"package": "/in/pkg", "package_id": package_id, "application_kind": "certification",
            "application_date": "2024-05-01", "district": None, "ruleset": "ningbo-2018", "ruleset_title": "测试",
            "verdict": verdict, "declared": {"service.smes_served": 56},
            "observed": {"service.smes_served": {"value": 41, "evidence": []}}, "supporting": {},
            "findings": findings, "problems": [], "generated_at": datetime.now(UTC).isoformat(),
            "documents": [{"name": "营业执照.pdf", "sha256": "a" * 64, "type": "pdf", "kinds": ["license"], "pages": 1,
                           "page_sources": ["text_layer"], "engines": [], "min_page_confidence": None,
                           "page_details": [page], "problem": None}], "versions": {}}


def seed(app: FastAPI, district: str | None, name: str, uscc: str, reports: list[dict[str, Any]] | None = None,
         uploader: User | None = None, machine_district: str | None = None, kind: str = "certification") -> str:
    """A done package: through an upload row of `district` when an uploader is given, else only the machine's
    packages.district (a package made by the CLI). Each report becomes a version, oldest first."""
    wb = app.state.workbench
    package_id = uuid.uuid4().hex
    wb.repo.save_package(Package(package_id, f"/in/{package_id}", (Document("营业执照.pdf", "a" * 64, 10, FileType.PDF),),
                                 datetime.now(UTC)))
    if uploader is not None:
        with wb.db.begin() as s:
            s.add(UploadRecord(id=uuid.uuid4().hex, package_id=package_id, source=f"/in/{package_id}",
                               district=district, application_kind=kind, file_names=["营业执照.pdf"], total_bytes=10,
                               user_id=uploader.id, created_at=datetime.now(UTC),
                               state=UploadState.SUBMITTED.value))
    attempt = wb.repo.claim(package_id)
    wb.repo.transition(package_id, PackageState.CHECKING, attempt=attempt)
    for rep in reports or [report(package_id, [])]:
        wb.repo.save_report(package_id, {**rep, "package_id": package_id}, rep["verdict"], rep["ruleset"], None)
    wb.repo.transition(package_id, PackageState.DONE, attempt=attempt, applicant_name=name, applicant_uscc=uscc,
                       application_kind=kind, district=machine_district if uploader else district)
    return package_id


def put_image(app: FastAPI, content_sha: str = "b" * 64) -> str:
    key = derived_key(content_sha, "page-image", "test", "page-1.jpg")
    app.state.workbench.store.put(key, jpeg(), "image/jpeg")
    return key
