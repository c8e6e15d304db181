"""The archive commands of `prescreen`: reprocess, reprocess-diff, ingest (registered by cli.build_parser).

Exit status as for the other commands: 0 when every package of the run finished (whatever the verdicts,
duplicates and non-packages included), 1 when some failed or were left unfinished (a timeout), 2 for a
usage error (bad folder, unknown rule set or run, bad dates, a --diff-out that is not .xlsx or .json).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from prescreen.report import VERDICT_ZH
from prescreen.run_driver import RunOutcome
from prescreen.settings import AppSettings
from storage.db import ItemStatus, RunKind
from storage.repository import AmbiguousPackageId, PackageFilter, Repository, RunRow
from storage.states import PackageState

STATUS_ZH = {ItemStatus.DONE: "完成 done", ItemStatus.FAILED: "失败 failed", ItemStatus.DUPLICATE: "重复 duplicate",
             ItemStatus.SKIPPED: "跳过 skipped", ItemStatus.PENDING: "未完成 pending"}
Handler = Callable[[argparse.Namespace, AppSettings], int]


class UsageError(Exception):
    """Bad input from the operator: printed, exit status 2. Caught here, not in cli.main: under
    `python -m prescreen.cli` that module is __main__ and its UsageError another class than an import's."""


def _usage_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def run(args: argparse.Namespace, settings: AppSettings) -> int:
        try:
            return handler(args, settings)
        except UsageError as e:
            print(f"prescreen: {e}", file=sys.stderr)
            return 2

    return run


_FILTER_ARGS = ("district", "kind", "date_from", "date_to", "verdict", "from_ruleset", "ruleset", "failed")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text} / date must be YYYY-MM-DD") from None


def _diff_paths(args: argparse.Namespace) -> list[Path]:
    paths = [Path(p) for p in args.diff_out or ()]
    for p in paths:
        if p.suffix.lower() not in (".xlsx", ".json"):
            raise UsageError(f"差异报告须为 .xlsx 或 .json：{p} / --diff-out must end in .xlsx or .json")
        if not p.parent.exists():
            raise UsageError(f"输出文件夹不存在：{p.parent} / output folder not found")
    return paths


def _run(repo: Repository, run_id: str, kind: RunKind) -> RunRow:
    try:
        run = repo.get_run(run_id)
    except AmbiguousPackageId as e:
        raise UsageError(f"运行编号前缀对应多个运行：{run_id} / {e}") from None
    if run is None or run.kind != kind:
        raise UsageError(f"找不到编号为 {run_id} 的{'重新处理' if kind == RunKind.REPROCESS else '收件'}运行 / "
                         f"no {kind.value} run {run_id}")
    return run


def _check_ruleset(ruleset_id: str | None) -> None:
    if ruleset_id:
        from validators.ruleset import load_ruleset

        load_ruleset(ruleset_id)  # RuleSetError: exit 2, before anything is recorded


def _footer(out: RunOutcome) -> str:
    return (f"用时 {out.elapsed_s:.1f} 秒，{out.rate:.1f} 包/秒，提取文件 {out.extractions} 个 / "
            f"{out.elapsed_s:.1f} s, {out.rate:.1f} packages/s, {out.extractions} documents extracted")


def _exit(out: RunOutcome) -> int:
    if not out.finished:
        print(f"prescreen: 运行 {out.run.id[:12]} 未完成，可用 --resume {out.run.id[:12]} 继续 / "
              f"run not finished: continue with --resume {out.run.id[:12]}", file=sys.stderr)
        return 1
    return 1 if out.counts.get(ItemStatus.FAILED) else 0


def _interrupted(run: RunRow, hint: str) -> None:
    print(f"\nprescreen: 运行 {run.id[:12]} 已中断，已完成的申报包不会重做；{hint} / interrupted: finished packages "
          f"are kept; {hint}", file=sys.stderr)


# --- reprocess -------------------------------------------------------------------------------------

