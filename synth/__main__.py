"""python -m synth --out DIR --count N --seed S [--profile full|quick] [--scanned-share 0.4]"""
from __future__ import annotations

import argparse
import logging
import sys
import time

from .corpus import generate_corpus


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth", description="Generate synthetic application packages with truth.json")
    ap.add_argument("--out", required=True, help="output folder (packages P0001… and truth.json)")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=["full", "quick"], default="full")
    ap.add_argument("--scanned-share", type=float, default=0.4, help="share of text documents delivered as scans/photos")
    ap.add_argument("--processes", type=int, default=None, help="render processes (default: min(2, cpus))")
    a = ap.parse_args(argv)
    if not 0 <= a.scanned_share <= 1:
        ap.error("--scanned-share must be between 0 and 1")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    t0 = time.monotonic()
    truth = generate_corpus(a.out, a.count, a.seed, a.profile, a.scanned_share, a.processes)
    print(f"{a.count} packages, truth: {truth} ({time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
