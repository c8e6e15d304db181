"""Synthetic application packages with ground truth (`python -m synth`, see synth/README.md)."""
from .corpus import generate_corpus, plan_corpus
from .package import generate_package

__all__ = ["generate_corpus", "generate_package", "plan_corpus"]
