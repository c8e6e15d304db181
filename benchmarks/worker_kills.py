"""Worker kills: packages processed by a Celery worker whose processes are SIGKILLed again and again, then counted.

    python -m benchmarks.worker_kills [--packages 30] [--kills 10] [--broker redis|amqp] [--seed 5]

Generated packages (text PDFs, .docx and .xlsx only: no OCR) are received here and queued to one `prescreen
worker -c 2` on a queue of its own, PostgreSQL in a scratch database, the object store in a scratch folder.
While they are processed, SIGKILL goes alternately to a prefork child running a task (the pool replaces it, the
task is redelivered) and to the whole worker with its children (a crashed machine: a new worker is started),
the kills spread over the run by progress. At the end each package must be done with one report: one report
row (version 1) and one report object. Printed (wall time: first submission to last package done):

    30 packages, 10 kills (5 child, 5 whole worker), 30 reports, 0 duplicates, 0 lost, wall time 87 s [redis;
    tasks killed mid-way: 13, started again: 13; recovered by `prescreen recover`: 0]

Redis keeps a dead worker's unacknowledged messages for the visibility timeout (50 min in production, see
prescreen/tasks_app.py) before giving them to another worker; here it is compressed (`--visibility`) through
this module, which the worker loads with `--include` and which also logs every task's start and end (with the
pid of the process running it) for the kills to aim at. A package stuck in a half state after the queue went
quiet is what `prescreen recover` (beat) is for: it is run then, as beat would after PRESCREEN_RECOVER_AFTER_S,
and counted as "recovered".

tests/integration/test_worker_kills.py runs this with a few packages on both brokers and asserts the counts.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery.signals import task_postrun, task_prerun

from benchmarks.processes import stop_group

if TYPE_CHECKING:
    from storage.objects import ObjectStore
    from storage.repository import Repository
    from storage.settings import StorageSettings

REPO = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("PRESCREEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BROKERS = {"redis": REDIS_URL,
           "amqp": os.environ.get("PRESCREEN_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")}
PG_ADMIN_URL = os.environ.get("PRESCREEN_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
TASK_LOG_ENV = "PRESCREEN_KILLS_TASK_LOG"
VISIBILITY_ENV = "PRESCREEN_KILLS_VISIBILITY_S"
# Kills aim at tasks that run long enough to be hit mid-way.
LONG_TASKS = frozenset({"prescreen.extract_document", "prescreen.finish_package", "prescreen.ocr_page_batch",
                        "prescreen.join_document"})
FINAL = frozenset({"done", "failed"})


# --- inside the worker (loaded with --include benchmarks.worker_kills) ------------------------------------

def _append(record: dict[str, Any]) -> None:
    path = os.environ.get(TASK_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:  # one short write per line: appends do not interleave
            f.write(json.dumps(record, default=str) + "\n")


@task_prerun.connect
def _started(task_id: str, task: Any, args: tuple, **_: Any) -> None:
    _append({"event": "start", "pid": os.getpid(), "task": task.name, "id": task_id, "args": list(args),
             "t": time.time()})


@task_postrun.connect
def _ended(task_id: str, task: Any, args: tuple, state: str | None = None, **_: Any) -> None:
    _append({"event": "end", "pid": os.getpid(), "task": task.name, "id": task_id, "args": list(args),
             "state": state, "t": time.time()})


def _compress_visibility() -> None:
    """Read when the worker imports this module, before its consumer connects: Redis hands a dead worker's
    messages on after `seconds` (sweeping every second) instead of after the production 50 minutes."""
    seconds = os.environ.get(VISIBILITY_ENV)
    if not seconds:
        return
    from prescreen.tasks_app import app

    app.conf.broker_transport_options = {**app.conf.broker_transport_options, "visibility_timeout": float(seconds),
                                         "unacked_restore_interval": 1, "unacked_restore_throttle": 1,
                                         # a worker killed while it held the sweep's lock must not stop sweeps
                                         "unacked_mutex_expire": max(5, int(float(seconds) / 2))}


_compress_visibility()


# --- the driver --------------------------------------------------------------------------------------------

class TaskLog:
    """The records the worker appended, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self.records: list[dict[str, Any]] = []
        self.running: dict[tuple[str, int], dict[str, Any]] = {}  # (task id, pid) -> its start record
        self.last_by_pid: dict[int, dict[str, Any]] = {}  # a start last: the process died mid-task, if it died

    def poll(self) -> int:
        """New records since the last poll (their number)."""
        if not self.path.exists():
            return 0
        with open(self.path, encoding="utf-8") as f:
            f.seek(self._offset)
            chunk = f.read()
        complete = chunk[:chunk.rfind("\n") + 1]  # a line still being written waits for the next poll
        self._offset += len(complete.encode("utf-8"))
        new = [json.loads(line) for line in complete.splitlines() if line.strip()]
        for r in new:
            self.last_by_pid[r["pid"]] = r
            if r["event"] == "start":
                self.running[(r["id"], r["pid"])] = r
            else:
                self.running.pop((r["id"], r["pid"]), None)
        self.records += new
        return len(new)

    def retries(self) -> int:
        return sum(1 for r in self.records if r["event"] == "end" and r["state"] == "RETRY")

    def started_again(self, record: dict[str, Any]) -> bool:
        """Whether the task of this start record was started later again (redelivered) by another process."""
        return any(r["event"] == "start" and r["id"] == record["id"] and r["t"] > record["t"]
                   and r["pid"] != record["pid"] for r in self.records)


