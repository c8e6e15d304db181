"""Reprocessing benchmark: an archive of generated packages ingested, then reprocessed.

    python -m benchmarks.reprocess [--count 200] [--seed 7] [--subset 8] [--runs 3] [--out var/bench-reprocess]
                                   [--broker redis://127.0.0.1:6379/0 | --broker none]

1. The corpus (`python -m synth`, quick profile, no scanned text documents) is generated once and kept.
   Its text documents (PDF with a text layer, .docx, .xlsx) form the archive of `--count` packages: the
   licence and certificate images are left out, so building the archive takes minutes, not an hour of OCR.
2. The archive is ingested (`prescreen ingest`, 2 worker processes): pages/s of full processing.
3. Rules only: the archive reprocessed under a new rule set (a later notice: 30 SMEs a year, 6 partner
   institutions), `--runs` times alternating with the measures' own set, so every run writes a new report
   version for every package; in process (embedded default). Packages/s (median), documents extracted
   and fact readings (both must be 0: facts come from the facts cache).
4. Nothing changed: the same run again, `--runs` times: packages/s (median), documents extracted (0) and
   new report versions (0).
5. Full processing with OCR: the first `--subset` packages as generated (their images included) ingested
   into fresh data folders with 1 and with 2 worker processes: pages/s and the scaling ratio. Worker
   processes are Celery workers on `--broker` when it answers, else the in-process pool (PRESCREEN_OCR_JOBS).

No timed assertions anywhere: this prints what it measured.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from contextlib import suppress
from pathlib import Path

from benchmarks.processes import stop_group

REPO = Path(__file__).resolve().parents[1]
TEXT_FORMATS = frozenset({"pdf", "docx", "xlsx"})
NOTICE = "bench-notice-2099"


def sh(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)


def ensure_corpus(out: Path, count: int, seed: int) -> Path:
    truth = out / "truth.json"
    if truth.exists() and len(json.loads(truth.read_text(encoding="utf-8"))["packages"]) == count:
        return out
    t0 = time.monotonic()
    p = sh([sys.executable, "-m", "synth", "--out", str(out), "--count", str(count), "--seed", str(seed),
            "--profile", "quick", "--scanned-share", "0"])
    if p.returncode:
        raise SystemExit(f"synth failed:\n{p.stderr[-3000:]}")
    print(f"corpus: {count} packages generated in {time.monotonic() - t0:.0f} s ({out})", flush=True)
    return out


def _zip_name(info: zipfile.ZipInfo) -> str:
    """An entry's name as intake reads it: GBK when the UTF-8 flag is off and it decodes."""
    if info.flag_bits & 0x800:
        return info.filename
    with suppress(UnicodeEncodeError, UnicodeDecodeError):
        return info.filename.encode("cp437").decode("gbk")
    return info.filename


def text_archive(corpus: Path, out: Path) -> Path:
    """Each package as a folder of its text documents only (the truth file says which files are images)."""
    if out.exists():
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for entry in json.loads((corpus / "truth.json").read_text(encoding="utf-8"))["packages"]:
        keep = {f for d in entry["documents"] if set(d["formats"]) <= TEXT_FORMATS for f in d["files"]}
        target = tmp / entry["id"]
        target.mkdir(parents=True)
        source = corpus / entry["path"]
        if source.is_dir():
            for name in keep:
                shutil.copy(source / name, target / name)
        else:
            with zipfile.ZipFile(source) as z:
                for info in z.infolist():
                    if (name := _zip_name(info)) in keep:
                        (target / name).write_bytes(z.read(info))
    tmp.rename(out)
    return out


def subset(corpus: Path, out: Path, n: int) -> Path:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for entry in json.loads((corpus / "truth.json").read_text(encoding="utf-8"))["packages"][:n]:
        src = corpus / entry["path"]
        (shutil.copytree if src.is_dir() else shutil.copy)(src, out / src.name)
    return out


