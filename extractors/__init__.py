"""Extractors: bytes of one document -> pages of text with boxes -> facts with evidence.

Extractors never touch object storage: they take bytes and return frozen models.
"""