class Worker:
    """`prescreen worker -c N` in its own process group (SIGKILL to the group kills the pool with it)."""

    def __init__(self, env: dict[str, str], queue: str, log: Path, concurrency: int = 2) -> None:
        self.env, self.queue, self.log, self.concurrency = env, queue, log, concurrency
        self.proc: subprocess.Popen[bytes] | None = None
        self.node = ""

    def start(self) -> None:
        self.node = f"kills{uuid.uuid4().hex[:8]}"
        argv = [sys.executable, "-m", "prescreen.cli", "worker", "-c", str(self.concurrency), "--queues", self.queue,
                "--loglevel", "INFO", "--", "-n", f"{self.node}@%h", "--without-mingle", "--without-gossip",
                "--include", "benchmarks.worker_kills"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait_ready(self, timeout_s: float = 180) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            text = self.log.read_text(errors="replace")
            if f"{self.node}@" in text and " ready." in text[text.rfind(f"{self.node}@"):]:
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout_s:.0f}s:\n{self.log_tail()}")

    def children(self) -> set[int]:
        """The pool's processes now (pids from the task log may belong to a dead worker, or be reused)."""
        assert self.proc is not None
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid:  # the parent pid
                    found.add(int(stat.parent.name))
        return found

    def kill(self) -> None:
        """SIGKILL to the worker and its pool at once, as when its machine dies."""
        assert self.proc is not None
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc)

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:]


@dataclass
class Kill:
    kind: str  # "child" or "worker"
    at_s: float  # since the first submission
    interrupted: list[dict[str, Any]]  # the start records of the tasks the killed processes were running


@dataclass
class Outcome:
    broker: str
    packages: int
    kills: list[Kill]
    states: dict[str, str]  # package id -> state
    report_rows: dict[str, int]  # package id -> report versions
    report_objects: dict[str, int]  # package id -> objects under reports/<id>/
    dangling: list[str]  # packages whose report row names an object that is not there
    recovered: list[str]  # packages `prescreen recover` requeued after the queue went quiet
    wall_s: float
    attempts: dict[str, int] = field(default_factory=dict)
    retries: int = 0  # tasks that ended in RETRY
    not_redelivered: list[dict[str, Any]] = field(default_factory=list)  # interrupted tasks never started again

    @property
    def reports(self) -> int:
        return sum(1 for n in self.report_rows.values() if n >= 1)

    @property
    def duplicates(self) -> int:
        return (sum(max(0, n - 1) for n in self.report_rows.values())
                + sum(max(0, n - 1) for n in self.report_objects.values()))

    @property
    def lost(self) -> list[str]:
        return sorted(p for p, s in self.states.items() if s != "done" or self.report_rows.get(p, 0) == 0)

    def figure(self) -> str:
        child = sum(k.kind == "child" for k in self.kills)
        interrupted = sum(len(k.interrupted) for k in self.kills)
        return (f"{self.packages} packages, {len(self.kills)} kills ({child} child, {len(self.kills) - child} whole "
                f"worker), {self.reports} reports, {self.duplicates} duplicates, {len(self.lost)} lost, "
                f"wall time {self.wall_s:.0f} s [{self.broker}; tasks killed mid-way: {interrupted}, started again: "
                f"{interrupted - len(self.not_redelivered)}; recovered by `prescreen recover`: {len(self.recovered)}]")


def storage_env(s: StorageSettings) -> dict[str, str]:
    """The worker's PRESCREEN_* storage variables for the settings the driver uses itself."""
    env = {"PRESCREEN_HOME": str(s.home), "PRESCREEN_OBJECT_STORE": s.object_store.value,
           "PRESCREEN_DATABASE_URL": s.resolved_database_url}
    if s.object_store.value == "minio":
        env |= {"PRESCREEN_MINIO_ENDPOINT": s.minio_endpoint, "PRESCREEN_MINIO_BUCKET": s.minio_bucket,
                "PRESCREEN_MINIO_ACCESS_KEY": s.minio_access_key or "",
                "PRESCREEN_MINIO_SECRET_KEY": s.minio_secret_key.get_secret_value() if s.minio_secret_key else "",
                "PRESCREEN_MINIO_SECURE": str(s.minio_secure).lower()}
        if s.minio_region:
            env["PRESCREEN_MINIO_REGION"] = s.minio_region
    return env


