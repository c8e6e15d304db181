"""The `prescreen` command: check a package, list past checks, reprint a report; run a worker.

Exit status: 0 whenever a report was produced (whatever the verdict); 2 for a
usage error (bad path, bad --declared file, unknown rule set); 1 for a system error.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from kombu.exceptions import OperationalError as KombuOperationalError

from intake.errors import PrescreenIntakeError
from prescreen.report import VERDICT_ZH, summary_text
from prescreen.settings import AppSettings
from storage.objects import StorageError
from validators.ruleset import RuleSetError

log = logging.getLogger("prescreen")


class UsageError(Exception):
    """Bad input from the operator: printed, exit status 2."""


def _progress(enabled: bool):
    started = time.monotonic()

    def emit(msg: str) -> None:
        # only once the package takes more than a moment, so quick checks stay quiet
        if enabled and time.monotonic() - started > 1.0:
            print(f"[{time.monotonic() - started:5.1f}s] {msg}", file=sys.stderr, flush=True)

    return emit


def _read_declared(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"无法读取申报值文件 {p}：{e.strerror} / cannot read declared-values file {p}") from e
    except ValueError as e:
        raise UsageError(f"申报值文件不是有效的 JSON：{p}（{e}） / declared-values file is not valid JSON") from e
    if isinstance(data, dict) and isinstance(data.get("declared"), dict):
        data = data["declared"]
    if not isinstance(data, dict):
        raise UsageError(f"申报值文件应为 JSON 对象（事实名 → 值）：{p} / declared file must be a JSON object")
    return data


def cmd_check(args: argparse.Namespace, settings: AppSettings) -> int:
    from prescreen.pipeline import check_package

    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"申报包不存在：{path} / package not found: {path}")
    declared = _read_declared(args.declared)
    if args.queue:
        return _check_queued(args, settings, path, declared)
    report = check_package(path, settings, declared=declared, declared_name=Path(args.declared).name if args.declared
                           else "declared.json", ruleset_id=args.ruleset, progress=_progress(not args.quiet))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(summary_text(report))
    return 0


def _check_queued(args: argparse.Namespace, settings: AppSettings, path: Path, declared: dict[str, Any] | None) -> int:
    """Intake here, processing by the workers (in process when no broker is configured); waits for the report."""
    from prescreen.tasks_submit import StillProcessing, submit, wait

    progress = _progress(not args.quiet)
    package_id, repo = submit(path, settings, declared, Path(args.declared).name if args.declared else "declared.json",
                              args.ruleset)
    progress(f"已提交 {package_id[:12]} / submitted")
    try:
        row = wait(repo, package_id, progress, args.timeout)
    except StillProcessing:
        print(f"prescreen: 仍在处理，稍后用 prescreen show {package_id[:12]} 查看 / still processing: "
              f"see prescreen show {package_id[:12]} later", file=sys.stderr)
        return 1
    if row.state != "done":
        print(f"prescreen: 处理失败 / processing failed: {row.error}", file=sys.stderr)
        return 1
    report = repo.latest_report(package_id)
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else summary_text(report))
    return 0


def cmd_worker(args: argparse.Namespace, settings: AppSettings) -> int:
    """A Celery worker for the tasks of prescreen/tasks.py (blocks until it is stopped)."""
    from prescreen.tasks_app import QueueSettings

    if QueueSettings().eager:
        raise UsageError("未设置 PRESCREEN_BROKER_URL：内置模式在本进程内处理，无需 worker / "
                         "PRESCREEN_BROKER_URL is not set: the embedded default needs no worker")
    from worker import app

    argv = ["worker", "--loglevel", args.loglevel, "--pool", args.pool]
    argv += ["--concurrency", str(args.concurrency)] if args.concurrency else []
    argv += ["--queues", args.queues] if args.queues else []
    # Beat keeps its schedule file in the data folder, not wherever the worker was started.
    argv += ["--beat", "--schedule", str(settings.storage.home.expanduser() / "celerybeat-schedule")] if args.beat else []
    extra = args.celery_args[1:] if args.celery_args[:1] == ["--"] else args.celery_args
    app.worker_main(argv + extra)
    return 0


def cmd_recover(args: argparse.Namespace, settings: AppSettings) -> int:
    """Packages whose processing died (stuck in extracting/checking) back to received and queued again."""
    from datetime import timedelta

    from prescreen.tasks import recover_and_requeue
    from storage.settings import open_repository

    older_than = timedelta(seconds=args.older_than) if args.older_than is not None else None
    found = recover_and_requeue(open_repository(settings.storage), older_than=older_than)
    print(f"重新排队 / requeued: {len(found['requeued'])}  放弃 / failed: {len(found['failed'])}")
    for package_id in found["requeued"]:
        print(f"  requeued {package_id}")
    for package_id in found["failed"]:
        print(f"  failed   {package_id}")
    return 0


def cmd_list(args: argparse.Namespace, settings: AppSettings) -> int:
    from storage.settings import open_repository

    rows = open_repository(settings.storage).list_packages(limit=args.limit)
    if not rows:
        print("尚无检查记录 / no checks yet")
        return 0
    print(f"{'编号':14}{'接收时间':22}{'状态':10}{'结论':12}{'类别':14}申请单位 / 申报包")
    for r in rows:
        when = r.received_at.strftime("%Y-%m-%d %H:%M:%S") if r.received_at else ""
        verdict = VERDICT_ZH.get(r.verdict or "", r.verdict or "")
        print(f"{r.id[:12]:14}{when:22}{str(r.state):10}{verdict:12}{(r.application_kind or ''):14}"
              f"{r.applicant_name or ''}  {r.source}")
    return 0


def cmd_show(args: argparse.Namespace, settings: AppSettings) -> int:
    from storage.settings import open_repository

    report = open_repository(settings.storage).latest_report(args.id)
    if report is None:
        raise UsageError(f"找不到编号为 {args.id} 的检查报告 / no report for {args.id}")
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else summary_text(report))
    return 0


def cmd_extract(args: argparse.Namespace, settings: AppSettings) -> int:
    """What the machine read: each document's kind, pages, source, confidence and text."""
    from extractors.facts.kinds import classify
    from extractors.registry import extract_document
    from intake.receive import receive

    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"申报包不存在：{path} / package not found: {path}")
    received = receive(path, settings.intake)
    ctx = settings.extraction_context()
    for doc in received.package.documents:
        if args.doc and args.doc not in doc.name:
            continue
        data = received.payloads.get(doc.sha256)
        print(f"===== {doc.name}  [{doc.file_type.value}]" + (f"  ! {doc.problem}" if doc.problem else ""))
        if data is None:
            continue
        ex = extract_document(data, doc, ctx)
        print(f"kinds: {', '.join(k.value for k in classify(ex).kinds) or '—'}" + (f"  ! {ex.problem}" if ex.problem else ""))
        for page in ex.pages:
            conf = f" conf={page.mean_conf:.2f}" if page.mean_conf is not None else ""
            print(f"--- page {page.number} {page.source.value} {page.engine or ''}{conf} tables={len(page.tables)}")
            print(page.text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prescreen", description="宁波市中小企业公共服务平台申报材料预审 / pre-screening")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="预审一个申报包（文件夹或 .zip） / check a package")
    c.add_argument("path", help="folder or .zip")
    c.add_argument("--json", action="store_true", help="print the JSON report of SPEC.md")
    c.add_argument("--declared", metavar="FILE", help="declared values as JSON (fact name -> value)")
    c.add_argument("--ruleset", metavar="ID", help="rule set id (default: the one in force on the application date)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    c.add_argument("--queue", action="store_true",
                   help="process in the workers (PRESCREEN_BROKER_URL) and wait; in process without a broker")
    c.add_argument("--timeout", type=float, default=3600, metavar="S", help="with --queue: seconds to wait")
    c.set_defaults(func=cmd_check)
    ls = sub.add_parser("list", help="列出以往检查 / list past checks")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(func=cmd_list)
    sh = sub.add_parser("show", help="重新打印检查报告 / reprint a report")
    sh.add_argument("id", help="package id or a unique prefix")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=cmd_show)
    ex = sub.add_parser("extract", help="显示提取出的文字（排查用） / show what was extracted from each document")
    ex.add_argument("path", help="folder or .zip")
    ex.add_argument("--doc", help="only documents whose name contains this")
    ex.set_defaults(func=cmd_extract)
    w = sub.add_parser("worker", help="启动处理队列任务的 worker / run a Celery worker (needs PRESCREEN_BROKER_URL)")
    w.add_argument("--concurrency", "-c", type=int, help="worker processes (default: number of cores)")
    w.add_argument("--queues", "-Q", help="comma-separated queues (default: PRESCREEN_QUEUE, prescreen)")
    w.add_argument("--loglevel", "-l", default="info")
    w.add_argument("--pool", "-P", default="prefork", help="prefork (default), solo, threads")
    w.add_argument("--beat", "-B", action="store_true", help="also run the schedule (recover stuck packages)")
    w.add_argument("celery_args", nargs=argparse.REMAINDER, help="after --: more `celery worker` options")
    w.set_defaults(func=cmd_worker)
    r = sub.add_parser("recover", help="重新排队中断的处理 / requeue packages whose processing died")
    r.add_argument("--older-than", type=float, metavar="S",
                   help="seconds in extracting/checking (default: PRESCREEN_RECOVER_AFTER_S)")
    r.set_defaults(func=cmd_recover)
    # The archive (ingest, reprocess), operations (metrics) and workbench (serve, create-admin) commands.
    from prescreen import cli_archive, cli_ops
    from web import cli as web_cli

    for module in (cli_archive, cli_ops, web_cli):
        module.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = AppSettings.from_env()
        return args.func(args, settings)
    except (UsageError, RuleSetError) as e:
        print(f"prescreen: {e}", file=sys.stderr)
        return 2
    except PrescreenIntakeError as e:
        print(f"prescreen: {e.problem.message_zh} / {e.problem.message_en}"
              + (f"：{e.problem.subject}" if e.problem.subject else ""), file=sys.stderr)
        return 2
    except StorageError as e:
        print(f"prescreen: 存储错误 / storage error: {e}", file=sys.stderr)
        return 1
    except KombuOperationalError as e:
        print(f"prescreen: 消息队列不可用 / broker unreachable: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("prescreen: 已中断 / interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # data folder not writable, disk full, …: the operator's to fix, not a crash
        print(f"prescreen: 系统错误 / system error: {e}", file=sys.stderr)
        log.debug("system error", exc_info=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
