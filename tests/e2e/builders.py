"""Small packages for CLI tests, made by our generator (no files from outside the repo)."""
from __future__ import annotations

import random
from pathlib import Path

from synth.model import Kind, Profile
from synth.package import generate_package
from synth.plan import make_spec


def digital_package(out: Path, seed: int = 3, defects: list[str] | None = None) -> Path:
    """A clean certification package of text documents (the licence and certificates stay images)."""
    spec = make_spec(random.Random(seed), "D0001", seed, Profile.QUICK, 0.0,
                     force={"kind": Kind.CERTIFICATION, "defects": defects or []})
    entry = generate_package(spec, out)
    return out / entry["path"]
