"""The facts cache: a package's FactSet stored once per (its documents' contents and names, extraction
versions and settings, page-image version, declared values, fact-reader version).

Reprocessing with a new rule set then reads one object and runs only the rules: no extraction, no
fact reading. The fact-reader version is a hash of the readers' own source (extractors/facts,
extractors/normalize, the models) and of spaCy's version, so any change to how facts are read
invalidates every entry by itself; nobody has to remember to bump a number.

Stored as tagged JSON, never pickle (the store is not trusted code): values are JSON scalars, lists,
and tagged dates, tuples, maps, enums and dataclasses; only classes of our own extractors and intake
models are rebuilt. A FactSet holding anything else is not cached (it is recomputed each time).
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from extractors.context import ExtractionContext
from extractors.facts.factset import FactSet
from prescreen.extraction_cache import cache_version, settings_hash
from prescreen.viewer_images import image_version
from storage.keys import validate_key
from storage.objects import ObjectNotFound, ObjectStore

log = logging.getLogger(__name__)

CODEC_VERSION = 1
_ROOT = Path(__file__).resolve().parents[1]
_READER_SOURCES = ("extractors/facts", "extractors/normalize", "extractors/models.py", "intake/models.py",
                   "prescreen/facts_cache.py")  # the codec too: a fix to it must not read old entries
_ALLOWED_MODULES = ("extractors.", "intake.models")


class NotCacheable(TypeError):
    """A value the codec does not know how to store faithfully."""


@lru_cache(maxsize=1)
def facts_version() -> str:
    """Hash of the fact readers' source, this codec's and spaCy's version (jieba segmentation runs through it)."""
    import spacy

    h = hashlib.sha256(f"codec-{CODEC_VERSION} spacy-{spacy.__version__}".encode())
    for rel in _READER_SOURCES:
        path = _ROOT / rel
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            h.update(f.relative_to(_ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def facts_key(documents: Any, declared: dict[str, Any] | None, declared_name: str, ctx: ExtractionContext) -> str:
    """The object key of a package's facts. `documents`: the package's Documents in order."""
    ident = {"facts": facts_version(), "extraction": cache_version(), "settings": settings_hash(ctx),
             "images": image_version(ctx), "declared": declared, "declared_name": declared_name,
             "documents": [[d.name, d.sha256, d.file_type.value, d.problem.code if d.problem else None]
                           for d in documents]}
    digest = hashlib.sha256(json.dumps(ident, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    return validate_key(f"facts/{facts_version()}/{digest[:2]}/{digest}.json")


def load(key: str, store: ObjectStore) -> FactSet | None:
    try:
        data = store.get(key)
    except ObjectNotFound:
        return None
    try:
        facts = decode(json.loads(data))
    except (ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:  # a damaged entry: recompute
        log.warning("facts cache entry %s unreadable (%r); recomputing", key, exc)
        return None
    return facts if isinstance(facts, FactSet) else None


def save(key: str, facts: FactSet, store: ObjectStore) -> bool:
    """Store the facts; False (and nothing stored) when they hold a value the codec cannot keep."""
    try:
        data = json.dumps(encode(facts), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (NotCacheable, ValueError) as exc:
        log.warning("facts not cached: %s", exc)
        return False
    store.put(key, data.encode("utf-8"), "application/json")
    return True


# --- the codec -------------------------------------------------------------------------------------

def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _allowed(module: str) -> bool:
    return module == "intake.models" or module.startswith(_ALLOWED_MODULES)


def encode(v: Any) -> Any:
    if isinstance(v, Enum):  # before str and int: our enums subclass str
        if not _allowed(type(v).__module__):
            raise NotCacheable(f"enum {_class_path(type(v))}")
        return {"$enum": _class_path(type(v)), "v": v.value}
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, date):
        return {"$date": v.isoformat()}
    if isinstance(v, tuple) and hasattr(v, "_fields"):  # NamedTuple (BBox)
        if not _allowed(type(v).__module__):
            raise NotCacheable(f"named tuple {_class_path(type(v))}")
        return {"$nt": _class_path(type(v)), "v": [encode(x) for x in v]}
    if isinstance(v, tuple):
        return {"$tuple": [encode(x) for x in v]}
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"$set": sorted((encode(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True)),
                "frozen": isinstance(v, frozenset)}
    if isinstance(v, dict):
        return {"$map": [[encode(k), encode(x)] for k, x in v.items()]}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        if not _allowed(type(v).__module__):
            raise NotCacheable(f"dataclass {_class_path(type(v))}")
        return {"$dc": _class_path(type(v)),
                "f": {f.name: encode(getattr(v, f.name)) for f in dataclasses.fields(v) if f.init}}
    raise NotCacheable(f"value of type {type(v).__name__}")


@lru_cache(maxsize=128)
def _resolve(path: str) -> type:
    module, _, qualname = path.partition(":")
    if not _allowed(module):
        raise TypeError(f"class outside the facts' modules: {path}")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise TypeError(f"not a class: {path}")
    return obj


def _dataclass(v: dict[str, Any]) -> Any:
    cls = _resolve(v["$dc"])
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"not a dataclass: {v['$dc']}")
    return cls(**{k: decode(x) for k, x in v["f"].items()})


def _set(v: dict[str, Any]) -> Any:
    items = (decode(x) for x in v["$set"])
    return frozenset(items) if v["frozen"] else set(items)


# Dispatch on an object's first key, its tag (json keeps key order): a facts object has thousands of nodes.
_DECODERS = {
    "$tuple": lambda v: tuple(decode(x) for x in v["$tuple"]),
    "$map": lambda v: {decode(k): decode(x) for k, x in v["$map"]},
    "$date": lambda v: date.fromisoformat(v["$date"]),
    "$datetime": lambda v: datetime.fromisoformat(v["$datetime"]),
    "$enum": lambda v: _resolve(v["$enum"])(v["v"]),
    "$nt": lambda v: _resolve(v["$nt"])(*(decode(x) for x in v["v"])),
    "$set": _set,
    "$dc": _dataclass,
}


def decode(v: Any) -> Any:
    if isinstance(v, list):
        return [decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    decoder = _DECODERS.get(next(iter(v), ""))
    if decoder is None:
        raise ValueError(f"untagged object in facts cache: {sorted(v)[:3]}")
    return decoder(v)
