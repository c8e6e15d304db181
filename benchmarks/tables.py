"""Per-page results -> the benchmark's tables (plain text for the terminal, Markdown for docs/).

Every row sets our extraction beside the bare engine it builds on, on the same page files:
CER (total edits / total true characters), facts right, median seconds per page, the ratio
of the two medians, and the highest peak memory of any page in the row.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .engines import BARE_OF


@dataclass(frozen=True)
class PageResult:
    runner: str  # ours:cascade / tesseract-cli / rapidocr-bare ...
    dpi: int
    variant: str
    doc_type: str
    label: str  # clients_plain#1
    seconds: float | None = None
    peak_mb: float | None = None
    edits: int = 0
    bag: int = 0
    truth_chars: int = 0
    facts: tuple[tuple[str, bool], ...] = ()  # (fact label, right?)
    error: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Stats:
    pages: int
    failed: int
    cer: float | None
    bag_cer: float | None
    facts_ok: int
    facts_total: int
    median_s: float | None
    peak_mb: float | None


def stats(results: Iterable[PageResult]) -> Stats:
    rs = list(results)
    ok = [r for r in rs if r.error is None]
    chars = sum(r.truth_chars for r in ok)
    secs = [r.seconds for r in ok if r.seconds is not None]
    peaks = [r.peak_mb for r in ok if r.peak_mb is not None]
    facts = [right for r in ok for _, right in r.facts]
    return Stats(len(rs), len(rs) - len(ok), sum(r.edits for r in ok) / chars if chars else None,
                 sum(r.bag for r in ok) / chars if chars else None, sum(facts), len(facts),
                 statistics.median(secs) if secs else None, max(peaks) if peaks else None)


def _f(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or not b else f"{a / b:.2f}×"


def _facts(s: Stats) -> str:
    return f"{s.facts_ok}/{s.facts_total}" if s.facts_total else "–"


COMPARE_HEADERS = ["pages", "CER (order-free)", "bare CER (order-free)", "facts", "bare facts", "s/page",
                   "bare s/page", "time ×", "MB", "bare MB"]


def _cer(s: Stats) -> str:
    return "–" if s.cer is None else f"{s.cer:.3f} ({s.bag_cer:.3f})"


def compare_cells(ours: Stats, bare: Stats) -> list[str]:
    pages = str(ours.pages) + (f" ({ours.failed} failed)" if ours.failed else "")
    return [pages, _cer(ours), _cer(bare), _facts(ours), _facts(bare), _f(ours.median_s, ".2f"),
            _f(bare.median_s, ".2f"), _ratio(ours.median_s, bare.median_s), _f(ours.peak_mb, ".0f"),
            _f(bare.peak_mb, ".0f")]


def compare_rows(results: list[PageResult], engines: list[str], key: Callable[[PageResult], tuple],
                 label: Callable[[tuple], list[str]]) -> list[list[str]]:
    """One row per (engine, key) with our runner's stats beside its bare engine's on the same pages."""
    rows = []
    for engine in engines:
        ours = [r for r in results if r.runner == f"ours:{engine}"]
        bare = [r for r in results if r.runner == BARE_OF[engine]]
        for k in sorted({key(r) for r in ours}, key=_sort_key):
            rows.append([engine, *label(k), *compare_cells(stats(r for r in ours if key(r) == k),
                                                           stats(r for r in bare if key(r) == k))])
    return rows


ORDER = {v: i for i, v in enumerate(("clean", "rotated", "turned", "photo", "text", "form", "clients_ruled",
                                     "clients_plain", "licence", "declaration"))}


def _sort_key(k: tuple) -> tuple:
    return tuple(ORDER.get(x, 0) if isinstance(x, str) and x in ORDER else x for x in k)


def fact_rows(results: list[PageResult], engines: list[str]) -> list[list[str]]:
    """Each SPEC fact: right/total for our runner and for its bare engine's text, per engine."""
    labels = sorted({f for r in results for f, _ in r.facts}, key=lambda f: (ORDER.get(f.split()[0], 99), f))
    rows = []
    for fact in labels:
        row = [fact]
        for engine in engines:
            for runner in (f"ours:{engine}", BARE_OF[engine]):
                got = [ok for r in results if r.runner == runner and r.error is None for f, ok in r.facts if f == fact]
                row.append(f"{sum(got)}/{len(got)}" if got else "–")
        rows.append(row)
    return rows


COST_HEADERS = ["engine", "bare engine", "× bare (median page)", "× bare (summed)", "× tesseract-cli (median page)",
                "× tesseract-cli (summed)", "facts", "seconds (summed)", "facts/s"]


def _page_ratios(results: list[PageResult], runner: str, base: str) -> tuple[float | None, float | None]:
    """Median over pages of runner/base seconds on the same page, and the ratio of their sums."""
    def secs(name: str) -> dict[str, float]:
        return {f"{r.dpi}/{r.variant}/{r.label}": r.seconds for r in results
                if r.runner == name and r.error is None and r.seconds}

    ours, bare = secs(runner), secs(base)
    both = sorted(set(ours) & set(bare))
    if not both:
        return None, None
    return (statistics.median(ours[k] / bare[k] for k in both),
            sum(ours[k] for k in both) / sum(bare[k] for k in both))


def cost_rows(results: list[PageResult], engines: list[str]) -> list[list[str]]:
    """Each engine's time against its bare engine and against bare tesseract, and facts per second."""
    rows = []
    for engine in engines:
        runner = f"ours:{engine}"
        mine = [r for r in results if r.runner == runner and r.error is None]
        if not mine:
            continue
        own = _page_ratios(results, runner, BARE_OF[engine])
        cli = _page_ratios(results, runner, "tesseract-cli")
        right = sum(ok for r in mine for _, ok in r.facts)
        total = sum(len(r.facts) for r in mine)
        seconds = sum(r.seconds or 0.0 for r in mine)
        rows.append([engine, BARE_OF[engine], *(_f(x, ".2f") + ("×" if x is not None else "") for x in (*own, *cli)),
                     f"{right}/{total}", f"{seconds:.1f}", _f(right / seconds if seconds else None, ".2f")])
    return rows


def render(headers: list[str], rows: list[list[str]], markdown: bool = False) -> str:
    if markdown:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 or not _numeric(c) else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell == "–")