def cmd_reprocess(args: argparse.Namespace, settings: AppSettings) -> int:
    from prescreen import diff_report
    from prescreen.reprocess import ReprocessOptions, start_run
    from prescreen.run_driver import drive_reprocess
    from storage.settings import open_repository

    paths = _diff_paths(args)
    _check_ruleset(args.ruleset)
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UsageError("--from 晚于 --to / --from is after --to")
    repo = open_repository(settings.storage)
    if args.resume:
        if any(getattr(args, a) not in (None, False) for a in _FILTER_ARGS) or args.new:
            raise UsageError("--resume 沿用该运行原有的筛选条件，不能再指定 / --resume keeps the run's own filter")
        run, resumed = _run(repo, args.resume, RunKind.REPROCESS), True
    else:
        states = (PackageState.FAILED.value,) if args.failed else (PackageState.DONE.value,)
        flt = PackageFilter(states=states, district=args.district, kind=args.kind, date_from=args.date_from,
                            date_to=args.date_to, verdict=args.verdict, ruleset=args.from_ruleset)
        run, resumed = start_run(repo, ReprocessOptions(flt, args.ruleset), new=args.new)
    counts = repo.run_counts(run.id)
    total, pending = sum(counts.values()), counts.get(ItemStatus.PENDING, 0)
    if resumed:
        print(f"继续运行 {run.id[:12]}：还有 {pending}/{total} 个申报包 / resuming run {run.id}: "
              f"{pending} of {total} packages left", file=sys.stderr)
    elif not args.quiet:
        print(f"运行 {run.id[:12]}：{total} 个申报包 / run {run.id}: {total} packages", file=sys.stderr)
    if total == 0:
        repo.finish_run(run.id)
        print("没有符合条件的申报包 / no packages match")
        return 0
    try:
        out = drive_reprocess(run, repo, quiet=args.quiet, timeout_s=args.timeout)
    except KeyboardInterrupt:
        _interrupted(run, f"用 prescreen reprocess --resume {run.id[:12]} 继续 / resume with --resume {run.id[:12]}")
        raise
    diff = diff_report.run_diff(repo, out.run)
    print(diff_report.text(diff))
    print(_footer(out))
    for path in paths:
        diff_report.write(diff, path)
        print(f"差异报告 / diff report: {path}", file=sys.stderr)
    return _exit(out)


def cmd_reprocess_diff(args: argparse.Namespace, settings: AppSettings) -> int:
    from prescreen import diff_report
    from storage.settings import open_repository

    paths = _diff_paths(args)
    repo = open_repository(settings.storage)
    if not args.run:
        runs = repo.list_runs(limit=args.limit)
        if not runs:
            print("尚无批量运行 / no runs yet")
        for r in runs:
            counts = repo.run_counts(r.id)
            print(f"{r.id[:12]}  {r.kind:10} {r.status:9} {r.created_at:%Y-%m-%d %H:%M}  "
                  + "  ".join(f"{STATUS_ZH.get(k, k)} {n}" for k, n in sorted(counts.items()))
                  + f"  {json.dumps(r.options, ensure_ascii=False)}")
        return 0
    diff = diff_report.run_diff(repo, _run(repo, args.run, RunKind.REPROCESS))
    print(json.dumps(diff_report.to_json(diff), ensure_ascii=False, indent=1) if args.json else diff_report.text(diff))
    for path in paths:
        diff_report.write(diff, path)
        print(f"差异报告 / diff report: {path}", file=sys.stderr)
    return 0


# --- ingest ----------------------------------------------------------------------------------------

def cmd_ingest(args: argparse.Namespace, settings: AppSettings) -> int:
    from prescreen.ingest import IngestOptions, drive_ingest, entries, start_ingest
    from storage.settings import open_object_store, open_repository

    folder = Path(args.dir)
    if not folder.exists():
        raise UsageError(f"归档文件夹不存在：{folder} / archive folder not found: {folder}")
    if not folder.is_dir():
        raise UsageError(f"不是文件夹：{folder}（单个申报包请用 prescreen check） / not a folder: {folder} "
                         "(for one package use prescreen check)")
    try:
        names = entries(folder)
    except OSError as e:
        raise UsageError(f"无法读取文件夹 {folder}：{e.strerror} / cannot read folder {folder}") from e
    if not names:
        raise UsageError(f"文件夹中没有申报包（子文件夹或 .zip）：{folder} / no packages (subfolders or .zip) in {folder}")
    _check_ruleset(args.ruleset)
    repo = open_repository(settings.storage)
    run, resumed = start_ingest(repo, IngestOptions(folder.resolve(), args.ruleset), new=args.new)
    if resumed:
        print(f"继续未完成的收件运行 {run.id[:12]} / resuming unfinished ingest run {run.id}", file=sys.stderr)
    try:
        out = drive_ingest(run, settings, open_object_store(settings.storage), repo, quiet=args.quiet,
                           timeout_s=args.timeout)
    except KeyboardInterrupt:
        _interrupted(run, "再次运行同一命令即可继续 / run the same command again to resume")
        raise
    print(ingest_summary(repo, out))
    return _exit(out)