def text_packages(out: Path, count: int, seed: int) -> list[Path]:
    """`count` generated packages (quick profile, nothing scanned), each with its text documents only."""
    from benchmarks.reprocess import text_archive

    corpus = out / "corpus"
    p = subprocess.run([sys.executable, "-m", "synth", "--out", str(corpus), "--count", str(count), "--seed", str(seed),
                        "--profile", "quick", "--scanned-share", "0", "--processes", "1"],
                       cwd=REPO, capture_output=True, text=True, check=False)
    if p.returncode:
        raise RuntimeError(f"synth failed:\n{p.stderr[-3000:]}")
    return sorted(text_archive(corpus, out / "text").iterdir())


@contextmanager
def scratch_database(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A database for this run alone, dropped at the end."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine

    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"prescreen_kills_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with suppress(Exception), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _delete_queue(client: Any, queue: str) -> None:
    with client.connection_for_write() as conn:
        bound = client.amqp.queues[queue].bind(conn.default_channel)
        bound.declare()  # Redis deletes known queues only
        bound.purge()
        bound.delete()
        bound.exchange.delete()


def count_reports(repo: Repository, store: ObjectStore, package_ids: list[str]
                  ) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Report rows and report objects per package, and the packages whose row points at no object."""
    rows, objects, dangling = {}, {}, []
    for pid in package_ids:
        versions = repo.list_reports(pid)
        keys = set(store.list(f"reports/{pid}/"))
        rows[pid], objects[pid] = len(versions), len(keys)
        if any(v.object_key not in keys for v in versions):
            dangling.append(pid)
    return rows, objects, dangling


def run(broker: str, packages: list[Path], kills: int, storage: StorageSettings, work: Path, *, seed: int = 5,
        visibility_s: float = 45, timeout_s: float = 900, quiet_s: float | None = None,
        progress: bool = False) -> Outcome:
    """Process `packages` on a worker of `broker` (redis or amqp) while killing it `kills` times; count what came
    out. `storage`: the database and object store the driver and the worker share (schema made here)."""
    from extractors.context import OcrSettings
    from intake.limits import IntakeLimits
    from prescreen.settings import AppSettings
    from prescreen.steps import intake
    from prescreen.tasks_app import QueueSettings, make_app
    from storage.settings import open_object_store, open_repository

    rng = random.Random(seed)
    settings = AppSettings(intake=IntakeLimits(), ocr=OcrSettings(), storage=storage)
    store, repo = open_object_store(storage), open_repository(storage)  # schema and bucket before the worker
    queue = f"prescreen-kills-{uuid.uuid4().hex[:12]}"
    client = make_app(QueueSettings(broker_url=BROKERS[broker], result_backend=REDIS_URL, queue=queue),
                      set_as_current=False)
    log = TaskLog(work / "tasks.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")} | storage_env(storage) | {
        "PRESCREEN_BROKER_URL": BROKERS[broker], "PRESCREEN_RESULT_BACKEND": REDIS_URL, "PRESCREEN_QUEUE": queue,
        TASK_LOG_ENV: str(log.path)}
    if broker == "redis":
        env[VISIBILITY_ENV] = str(visibility_s)
    # Quiet this long (no task started or ended, no state changed) means stuck: Redis gives a dead worker's
    # messages on after the visibility timeout (+ the sweep), RabbitMQ as soon as the connection drops.
    quiet_s = quiet_s if quiet_s is not None else (visibility_s + 20 if broker == "redis" else 30)
    # The k-th kill once this many packages are done: spread over the run.
    thresholds = [i * len(packages) // (kills + 1) for i in range(kills)]
    worker = Worker(env, queue, work / "worker.log")
    done_kills: list[Kill] = []
    recovered: list[str] = []
    with ExitStack() as cleanup:
        cleanup.callback(repo.engine.dispose)
        cleanup.callback(_delete_queue, client, queue)
        cleanup.callback(worker.stop)
        worker.start()
        worker.wait_ready()
        t0 = time.monotonic()
        ids = []
        for path in packages:
            submission, _ = intake(path, settings, store, repo)
            client.send_task("prescreen.process_package", args=[submission.package_id], ignore_result=True)
            ids.append(submission.package_id)
        last_change, last_states = time.monotonic(), {}
        while True:
            states = repo.package_states(ids)
            if log.poll() or states != last_states:
                last_change, last_states = time.monotonic(), states
            finished = sum(s in FINAL for s in states.values())
            if finished == len(ids):
                break
            if time.monotonic() - t0 > timeout_s:
                break
            if len(done_kills) < kills and finished >= thresholds[len(done_kills)]:
                kind = "child" if len(done_kills) % 2 == 0 else "worker"
                kill = _kill(log, worker, kind, rng, time.monotonic() - t0)
                if kill is not None:
                    done_kills.append(kill)
                    last_change = time.monotonic()
                    if progress:
                        print(f"  {kill.at_s:6.1f} s  kill {len(done_kills)} ({kind}) interrupted "
                              f"{', '.join(r['task'] for r in kill.interrupted) or 'nothing'} "
                              f"({finished}/{len(ids)} finished)", file=sys.stderr, flush=True)
            if time.monotonic() - last_change > quiet_s:
                found = _recover(env)
                recovered += found
                last_change = time.monotonic()
                if progress:
                    print(f"  quiet for {quiet_s:.0f} s with {len(ids) - finished} unfinished: prescreen recover "
                          f"requeued {len(found)}", file=sys.stderr, flush=True)
            time.sleep(0.1)
        wall = time.monotonic() - t0
        log.poll()
        rows, objects, dangling = count_reports(repo, store, ids)
        attempts = {pid: row.attempts for pid in ids if (row := repo.get_package(pid)) is not None}
        lost_tasks = [r for k in done_kills for r in k.interrupted if not log.started_again(r)]
        return Outcome(broker, len(ids), done_kills, repo.package_states(ids), rows, objects, dangling, recovered,
                       wall, attempts, log.retries(), lost_tasks)


def _kill(log: TaskLog, worker: Worker, kind: str, rng: random.Random, at_s: float) -> Kill | None:
    """SIGKILL a pool process running a task (child), or the whole worker while its pool runs tasks (then start
    a new one). None when nothing runs now, or when the chosen child turned out to be between tasks."""
    alive = worker.children()  # the slow part first: tasks last a fraction of a second, the kill follows the read
    log.poll()
    running = [r for r in log.running.values() if r["pid"] in alive and r["task"] in LONG_TASKS]
    if not running:
        return None
    if kind == "child":
        pids = {rng.choice(sorted(running, key=lambda r: (r["t"], r["id"])))["pid"]}
        with suppress(ProcessLookupError):
            os.kill(next(iter(pids)), signal.SIGKILL)
    else:
        pids = alive
        worker.kill()
    time.sleep(0.3)  # a record the process wrote before it died reaches the file by now
    log.poll()
    # A pid whose last record is a start died between that task's start and end: mid-task.
    interrupted = [log.last_by_pid[p] for p in sorted(pids) if log.last_by_pid.get(p, {}).get("event") == "start"]
    for r in interrupted:
        log.running.pop((r["id"], r["pid"]), None)
    if kind == "worker":
        worker.start()  # a new machine: its worker comes up while the dead one's messages wait
        worker.wait_ready()
    elif not interrupted:
        return None  # the child had just finished its task: a kill, but not mid-task; the pool replaces it
    return Kill(kind, at_s, interrupted)


def _recover(env: dict[str, str]) -> list[str]:
    """`prescreen recover --older-than 0`: the queue is quiet, so whatever is in a half state is stuck."""
    p = subprocess.run([sys.executable, "-m", "prescreen.cli", "recover", "--older-than", "0"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120, check=False)
    if p.returncode:
        raise RuntimeError(f"prescreen recover failed:\n{p.stderr[-2000:]}")
    return [line.split()[1] for line in p.stdout.splitlines() if line.strip().startswith("requeued ")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.worker_kills", description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", type=int, default=30)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--broker", choices=sorted(BROKERS), default="redis")
    ap.add_argument("--seed", type=int, default=5, help="packages generated and victims chosen with this seed")
    ap.add_argument("--visibility", type=float, default=45, metavar="S",
                    help="Redis visibility timeout in the worker (longer than any task here)")
    ap.add_argument("--timeout", type=float, default=1800, metavar="S")
    a = ap.parse_args(argv)
    from storage.settings import StorageSettings

    with tempfile.TemporaryDirectory(prefix="worker-kills-") as tmp, scratch_database() as database_url:
        work = Path(tmp)
        t0 = time.monotonic()
        packages = text_packages(work / "packages", a.packages, a.seed)
        print(f"{len(packages)} packages generated in {time.monotonic() - t0:.0f} s; {a.kills} kills on {a.broker}",
              file=sys.stderr, flush=True)
        storage = StorageSettings(home=work / "home", database_url=database_url)
        out = run(a.broker, packages, a.kills, storage, work, seed=a.seed, visibility_s=a.visibility,
                  timeout_s=a.timeout, progress=True)
        print(out.figure())
        if out.lost or out.duplicates or out.dangling:
            print(f"lost: {out.lost}  dangling report rows: {out.dangling}\n"
                  f"rows: {out.report_rows}\nobjects: {out.report_objects}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
