"""OCR benchmark: our extraction beside the bare engines, on generated scans with known text and facts.

    python -m benchmarks.ocr [--dpi 150,200,300] [--variants clean,rotated,turned,photo]
                             [--docs text,form,clients_ruled,clients_plain,licence,declaration]
                             [--engines tesseract,cascade,rapidocr] [--pages N] [--seed S] [--quick]
                             [--markdown docs/ocr-benchmark.md] [--json-out FILE]

Settings (dpi × variant): by default every variant at 200 dpi plus the rotated scan at 150 and
300 dpi (6 settings: each variant and each resolution, in ~15 min); --dpi and/or --variants ask
for the full cross of what they list (the other defaulting to all); --quick is 200 dpi rotated
without the multi-page check.

Generated one-page documents (benchmarks.samples) are rendered at each dpi and degraded per
variant (benchmarks.scans). Every runner lives in a worker process of its own
(benchmarks.worker, benchmarks.engines): our extraction per engine (tesseract / cascade /
rapidocr, the product's path for an uploaded image) and the bare engine it builds on (tesseract
CLI, RapidOCR's own call). Each page file goes to every runner in turn, one page at a time on
one core. Printed per engine and setting: character error rate, SPEC facts right, median
seconds per page, peak memory, and our/bare ratios; and, measured first, one multi-page scan
read with jobs=2 against jobs=1 (benchmarks.parallel).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from extractors import serialize
from extractors.context import OcrSettings

from . import parallel
from .cer import bag_errors, comparable, edit_distance
from .engines import BARE_OF, OURS
from .facts import facts_of, facts_of_text, score
from .samples import DOC_TYPES, Sample, make_samples
from .scans import TURNS, VARIANTS, degrade_page
from .tables import COMPARE_HEADERS, COST_HEADERS, PageResult, compare_rows, cost_rows, fact_rows, render
from .worker import Worker

REPO = Path(__file__).resolve().parents[1]
ALL_DPI = (150, 200, 300)
DEFAULT_SETTINGS = [(150, "rotated")] + [(200, v) for v in VARIANTS] + [(300, "rotated")]
QUICK_SETTINGS = [(200, "rotated")]
RUNNER_ORDER = ("tesseract-cli", "ours:tesseract", "ours:cascade", "rapidocr-bare", "ours:rapidocr", "ours:rapid-lines")


def _list(s: str) -> list[str]:
    return [x for x in s.split(",") if x]


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ocr", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dpi", help="scan resolutions, e.g. 150,200,300 (full cross with --variants)")
    ap.add_argument("--variants", help=f"degradations among {','.join(VARIANTS)} (full cross with --dpi)")
    ap.add_argument("--docs", default=",".join(DOC_TYPES), help="document types (default: all)")
    ap.add_argument("--engines", default=",".join(OURS), help="our engines, each beside its bare engine (default: all)")
    ap.add_argument("--pages", type=int, default=1, help="pages per document type and setting, each from its own "
                                                         "generated package (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="200 dpi rotated scans only, one page per document type, "
                                                         "no multi-page check (~2-3 min)")
    ap.add_argument("--parallel-pages", type=int, help="pages of the multi-page scan read with jobs=2 and jobs=1 "
                                                       "(default 8, --quick 0 = skipped)")
    ap.add_argument("--markdown", help="write the tables and the command here (e.g. docs/ocr-benchmark.md)")
    ap.add_argument("--json-out", help="write every page's figures (and what each runner read) here")
    ap.add_argument("--workdir", help="keep the page files in this folder (default: a temporary one, removed)")
    a = ap.parse_args(argv)
    a.docs, a.engines = _list(a.docs), _list(a.engines)
    if a.dpi is None and a.variants is None:
        a.settings = QUICK_SETTINGS if a.quick else DEFAULT_SETTINGS
    else:
        try:
            dpis = [int(x) for x in _list(a.dpi)] if a.dpi else ([200] if a.quick else list(ALL_DPI))
        except ValueError:
            ap.error("--dpi takes whole numbers, e.g. 150,200,300")
        variants = _list(a.variants) if a.variants else (["rotated"] if a.quick else list(VARIANTS))
        a.settings = [(d, v) for d in dpis for v in variants]
    for name, got, allowed in (("--docs", a.docs, DOC_TYPES), ("--variants", [v for _, v in a.settings], VARIANTS),
                               ("--engines", a.engines, OURS)):
        bad = sorted(set(got) - set(allowed))
        if bad or not got:
            ap.error(f"{name}: unknown or none: {', '.join(bad)} (one of {', '.join(allowed)})")
    if any(not 72 <= d <= 600 for d, _ in a.settings) or a.pages < 1:
        ap.error("--dpi must lie within 72..600 and --pages be at least 1")
    if a.parallel_pages is None:
        a.parallel_pages = 0 if a.quick else 8
    return a


def write_pages(samples: list[Sample], a: argparse.Namespace, folder: Path) -> list[dict]:
    """Every (setting, sample) page file, with what is known about it."""
    items = []
    for dpi in sorted({d for d, _ in a.settings}):
        for s in samples:
            page = s.page(dpi)
            for variant in [v for d, v in a.settings if d == dpi]:
                turn = TURNS[(DOC_TYPES.index(s.doc_type) + s.index) % len(TURNS)]  # half the documents each way
                scan = degrade_page(page, variant, dpi, random.Random(f"bench:{a.seed}:{dpi}:{variant}:{s.label}"), turn)
                path = folder / f"{dpi}-{variant}-{s.doc_type}-{s.index}{scan.ext}"
                path.write_bytes(scan.data)
                items.append({"id": f"{dpi}/{variant}/{s.label}", "path": path, "label": f"{dpi} dpi {variant:<7} {s.label}",
                              "dpi": dpi, "variant": variant, "sample": s, "size": list(scan.size), "skew": scan.skew,
                              "turn": scan.turn, "jpeg_quality": scan.quality})
    return items


def warm_up_file(sample: Sample, folder: Path) -> Path:
    """The top third of a page: enough text to load each engine's models before the timed pages."""
    page = sample.page(200)
    path = folder / "warm-up.png"
    page.crop((0, 0, page.width, page.height // 3)).save(path)
    return path


def page_result(runner: str, item: dict, rec: dict) -> PageResult:
    """Score one runner's reading of one page: CER against the true text, facts against the truth."""
    s: Sample = item["sample"]
    base = dict(runner=runner, dpi=item["dpi"], variant=item["variant"], doc_type=s.doc_type, label=s.label)
    if "error" in rec:
        return PageResult(**base, error=rec["error"])
    read, truth = comparable(rec["text"]), comparable(s.truth_text)
    name = item["path"].name
    found = facts_of(serialize.loads(rec["extracted"].encode("utf-8"))) if rec.get("extracted") else \
        facts_of_text(name, rec["text"])
    return PageResult(**base, seconds=rec["seconds"], peak_mb=rec["peak_mb"], edits=edit_distance(read, truth),
                      bag=bag_errors(read, truth), truth_chars=len(truth), facts=score(s, found),
                      extra={"engine": rec["engine"], "facts_read": found, "text": rec["text"]})


def run_pages(runners: list[str], items: list[dict], warm_up: Path) -> tuple[list[PageResult], dict[str, str]]:
    """Every page to every runner in turn (the order reversed on every other page), serially."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    workers = [Worker(n, warm_up, REPO, env) for n in runners]
    results: list[PageResult] = []
    total, k = len(items) * len(workers), 0
    try:
        for w in workers:
            w.ready()
        for i, item in enumerate(items):
            for w in workers if i % 2 == 0 else workers[::-1]:
                k += 1
                r = page_result(w.name, item, w.read(item["path"]))
                results.append(r)
                if r.error:
                    msg = f"FAILED {r.error}"
                else:
                    ok = sum(x for _, x in r.facts)
                    msg = (f"{r.seconds:6.2f} s  CER {r.edits / max(1, r.truth_chars):.3f}  facts {ok}/{len(r.facts)}"
                           f"  {r.peak_mb:5.0f} MB")
                print(f"[{k}/{total}] {w.name:<15} {item['label']:<34} {msg}", file=sys.stderr, flush=True)
    finally:
        for w in workers:
            w.close()
    return results, {w.name: w.memory for w in workers}


def machine() -> str:
    model = ""
    try:
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} cores{f' ({model})' if model else ''}, {platform.system()} {platform.release()}"


def versions() -> str:
    from extractors.engines import rapidocr, tesseract

    return f"tesseract {tesseract.version()} chi_sim; rapidocr-onnxruntime {rapidocr.version()}; Python {platform.python_version()}"


def code_version() -> str:
    """The commit measured, and whether the extractors had uncommitted changes (another person's work in progress)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "extractors", "intake")
    return f"commit {commit}" + (" + uncommitted changes in extractors/ or intake/" if dirty else "")


def ocr_overrides() -> str:
    """PRESCREEN_OCR_* settings in the environment (jobs and engine are set by the benchmark itself)."""
    got = sorted(f"{k}={v}" for k, v in os.environ.items()
                 if k.startswith("PRESCREEN_OCR_") and k not in ("PRESCREEN_OCR_JOBS", "PRESCREEN_OCR_ENGINE"))
    return ", ".join(got) or "defaults"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def report(a: argparse.Namespace, results: list[PageResult], par: dict | None, md: bool) -> str:
    h = "### " if md else ""
    engines = a.engines
    sections = [
        ("Overall", ["engine"], lambda r: (), lambda k: []),
        ("By setting (all document types)", ["engine", "dpi", "variant"], lambda r: (r.dpi, r.variant),
         lambda k: [str(k[0]), k[1]]),
        ("By document type (all settings)", ["engine", "document"], lambda r: (r.doc_type,), lambda k: [k[0]]),
    ]
    parts = [f"{h}Cost and facts per second (the default engine is chosen by facts/s)", "",
             render(COST_HEADERS, cost_rows(results, engines), md), ""]
    for title, heads, key, label in sections:
        parts += [f"{h}{title}", "", render(heads + COMPARE_HEADERS, compare_rows(results, engines, key, label), md), ""]
    heads = ["fact"] + [x for e in engines for x in (f"{e}", f"{BARE_OF[e]}")]
    parts += [f"{h}SPEC facts right (all settings; bare = the bare engine's text given to our fact readers)", "",
              render(heads, fact_rows(results, engines), md), ""]
    if par:
        jobs = par["jobs"]
        parts += [f"{h}Multi-page scan: pages in parallel", "", render(
            ["pages", "dpi", "engine", "wall jobs=1 (s)", f"wall jobs={jobs} (s)", "ratio",
             f"jobs={jobs} incl. forkserver start (s)", "same text", "load before"],
            [[str(par["pages"]), str(par["dpi"]), par["engine"], f"{par['wall_s_serial']:.1f}",
              f"{par['wall_s_parallel']:.1f}", f"{par['ratio']:.2f}", f"{par['wall_s_parallel_first']:.1f}",
              "yes" if par["same_text"] else "no", par["load_before"]]], md), ""]
        if float(par["load_before"].split("/")[0]) >= 1.0:
            parts += ["Other work was running on the machine (1-minute load average ≥ 1 before the check): "
                      f"jobs={jobs} could not have both cores to itself, so the ratio understates the gain.", ""]
    parts += [f"{h}Detail: engine × setting × document", "",
              render(["engine", "dpi", "variant", "document"] + COMPARE_HEADERS,
                     compare_rows(results, engines, lambda r: (r.dpi, r.variant, r.doc_type),
                                  lambda k: [str(k[0]), k[1], k[2]]), md), ""]
    return "\n".join(parts)


COLUMNS_NOTE = """\
Columns: CER = character edit distance / true characters, whitespace removed and NFKC on both sides, summed over
the row's pages (reading order counts; text read from seals, signatures and borders counts as insertions); facts =
SPEC facts of the document read right (prescreen.accuracy's comparison); s/page = median wall seconds per page on
one core; time × = our median / the bare engine's median on the same pages; MB = highest peak resident memory of a
page in the row: ours = worker process peak (VmHWM, reset per page; tesseract runs in it through its C API) + any
tesseract children's peak (OSD; sampled every 20 ms); tesseract-cli = the tesseract process's peak (same sampling);
rapidocr-bare = worker process peak. Bare engines: cascade and tesseract are set beside
`tesseract FILE stdout -l chi_sim --psm 3` (OMP_THREAD_LIMIT=1); rapidocr and rapid-lines beside `RapidOCR()(FILE)`
(onnxruntime 1 thread, as ours). Facts for a bare engine: its text, as plain lines without boxes, given to our fact
readers. Cost table: per page, our seconds / the other runner's on the same page file, median over pages, and the
ratio of the sums; facts/s = facts right / our summed seconds."""


def markdown(a: argparse.Namespace, argv: list[str], body: str, header: dict) -> str:
    cmd = ".venv/bin/python -m benchmarks.ocr" + "".join(" " + shlex.quote(x) for x in argv)
    settings = ", ".join(f"{d} dpi {v}" for d, v in a.settings)
    return f"""# OCR benchmark

Measured {header['started']} on {header['machine']} (2 shared cores; load average 1/5/15 min
{header['load_start']} at the start, {header['load_end']} at the end); {header['versions']};
code: {header['code']}{'' if header['code_at_end'] == header['code'] else
                         f" (loaded by the page workers at the start; {header['code_at_end']} at the end)"};
OCR settings: {header['ocr_settings']}.
{header['pages']} page files × {len(header['runners'])} runners ({', '.join(header['runners'])}); each page went to every
runner in turn, one page at a time on one core. The whole run took {header['minutes']:.1f} min.

## Reproduce

```sh
{cmd}
```

Settings: {settings}. Documents: {', '.join(a.docs)}; {a.pages} page(s) per document type and setting; seed {a.seed}.
What the variants and documents are: `benchmarks/scans.py`, `benchmarks/samples.py`.

{COLUMNS_NOTE}

## Results

{body}"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    started, t0, load_start, code = dt.datetime.now(), time.monotonic(), load(), code_version()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    print(f"generating {len(a.docs)} document types × {a.pages} …", file=sys.stderr)
    samples = make_samples(a.docs, a.pages, a.seed)
    runners = [r for r in RUNNER_ORDER if r in {f"ours:{e}" for e in a.engines} | {BARE_OF[e] for e in a.engines}]
    par = None
    if a.parallel_pages:  # first: the load average then is other people's work only, not our runners' decaying load
        firsts = [next(s for s in samples if s.doc_type == t) for t in a.docs]
        pick = (firsts * a.parallel_pages)[: a.parallel_pages]
        dpi = 200 if 200 in {d for d, _ in a.settings} else a.settings[0][0]
        print(f"multi-page scan: {len(pick)} pages at {dpi} dpi with jobs=1, then jobs=2 …", file=sys.stderr)
        default = OcrSettings().engine.value
        par = {"load_before": load(), **parallel.measure(pick, dpi, a.seed, default if default in a.engines
                                                           else a.engines[0])}
    keep = Path(a.workdir).resolve() if a.workdir else None
    with nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="prescreen-bench-") as tmp:
        folder = Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        items = write_pages(samples, a, folder)
        print(f"{len(items)} page files in {folder}; {len(runners)} runners", file=sys.stderr)
        results, memory = run_pages(runners, items, warm_up_file(samples[0], folder))
    minutes = (time.monotonic() - t0) / 60
    header = {"started": f"{started:%Y-%m-%d %H:%M}", "machine": machine(), "versions": versions(), "code": code,
              "ocr_settings": ocr_overrides(),
              "code_at_end": code_version(), "runners": runners,
              "pages": len(items), "minutes": minutes, "load_start": load_start, "load_end": load()}
    print(f"OCR benchmark {header['started']}, {header['machine']}; {code}; OCR settings: {header['ocr_settings']}; "
          f"{len(items)} page files × {len(runners)} "
          f"runners; {minutes:.1f} min; load average {load_start} at the start, {header['load_end']} at the end")
    if header["code_at_end"] != code:
        print(f"warning: the code changed during the run (now {header['code_at_end']})")
    print()
    print(report(a, results, par, md=False))
    print(COLUMNS_NOTE)
    if a.markdown:
        Path(a.markdown).write_text(markdown(a, argv, report(a, results, par, md=True), header), encoding="utf-8")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({
            **header, "argv": argv, "memory": memory, "parallel": par,
            "settings": {"dpi_variant": a.settings, "docs": a.docs, "engines": a.engines, "pages": a.pages, "seed": a.seed},
            "page_files": [{k: (v.label if k == "sample" else v) for k, v in it.items() if k != "path"} for it in items],
            "results": [{**{k: getattr(r, k) for k in ("runner", "dpi", "variant", "doc_type", "label", "seconds",
                                                      "peak_mb", "edits", "bag", "truth_chars", "error")},
                         "facts": dict(r.facts), **r.extra} for r in results]}, ensure_ascii=False, indent=1),
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