def broker_answers(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
        return True
    except Exception:  # noqa: BLE001 - any failure: no broker, measure in process instead
        return False


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")}
    return env | {"PRESCREEN_HOME": str(home)}


class Worker:
    """`prescreen worker -c N` on its own queue, in its own process group."""

    def __init__(self, env: dict[str, str], processes: int, log: Path) -> None:
        self.node = f"bench{uuid.uuid4().hex[:6]}"
        argv = [sys.executable, "-m", "prescreen.cli", "worker", "-c", str(processes), "--queues", env["PRESCREEN_QUEUE"],
                "--loglevel", "INFO", "--", "-n", f"{self.node}@%h", "--without-mingle", "--without-gossip"]
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait_ready(self, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"worker exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            if " ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.3)
        raise SystemExit("worker not ready")

    def stop(self) -> None:
        stop_group(self.proc, term_grace_s=30)


def pages_of(home: Path) -> tuple[int, int]:
    """(packages done, pages read) in the data folder's database, from the stored reports."""
    from storage.db import make_engine
    from storage.repository import Repository

    repo = Repository(make_engine(f"sqlite:///{home / 'prescreen.db'}"))
    try:
        rows = [r for r in repo.list_packages(limit=100_000) if r.state == "done"]
        pages = sum(d["pages"] for r in rows for d in (repo.latest_report(r.id) or {}).get("documents", []))
    finally:
        repo.engine.dispose()
    return len(rows), pages


def ingest(folder: Path, home: Path, processes: int, broker: str | None, work: Path) -> dict:
    """`prescreen ingest folder` into a fresh data folder with `processes` worker processes; timed."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = base_env(home)
    worker = None
    if broker:
        env |= {"PRESCREEN_BROKER_URL": broker, "PRESCREEN_RESULT_BACKEND": broker,
                "PRESCREEN_QUEUE": f"bench-{uuid.uuid4().hex[:10]}"}
        worker = Worker(env, processes, work / f"worker-{processes}.log")
    else:
        env["PRESCREEN_OCR_JOBS"] = str(processes)
    try:
        if worker:
            worker.wait_ready()  # warm-up (spaCy, rule sets) is not part of the measurement
        t0 = time.monotonic()
        p = sh([sys.executable, "-m", "prescreen.cli", "ingest", str(folder), "-q"], env)
        wall = time.monotonic() - t0
        load = os.getloadavg()[0]  # the machine's, others' work included: a shared machine skews the ratio
    finally:
        if worker:
            worker.stop()
    if p.returncode:
        raise SystemExit(f"ingest failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    done, pages = pages_of(home)
    return {"packages": done, "pages": pages, "seconds": wall, "pages_per_s": pages / wall, "load": load}


def notice_rulesets(work: Path) -> Path:
    """The shipped rule sets plus a later notice, in a folder of their own (the shipped folder untouched)."""
    from validators import ruleset as rulesets

    folder = work / "rulesets"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for f in rulesets.RULESET_DIR.glob("*.toml"):
        shutil.copy(f, folder)
    text = (rulesets.RULESET_DIR / "ningbo-2018.toml").read_text(encoding="utf-8")
    (folder / f"{NOTICE}.toml").write_text(
        text.replace('id = "ningbo-2018"', f'id = "{NOTICE}"').replace("effective_from = 2018-01-01",
                                                                       "effective_from = 2099-01-01")
        .replace("min_smes_served = 20 ", "min_smes_served = 30 ")
        .replace("min_partner_institutions = 5 ", "min_partner_institutions = 6 "), encoding="utf-8")
    return folder


def reprocess_runs(home: Path, work: Path, runs: int) -> dict:
    """Rules-only and nothing-changed reprocessing of the archive in `home`, in this process (eager)."""
    os.environ["PRESCREEN_HOME"] = str(home)
    for name in ("PRESCREEN_DATABASE_URL", "PRESCREEN_OBJECT_STORE", "PRESCREEN_BROKER_URL"):
        os.environ.pop(name, None)
    from prescreen import steps
    from prescreen.reprocess import ReprocessOptions, start_run
    from prescreen.run_driver import drive_reprocess
    from prescreen.tasks import reset_services, services
    from prescreen.tasks_app import app
    from storage.repository import PackageFilter
    from validators import ruleset as rulesets

    app.conf.task_always_eager = True
    reset_services()
    folder = notice_rulesets(work)
    steps.load_ruleset = functools.partial(rulesets.load_ruleset, directory=folder)
    steps.ruleset_for = functools.partial(rulesets.ruleset_for, directory=folder)
    steps.choose_ruleset.cache_clear()
    readings = []
    real_assemble = steps.assemble
    steps.assemble = lambda *a, **k: readings.append(1) or real_assemble(*a, **k)  # counts fact readings

    def one(ruleset: str) -> dict:
        repo = services().repo
        run, _ = start_run(repo, ReprocessOptions(PackageFilter(), ruleset), new=True)
        before, t0 = len(readings), time.monotonic()
        out = drive_reprocess(run, repo, quiet=True)
        wall = time.monotonic() - t0
        items = repo.run_items(run.id)
        return {"packages": out.processed, "seconds": wall, "per_s": out.processed / wall,
                "extractions": out.extractions, "fact_readings": len(readings) - before,
                "new_versions": sum(i.new_version != i.old_version for i in items),
                "failed": sum(i.status != "done" for i in items)}

    rules = [one(NOTICE if k % 2 == 0 else "ningbo-2018") for k in range(runs)]
    last = NOTICE if (runs - 1) % 2 == 0 else "ningbo-2018"
    same = [one(last) for _ in range(runs)]
    return {"rules_only": rules, "unchanged": same}


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.reprocess", description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--subset", type=int, default=8, help="packages (with their images) for the 1 vs 2 workers run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "var" / "bench-reprocess")
    ap.add_argument("--broker", default=os.environ.get("PRESCREEN_BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"),
                    help="Celery broker for the worker processes; 'none': in-process pool")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    broker = a.broker if a.broker != "none" and broker_answers(a.broker) else None
    work = Path(tempfile.mkdtemp(prefix="bench-reprocess-", dir=a.out))
    mode = f"Celery workers on {broker}" if broker else "in-process pool (PRESCREEN_OCR_JOBS; no broker)"
    print(f"reprocessing benchmark: {os.cpu_count()} cores, worker processes: {mode}", flush=True)

    corpus = ensure_corpus(a.out / f"corpus-{a.seed}-{a.count}", a.count, a.seed)
    archive = text_archive(corpus, a.out / f"text-{a.seed}-{a.count}")
    home = work / "archive-home"
    full = ingest(archive, home, 2, broker, work)
    print(f"archive: {full['packages']} packages (text PDF/docx/xlsx), {full['pages']} pages ingested and checked "
          f"with 2 worker processes in {full['seconds']:.0f} s: {full['pages_per_s']:.1f} pages/s", flush=True)

    runs = reprocess_runs(home, work, a.runs)
    rules, same = runs["rules_only"], runs["unchanged"]

    def listed(rows: list[dict], key: str, fmt: str = "{}") -> str:
        return ", ".join(fmt.format(r[key]) for r in rows)

    print(f"rules only (new rule set, {rules[0]['packages']} packages, in process): median "
          f"{median(rules, 'per_s'):.1f} packages/s (runs: {listed(rules, 'per_s', '{:.1f}')}; target >= 50); "
          f"documents extracted {sum(r['extractions'] for r in rules)}, fact readings "
          f"{sum(r['fact_readings'] for r in rules)}, new report versions per run {listed(rules, 'new_versions')}, "
          f"failed {sum(r['failed'] for r in rules)}", flush=True)
    print(f"nothing changed ({same[0]['packages']} packages): median {median(same, 'per_s'):.1f} packages/s "
          f"(runs: {listed(same, 'per_s', '{:.1f}')}); extractions performed: {listed(same, 'extractions')}; "
          f"new report versions: {listed(same, 'new_versions')}", flush=True)

    sub = subset(corpus, work / "subset", a.subset)
    one = ingest(sub, work / "home-1", 1, broker, work)
    two = ingest(sub, work / "home-2", 2, broker, work)
    print(f"full processing with OCR ({one['packages']} packages as generated, {one['pages']} pages, one run each): "
          f"1 worker process {one['pages_per_s']:.2f} pages/s ({one['seconds']:.0f} s), 2 worker processes "
          f"{two['pages_per_s']:.2f} pages/s ({two['seconds']:.0f} s): ratio {two['pages_per_s'] / one['pages_per_s']:.2f} "
          f"(1-min load average after each: {one['load']:.1f}, {two['load']:.1f} on {os.cpu_count()} cores)", flush=True)
    (work / "results.json").write_text(json.dumps({"mode": mode, "archive": full, **runs, "full_1": one, "full_2": two},
                                                  indent=1), encoding="utf-8")
    for scratch in ("archive-home", "home-1", "home-2", "subset", "rulesets"):  # hundreds of MB; results stay
        shutil.rmtree(work / scratch, ignore_errors=True)
    print(f"details: {work / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
