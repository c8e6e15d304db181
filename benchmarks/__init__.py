"""Benchmarks run from the repository (not installed with the package).

`python -m benchmarks.ocr`: OCR quality, facts, speed and memory of our extraction beside the
bare engines, on generated scans with ground truth (issue 3). See benchmarks/ocr.py.
"""
