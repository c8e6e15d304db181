"""Intake exceptions: raised only when a package as a whole cannot be received.

Per-file trouble is data (`Document.problem`, `Package.refusals`), not an exception.

    PrescreenIntakeError
     └── IntakeError        the package cannot be read (missing, not a folder/zip,
                            corrupt archive, over the package-wide limits)
"""
from __future__ import annotations

from intake.models import Problem


class PrescreenIntakeError(Exception):
    """Base of every intake exception; carries the message in Chinese and English."""

    def __init__(self, code: str, message_zh: str, message_en: str, subject: str | None = None) -> None:
        self.problem = Problem(code=code, message_zh=message_zh, message_en=message_en, subject=subject)
        super().__init__(str(self.problem))

    @property
    def code(self) -> str:
        return self.problem.code


class IntakeError(PrescreenIntakeError):
    """The package as a whole cannot be received."""


# Stable codes -> (Chinese, English) templates. Codes are what tests and filters use.
MESSAGES: dict[str, tuple[str, str]] = {
    # the package as a whole (IntakeError)
    "path_missing": ("申报包路径不存在", "package path does not exist"),
    "not_a_package": ("不是文件夹或 zip 压缩包", "not a folder or a zip archive"),
    "archive_corrupt": ("压缩包已损坏，无法读取", "the archive is corrupt and cannot be read"),
    "too_many_files": ("文件数超过上限 {limit} 个", "more than {limit} files in the package"),
    "package_too_large": ("解压后总大小超过上限 {limit}", "total unpacked size exceeds the limit of {limit}"),
    # one entry, refused (Package.refusals)
    "unsafe_path": ("路径会跳出申报包（绝对路径、“..”或盘符），已拒收",
                    "path would escape the package (absolute path, '..' or drive letter); refused"),
    "symlink": ("符号链接，已拒收", "symbolic link; refused"),
    "not_regular_file": ("不是普通文件，已拒收", "not a regular file; refused"),
    "zip_bomb": ("压缩比 {ratio} 超过上限 {limit}（疑似压缩炸弹），已拒收",
                 "compression ratio {ratio} exceeds the limit of {limit} (suspected zip bomb); refused"),
    "archive_too_deep": ("压缩包嵌套超过 {limit} 层，未解压", "archive nested deeper than {limit} levels; not unpacked"),
    "nested_archive_corrupt": ("内嵌压缩包已损坏，未解压", "nested archive is corrupt; not unpacked"),
    "entry_encrypted": ("压缩包内文件已加密，无法读取", "archive entry is encrypted and cannot be read"),
    "entry_corrupt": ("压缩包内文件已损坏，无法读取", "archive entry is corrupt and cannot be read"),
    "duplicate_name": ("压缩包内文件名重复，已拒收后一个", "duplicate name in the archive; the later entry is refused"),
    # notes: recorded, not refused
    "os_junk": ("操作系统附带文件，已忽略", "operating-system file; skipped"),
    "duplicate_content": ("与 {other} 内容完全相同", "same content as {other}"),
    # one document (Document.problem)
    "empty_file": ("空文件", "empty file"),
    "unsupported_type": ("不支持的文件类型（仅支持 PDF、图片、docx、xlsx）",
                         "unsupported file type (only PDF, images, docx, xlsx)"),
    "file_too_large": ("文件大小 {size} 超过上限 {limit}", "file size {size} exceeds the limit of {limit}"),
    "pdf_encrypted": ("PDF 已加密（需要密码），无法读取", "PDF is encrypted (password required) and cannot be read"),
    "pdf_corrupt": ("PDF 已损坏，无法读取", "PDF is corrupt and cannot be read"),
    "pdf_too_many_pages": ("PDF 页数 {pages} 超过上限 {limit}", "PDF has {pages} pages, over the limit of {limit}"),
    "image_too_large": ("图片像素数 {pixels} 超过上限 {limit}", "image has {pixels} pixels, over the limit of {limit}"),
    "image_corrupt": ("图片已损坏，无法读取", "image is corrupt and cannot be read"),
    "office_corrupt": ("Office 文件已损坏，无法读取", "Office file is corrupt and cannot be read"),
    "office_xml_dtd": ("XML 部件 {part} 含 DOCTYPE/ENTITY 声明（可能是 XXE 或实体炸弹），已拒收",
                       "XML part {part} declares a DOCTYPE/ENTITY (possible XXE or entity bomb); refused"),
    "office_zip_bomb": ("Office 文件内部件 {part} 压缩比异常（疑似压缩炸弹），已拒收",
                        "Office part {part} has an abnormal compression ratio (suspected zip bomb); refused"),
}


def problem(code: str, subject: str | None = None, **values: object) -> Problem:
    """Build the bilingual Problem for a stable `code`; `values` fill the templates."""
    zh, en = MESSAGES[code]
    return Problem(code=code, message_zh=zh.format(**values), message_en=en.format(**values), subject=subject)


def intake_error(code: str, subject: str | None = None, **values: object) -> IntakeError:
    p = problem(code, subject, **values)
    return IntakeError(p.code, p.message_zh, p.message_en, p.subject)


def fmt_bytes(n: int) -> str:
    """Human size for messages: limits are set in MB, so speak MB."""
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} B"
