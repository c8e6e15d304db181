"""Store each document's page images for the evidence viewer, once per content and version.

A small manifest per document (derived key `page-image/<version>/pages.json`) lists the images;
when it exists, nothing is rendered again, so re-checks and reprocessing cost nothing here.
Originals come through a loader (document -> its bytes, None when intake kept none), called only
when a manifest is missing: in process it reads the received payloads, in a worker the object store.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace

from extractors.context import ExtractionContext
from extractors.models import ExtractedDocument
from extractors.page_images import PAGE_IMAGE_VERSION, VIEWER_DPI, page_images
from intake.models import Document
from storage.keys import derived_key
from storage.objects import ObjectStore

log = logging.getLogger(__name__)
Originals = Callable[[Document], bytes | None]


def image_version(ctx: ExtractionContext) -> str:
    # OCR boxes are in pixels of the render_dpi image, so the scale depends on it too.
    return f"v{PAGE_IMAGE_VERSION}-{VIEWER_DPI}-{ctx.render_dpi}"


def with_page_images(extracted: list[tuple[Document, ExtractedDocument]], ctx: ExtractionContext,
                     store: ObjectStore, originals: Originals) -> list[tuple[Document, ExtractedDocument]]:
    """The documents with `image_key`/`image_size` set on every page that has a stored image."""
    manifests: dict[str, dict[int, dict]] = {}
    out = []
    for doc, ex in extracted:
        if doc.sha256 not in manifests:
            manifests[doc.sha256] = page_image_manifest(doc, ex, ctx, store, originals)
        found = manifests[doc.sha256]
        pages = tuple(replace(p, image_key=found[p.number]["key"], image_size=(found[p.number]["width"],
                                                                              found[p.number]["height"]))
                      if p.number in found else p for p in ex.pages)
        out.append((doc, replace(ex, pages=pages)))
    return out


def page_image_manifest(doc: Document, ex: ExtractedDocument, ctx: ExtractionContext, store: ObjectStore,
                        originals: Originals) -> dict[int, dict]:
    """Page number -> stored image entry; renders and stores the images when they are not there yet."""
    if not ex.pages:
        return {}
    version = image_version(ctx)
    index_key = derived_key(doc.sha256, "page-image", version, "pages.json")
    if store.exists(index_key):
        return {e["page"]: e for e in json.loads(store.get(index_key))}
    data = originals(doc)
    if not data:
        return {}
    entries = []
    for img in page_images(data, doc.file_type, ex, ctx):
        key = derived_key(doc.sha256, "page-image", version, f"page-{img.page}.jpg")
        store.put(key, img.jpeg, "image/jpeg")
        entries.append({"page": img.page, "key": key, "width": img.width, "height": img.height, "scale": img.scale})
    if entries:  # written last: its presence means every image is there
        store.put(index_key, json.dumps(entries).encode(), "application/json")
    return {e["page"]: e for e in entries}
