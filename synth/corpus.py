"""A corpus: plan every package (deterministic from the seed), render them on 2 processes, write truth.json."""
from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import random
from pathlib import Path

from .model import CATEGORIES, RULE_IDS, PackageSpec, Profile
from .package import generate_package
from .plan import make_spec

log = logging.getLogger(__name__)


def plan_corpus(count: int, seed: int, profile: Profile | str = Profile.FULL, scanned_share: float = 0.4) -> list[PackageSpec]:
    profile = Profile(profile)
    return [make_spec(random.Random(f"synth:{seed}:{i}"), f"P{i:04d}", seed, profile, scanned_share)
            for i in range(1, count + 1)]


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # one process per core; OpenCV's own threads would only contend


def _one(args: tuple[PackageSpec, str]) -> dict:
    spec, out = args
    return generate_package(spec, out)


def write_truth(out_dir: Path, entries: list[dict], seed: int, profile: Profile) -> Path:
    truth = {
        "set": f"synth-{profile.value}-{seed}", "seed": seed, "generator": "python -m synth", "ruleset": "ningbo-2018",
        "rule_ids": RULE_IDS, "categories": CATEGORIES,
        "notes": {"paths": "relative to the folder of this truth file",
                  "observed_alt": "other defensible values for a fact (e.g. shares computed per service row instead of "
                                  "per distinct client)",
                  "rules.accept": "outcomes counted as correct; review is accepted for planted fails only where the "
                                  "evidence is a low-quality image (phone photo or 150 dpi scan)",
                  "verdict.accept": "verdicts counted as correct"},
        "packages": entries,
    }
    path = out_dir / "truth.json"
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def generate_corpus(out_dir: str | Path, count: int, seed: int, profile: Profile | str = Profile.FULL,
                    scanned_share: float = 0.4, processes: int | None = None) -> Path:
    """Generate `count` packages under out_dir and return the path of truth.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    profile = Profile(profile)
    specs = plan_corpus(count, seed, profile, scanned_share)
    procs = processes or min(2, os.cpu_count() or 1)
    jobs = [(s, str(out)) for s in specs]
    if procs > 1 and len(specs) > 1:
        # forkserver, not fork: forking a threaded parent (test runners, OpenCV) can deadlock the child on import locks
        with mp.get_context("spawn" if os.name == "nt" else "forkserver").Pool(procs, initializer=_init_worker) as pool:
            entries = pool.map(_one, jobs, chunksize=1)
    else:
        entries = [_one(j) for j in jobs]
    log.info("generated %d packages in %s", len(entries), out)
    return write_truth(out, entries, seed, profile)
