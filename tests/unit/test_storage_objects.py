"""LocalObjectStore and keys: atomic writes, no overwrite of originals, nothing outside root."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.keys import derived_key, original_key, report_key, validate_key
from storage.objects import LocalObjectStore, ObjectNotFound, ObjectStore, StorageError

SHA = "ab" + "c" * 62


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


def test_keys() -> None:
    assert original_key(SHA) == f"originals/ab/{SHA}"
    assert derived_key(SHA, "ocr", "tesseract-5.3", "page-1.json") == f"derived/ab/{SHA}/ocr/tesseract-5.3/page-1.json"
    assert report_key("0f" * 16, 2) == f"reports/{'0f' * 16}/v2.json"
    for bad in ("ABC", "ab", "g" * 64):
        with pytest.raises(ValueError):
            original_key(bad)
    with pytest.raises(ValueError):
        derived_key(SHA, "..", "1", "x")
    with pytest.raises(ValueError):
        derived_key(SHA, "ocr", "1", "a/b")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b", "a/.tmp-1"])
def test_unsafe_keys_refused(store: LocalObjectStore, key: str) -> None:
    with pytest.raises(ValueError):
        validate_key(key)
    with pytest.raises(ValueError):
        store.put(key, b"x")


def test_round_trip(store: LocalObjectStore) -> None:
    assert isinstance(store, ObjectStore)
    key = original_key(SHA)
    assert not store.exists(key)
    store.put(key, b"hello", "application/pdf")
    assert store.exists(key) and store.get(key) == b"hello"
    store.put(key, b"derived artefacts may be replaced")
    assert store.get(key) == b"derived artefacts may be replaced"
    url = store.presigned_url(key, 60)
    assert url is not None and url.startswith("file://")
    assert store.presigned_url("missing/key", 60) is None


def test_missing_key(store: LocalObjectStore) -> None:
    with pytest.raises(ObjectNotFound) as exc:
        store.get("originals/00/none")
    assert isinstance(exc.value, StorageError) and "originals/00/none" in str(exc.value)


def test_put_if_absent_never_overwrites(store: LocalObjectStore) -> None:
    key = original_key(SHA)
    assert store.put_if_absent(key, b"first") is True
    assert store.put_if_absent(key, b"second") is False
    assert store.get(key) == b"first"
    assert not [p for p in store.root.rglob(".tmp-*")]


def test_failed_write_keeps_old_bytes_and_no_temp(store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "derived/x/report.json"
    store.put(key, b"old")

    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put(key, b"new")
    assert store.get(key) == b"old"
    assert not [p for p in store.root.rglob(".tmp-*")]


def test_list_by_prefix(store: LocalObjectStore) -> None:
    for key in ("originals/ab/1", "originals/ac/2", "derived/ab/3", "reports/p/v1.json"):
        store.put(key, b"x")
    (store.root / "originals" / "ab" / ".tmp-leftover").write_bytes(b"half")
    assert list(store.list("originals/")) == ["originals/ab/1", "originals/ac/2"]
    assert list(store.list("originals/a")) == ["originals/ab/1", "originals/ac/2"]
    assert list(store.list("originals/ab")) == ["originals/ab/1"]
    assert len(list(store.list())) == 4


def test_symlinked_folder_cannot_lead_out(store: LocalObjectStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "escape").symlink_to(outside)
    with pytest.raises(ValueError):
        store.put("escape/x", b"x")
    assert not list(outside.iterdir())


def test_report_content_key_is_safe_and_stable() -> None:
    from storage.keys import report_content_key

    assert report_content_key("abc123", "0f" * 8) == "reports/abc123/" + "0f" * 8 + ".json"
    with pytest.raises(ValueError):
        report_content_key("../x", "00")