def ingest_summary(repo: Repository, out: RunOutcome) -> str:
    items = repo.run_items(out.run.id)
    verdicts: dict[str, int] = {}
    for i in items:
        if i.status == ItemStatus.DONE and i.package_id and (row := repo.get_package(i.package_id)) and row.verdict:
            verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
    c = out.counts
    lines = [f"收件运行 / ingest run {out.run.id[:12]}（{out.run.options['folder']}）：共 {len(items)} 项 / entries",
             f"  新收并完成预审 / ingested and checked: {c.get(ItemStatus.DONE, 0)}"
             + ("（" + "，".join(f"{VERDICT_ZH.get(v, v)} {n}" for v, n in sorted(verdicts.items())) + "）"
                if verdicts else ""),
             f"  重复 / duplicates: {c.get(ItemStatus.DUPLICATE, 0)}",
             f"  失败 / failed: {c.get(ItemStatus.FAILED, 0)}",
             f"  跳过（非申报包） / skipped (not packages): {c.get(ItemStatus.SKIPPED, 0)}"]
    if c.get(ItemStatus.PENDING):
        lines.append(f"  未完成 / not finished: {c[ItemStatus.PENDING]}")
    for status in (ItemStatus.FAILED, ItemStatus.DUPLICATE, ItemStatus.SKIPPED):
        listed = [i for i in items if i.status == status]
        if listed:
            lines.append(f"{STATUS_ZH[status]}:")
            lines += [f"  {i.source}：{i.detail or ''}" for i in listed]
    lines.append(_footer(out))
    return "\n".join(lines)


# --- registration ----------------------------------------------------------------------------------

def add_commands(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("reprocess", help="批量重新处理归档中的申报包 / reprocess the archive (all or a filter)")
    r.add_argument("--district", help="区县，如 海曙区 / district as in the report")
    r.add_argument("--kind", choices=["cultivation", "certification"], help="申请类别 / application kind")
    r.add_argument("--from", dest="date_from", type=_date, metavar="DATE", help="application date on or after")
    r.add_argument("--to", dest="date_to", type=_date, metavar="DATE", help="application date on or before")
    r.add_argument("--verdict", choices=sorted(VERDICT_ZH), help="packages whose latest verdict is this")
    r.add_argument("--from-ruleset", metavar="ID", help="packages last checked under this rule set")
    r.add_argument("--failed", action="store_true", help="retry the packages in failed state (instead of done)")
    r.add_argument("--ruleset", metavar="ID",
                   help="check against this rule set (default: each package's own, or the one in force on its date)")
    r.add_argument("--resume", metavar="RUN", help="continue this run (an unfinished run with the same filter is "
                                                   "resumed anyway)")
    r.add_argument("--new", action="store_true", help="start a new run even if one with the same filter is unfinished")
    r.add_argument("--diff-out", action="append", metavar="PATH", help="also write the diff report (.xlsx or .json)")
    r.add_argument("--timeout", type=float, metavar="S", help="with workers: stop waiting after S seconds")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_usage_errors(cmd_reprocess))

    d = sub.add_parser("reprocess-diff", help="重新处理前后的差异 / what a reprocess run changed (no RUN: list runs)")
    d.add_argument("run", nargs="?", help="run id or a unique prefix")
    d.add_argument("--json", action="store_true", help="the diff as JSON on stdout")
    d.add_argument("--diff-out", action="append", metavar="PATH", help="write the diff report (.xlsx or .json)")
    d.add_argument("--limit", type=int, default=20, help="without RUN: how many runs to list")
    d.set_defaults(func=_usage_errors(cmd_reprocess_diff))

    g = sub.add_parser("ingest", help="批量收件：文件夹中每个子文件夹或 .zip 为一个申报包 / bulk intake of an archive folder")
    g.add_argument("dir", help="folder whose subfolders and .zip files are packages")
    g.add_argument("--ruleset", metavar="ID", help="rule set id (default: the one in force on each application date)")
    g.add_argument("--new", action="store_true", help="start a new run even if one of this folder is unfinished")
    g.add_argument("--timeout", type=float, metavar="S", help="with workers: stop waiting after S seconds")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=_usage_errors(cmd_ingest))
