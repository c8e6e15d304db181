"""Uploads to packages: the browser's files saved as a folder (or the one .zip kept as is), then
prescreen.tasks_submit.submit in a background thread, so the request returns at once.

On the embedded default (no PRESCREEN_BROKER_URL) submit processes the package right there, in that thread;
with a broker it only takes the package in and queues it for the workers. Either way the package row carries
the state the pages poll. An upload is linked to its package by the folder it handed to intake (packages.source),
which intake writes before any processing starts.
"""
from __future__ import annotations

import logging
import re
import shutil
import unicodedata
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from intake.errors import PrescreenIntakeError
from prescreen.settings import AppSettings
from storage.db import PackageRecord
from storage.repository import Repository
from storage.states import PackageState
from web import audit
from web.accounts import User
from web.audit import AuditAction
from web.models import UploadRecord, UploadState, UserRecord

log = logging.getLogger(__name__)
DECLARED_NAME = "工作台上传登记"  # the evidence document of the kind chosen at upload
_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class UploadRefused(ValueError):
    """The upload as a whole is refused before anything is stored (Chinese message)."""


@dataclass(frozen=True)
class IncomingFile:
    name: str
    stream: BinaryIO


def safe_name(name: str) -> str:
    """The file's own name (browsers may send a path), without characters a file system or intake refuses."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = _UNSAFE.sub("_", base)[:200]
    if base in ("", ".", "..") or base.startswith(".tmp-"):
        raise UploadRefused(f"文件名无效：{name!r}")
    return base


def save_upload(root: Path, upload_id: str, files: list[IncomingFile], max_total_bytes: int) -> tuple[Path, list[str], int]:
    """Write the files under root/<upload_id>/; the path to hand to intake (one .zip, else the folder)."""
    if not files:
        raise UploadRefused("请选择要上传的文件")
    folder = root / upload_id
    single_zip = len(files) == 1 and files[0].name.lower().endswith(".zip")
    target = folder if single_zip else folder / "package"
    target.mkdir(parents=True, exist_ok=False)
    names: list[str] = []
    total = 0
    try:
        for f in files:
            name = safe_name(f.name)
            stem, dot, ext = name.rpartition(".")
            n = 2
            while name in names:  # two files of one name from different folders
                name = f"{stem} ({n}).{ext}" if dot else f"{ext} ({n})"
                n += 1
            with open(target / name, "xb") as out:
                while chunk := f.stream.read(_CHUNK):
                    total += len(chunk)
                    if total > max_total_bytes:
                        raise UploadRefused(f"上传总量超过上限 {max_total_bytes // (1024 * 1024)} MB")
                    out.write(chunk)
            names.append(name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return (target / names[0] if single_zip else target), names, total


def link_pending(db: sessionmaker) -> None:
    """Uploads whose package intake has saved meanwhile get its id (and leave the receiving list)."""
    with db.begin() as s:
        pending = s.execute(select(UploadRecord.id, UploadRecord.source).where(
            UploadRecord.package_id.is_(None), UploadRecord.state == UploadState.RECEIVING.value)).all()
        for upload_id, source in pending:
            package_id = s.scalar(select(PackageRecord.id).where(PackageRecord.source == source).limit(1))
            if package_id is not None:
                _link(s, upload_id, package_id)


def _link(s: Session, upload_id: str, package_id: str) -> None:
    """Set the upload's package once (whoever gets there first: a poll or the submitting thread), and write the
    package's first audit entry: who sent it, for which district, which files."""
    moved = s.execute(update(UploadRecord).where(UploadRecord.id == upload_id, UploadRecord.package_id.is_(None))
                      .values(package_id=package_id, state=UploadState.SUBMITTED.value)).rowcount
    if moved:
        up, username = s.execute(select(UploadRecord, UserRecord.username)
                                 .join(UserRecord, UserRecord.id == UploadRecord.user_id)
                                 .where(UploadRecord.id == upload_id)).one()
        audit.record(s, username, AuditAction.RECEIVED, package_id, None,
                     {"upload_id": upload_id, "district": up.district, "application_kind": up.application_kind,
                      "files": len(up.file_names or []), "uploaded_at": up.created_at.isoformat()})


class Processor:
    """Background threads that submit uploads and reprocess packages."""

    def __init__(self, settings: AppSettings, db: sessionmaker, repo: Repository, workers: int = 1) -> None:
        self.settings, self.db, self.repo = settings, db, repo
        self.uploads_dir = settings.storage.home.expanduser() / "uploads"
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prescreen-web")

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def upload(self, user: User, files: list[IncomingFile], district: str, kind: str | None,
               ip: str | None = None) -> tuple[str, Future]:
        upload_id = uuid.uuid4().hex
        source, names, total = save_upload(self.uploads_dir, upload_id, files, self.settings.intake.max_total_bytes)
        with self.db.begin() as s:
            s.add(UploadRecord(id=upload_id, source=str(source), district=district, application_kind=kind,
                               file_names=names, total_bytes=total, user_id=user.id, created_at=datetime.now(UTC),
                               state=UploadState.RECEIVING.value))
            audit.record(s, user.username, AuditAction.UPLOAD, None, ip,
                         {"upload_id": upload_id, "district": district, "application_kind": kind, "files": names,
                          "bytes": total})
        return upload_id, self._pool.submit(self._submit, upload_id, source, kind)

    def _submit(self, upload_id: str, source: Path, kind: str | None) -> str | None:
        from prescreen.tasks_submit import submit

        declared = {"application.kind": kind} if kind else None
        try:
            package_id, _ = submit(source, self.settings, declared, DECLARED_NAME)
        except PrescreenIntakeError as e:  # the package as a whole could not be read: nothing was stored
            self._finish(upload_id, UploadState.REFUSED, f"{e.problem.message_zh}（{e.problem.subject or ''}）")
            return None
        except Exception as e:  # noqa: BLE001 - recorded for the officer; the package row says failed if there is one
            log.exception("upload %s: processing failed", upload_id)
            link_pending(self.db)
            self._finish(upload_id, UploadState.FAILED, repr(e)[:500], only_if_unlinked=True)
            return None
        finally:
            shutil.rmtree(self.uploads_dir / upload_id, ignore_errors=True)  # the originals are in the store now
        with self.db.begin() as s:
            _link(s, upload_id, package_id)
        return package_id

    def _finish(self, upload_id: str, state: UploadState, error: str, only_if_unlinked: bool = False) -> None:
        with self.db.begin() as s:
            stmt = update(UploadRecord).where(UploadRecord.id == upload_id)
            if only_if_unlinked:
                stmt = stmt.where(UploadRecord.package_id.is_(None))
            s.execute(stmt.values(state=state.value, error=error))

    def reprocess(self, user: User, package_id: str, ip: str | None = None) -> Future | None:
        """A finished package processed again (a new rule set, extractor or OCR engine); None if still in work."""
        from prescreen.tasks import process_package

        if not self.repo.transition(package_id, PackageState.RECEIVED):
            return None
        audit.log(self.db, user.username, AuditAction.REPROCESS, package_id, ip)
        return self._pool.submit(process_package.apply_async, (package_id,), ignore_result=True)
