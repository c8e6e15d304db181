"""Image extractor (JPEG/PNG/TIFF/BMP): EXIF orientation, multi-page TIFF, pixel limit, OCR."""
from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from extractors.context import ExtractionContext
from extractors.imaging import crop_to_page
from extractors.models import ExtractedDocument, Page
from extractors.ocr import OCR_PIPELINE_VERSION, ocr_pages
from intake.models import Document, FileType, Problem

log = logging.getLogger(__name__)


class ImageExtractor:
    name = "image"
    version = f"1+ocr{OCR_PIPELINE_VERSION}"

    def handles(self, file_type: FileType) -> bool:
        return file_type.is_image

    def extract(self, data: bytes, document: Document, ctx: ExtractionContext) -> ExtractedDocument:
        subject = document.name

        def result(pages: list[Page], problem: Problem | None = None) -> ExtractedDocument:
            return ExtractedDocument(document.name, document.sha256, tuple(pages), self.name, problem)

        try:
            im = Image.open(io.BytesIO(data))  # lazy: reads the header only
            frames = getattr(im, "n_frames", 1)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            return result([], Problem("corrupt", "图片文件损坏或格式无法识别", f"image cannot be read: {exc}", subject))
        if frames > ctx.max_pdf_pages:
            return result([], Problem("too_many_pages", f"图片共{frames}页，超过上限", f"{frames} frames, over the limit",
                                      subject))
        problems: list[Problem] = []
        pages = list(ocr_pages(self._frames(im, frames, ctx, subject, problems), ctx, subject, expected=frames))
        im.close()
        problem = problems[0] if problems else None
        if not pages and problem is None:
            problem = Problem("unreadable", "图片无法读取", "image could not be read", subject)
        return result(pages, problem)

    @staticmethod
    def _frames(im: Image.Image, frames: int, ctx: ExtractionContext, subject: str,
                problems: list[Problem]) -> Iterator[tuple[int, np.ndarray]]:
        for k in range(frames):
            try:
                im.seek(k)
                w, h = im.size
                if w * h > ctx.max_image_pixels:  # checked from the header, before decoding
                    problems.append(Problem("image_too_large", f"第{k + 1}页图片像素过大（{w}×{h}）",
                                            f"frame {k + 1} is {w}x{h} pixels, over the limit", subject))
                    continue
                frame = im.convert("RGB")  # this frame, decoded into a copy of our own ...
                ImageOps.exif_transpose(frame, in_place=True)  # ... turned as phones store it in EXIF, in place:
                yield k + 1, crop_to_page(np.asarray(frame))  # each full-page copy costs 10-25 ms; seals go in ocr_page
            except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
                # Truncated files decode partly or not at all: report, keep the frames already read.
                log.info("frame %d of %s unreadable: %s", k + 1, subject, exc)
                problems.append(Problem("corrupt", f"第{k + 1}页图片损坏或不完整", f"frame {k + 1} unreadable: {exc}",
                                        subject))
                return
