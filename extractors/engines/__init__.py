"""Wrappers around external engines; each owns timeouts, version probing and error translation."""
from __future__ import annotations


class EngineError(Exception):
    """An engine failed on one input; `code` is a stable Problem code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class EngineTimeout(EngineError):
    def __init__(self, message: str) -> None:
        super().__init__("timeout", message)
