"""What a reprocess run changed: per package the verdict old → new and the findings added, removed or
changed in outcome, with totals; as Chinese text, JSON and an .xlsx workbook.

Old is the latest report version when the run began (recorded on its item), new the version the run
left; equal versions mean the run produced the same report again.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from prescreen.report import OUTCOME_ZH, VERDICT_ZH
from storage.db import ItemStatus
from storage.repository import Repository, RunRow


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


CHANGE_ZH = {Change.ADDED: "新增", Change.REMOVED: "移除", Change.CHANGED: "结果改变"}
_MARK = {Change.ADDED: "+", Change.REMOVED: "-", Change.CHANGED: "~"}


@dataclass(frozen=True)
class FindingChange:
    rule: str
    change: Change
    old_outcome: str | None
    new_outcome: str | None
    message: str | None  # the new finding's message (the old one's when removed)


@dataclass(frozen=True)
class PackageDiff:
    package_id: str
    source: str
    applicant: str | None
    old_version: int | None
    new_version: int | None
    old_verdict: str | None
    new_verdict: str | None
    findings: tuple[FindingChange, ...]

    @property
    def verdict_changed(self) -> bool:
        return self.old_verdict != self.new_verdict

    @property
    def changed(self) -> bool:
        return self.verdict_changed or bool(self.findings)


@dataclass(frozen=True)
class Unfinished:
    package_id: str | None
    source: str
    status: str
    detail: str | None


@dataclass(frozen=True)
class RunDiff:
    run: RunRow
    packages: tuple[PackageDiff, ...]  # every package the run finished, changed or not
    unfinished: tuple[Unfinished, ...]  # failed, skipped, still pending

    def totals(self) -> dict[str, Any]:
        changes = Counter(c.change.value for p in self.packages for c in p.findings)
        verdicts = Counter(f"{p.old_verdict} → {p.new_verdict}" for p in self.packages if p.verdict_changed)
        return {"packages": len(self.packages) + len(self.unfinished), "finished": len(self.packages),
                "changed": sum(p.changed for p in self.packages), "verdict_changed": sum(verdicts.values()),
                "verdict_transitions": dict(sorted(verdicts.items())),
                "new_versions": sum(p.new_version != p.old_version for p in self.packages),
                "findings_added": changes[Change.ADDED], "findings_removed": changes[Change.REMOVED],
                "findings_changed": changes[Change.CHANGED],
                "unfinished": dict(Counter(u.status for u in self.unfinished))}


def _keyed(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Findings by rule id; a rule reported twice keeps both, as RULE#2 …"""
    out: dict[str, dict[str, Any]] = {}
    for f in findings:
        key, n = f["rule"], 1
        while key in out:
            n += 1
            key = f"{f['rule']}#{n}"
        out[key] = f
    return out


def compare(old: dict[str, Any] | None, new: dict[str, Any]) -> tuple[FindingChange, ...]:
    before = _keyed(old["findings"]) if old else {}
    after = _keyed(new["findings"])
    out = []
    for rule, f in after.items():
        was = before.get(rule)
        if was is None:
            out.append(FindingChange(rule, Change.ADDED, None, f["outcome"], f.get("message")))
        elif was["outcome"] != f["outcome"]:
            out.append(FindingChange(rule, Change.CHANGED, was["outcome"], f["outcome"], f.get("message")))
    out += [FindingChange(rule, Change.REMOVED, f["outcome"], None, f.get("message"))
            for rule, f in before.items() if rule not in after]
    return tuple(out)


def run_diff(repo: Repository, run: RunRow) -> RunDiff:
    packages, unfinished = [], []
    for item in repo.run_items(run.id):
        if item.status != ItemStatus.DONE or item.package_id is None or item.new_version is None:
            unfinished.append(Unfinished(item.package_id, item.source, item.status, item.detail))
            continue
        new = repo.get_report(item.package_id, item.new_version)
        if new is None:  # the package was deleted since
            unfinished.append(Unfinished(item.package_id, item.source, "missing", "报告已不存在 / report gone"))
            continue
        same = item.old_version == item.new_version
        old = new if same else (repo.get_report(item.package_id, item.old_version) if item.old_version else None)
        applicant = (new.get("observed", {}).get("applicant.name") or {}).get("value") \
            or new.get("declared", {}).get("applicant.name")
        packages.append(PackageDiff(item.package_id, item.source, applicant, item.old_version, item.new_version,
                                    old["verdict"] if old else None, new["verdict"], () if same else compare(old, new)))
    return RunDiff(run, tuple(packages), tuple(unfinished))


# --- output --------------------------------------------------------------------------------------

def _verdict(v: str | None) -> str:
    return VERDICT_ZH.get(v, v) if v else "（无报告）"


def _outcome(o: str | None) -> str:
    return OUTCOME_ZH.get(o, o) if o else "—"


def text(diff: RunDiff) -> str:
    t = diff.totals()
    run = diff.run
    ruleset = run.options.get("ruleset") or "各包适用的规则集 / each package's own"
    lines = [f"重新处理运行 / reprocess run {run.id[:12]}（{run.created_at:%Y-%m-%d %H:%M} 开始，规则集 {ruleset}）",
             f"申报包 {t['packages']} 个：完成 {t['finished']}，有变化 {t['changed']}，结论变化 {t['verdict_changed']}，"
             f"新报告版本 {t['new_versions']}",
             f"规则结果变化：新增 {t['findings_added']}，移除 {t['findings_removed']}，结果改变 {t['findings_changed']}"]
    for transition, n in t["verdict_transitions"].items():
        old, new = transition.split(" → ")
        lines.append(f"  结论 {_verdict(old)} → {_verdict(new)}：{n} 个")
    if t["unfinished"]:
        lines.append("未完成 / not finished：" + "，".join(f"{k} {n}" for k, n in t["unfinished"].items()))
    for p in diff.packages:
        if not p.changed:
            continue
        lines.append("")
        lines.append(f"申报包 {p.package_id[:12]} {p.applicant or ''}（{p.source}）"
                     f"报告 v{p.old_version or '—'} → v{p.new_version}")
        if p.verdict_changed:
            lines.append(f"  结论：{_verdict(p.old_verdict)} → {_verdict(p.new_verdict)}")
        for c in p.findings:
            outcome = _outcome(c.new_outcome) if c.change is Change.ADDED else _outcome(c.old_outcome) \
                if c.change is Change.REMOVED else f"{_outcome(c.old_outcome)} → {_outcome(c.new_outcome)}"
            lines.append(f"  {_MARK[c.change]} {c.rule} {CHANGE_ZH[c.change]}：{outcome}"
                         + (f"：{c.message}" if c.message else ""))
    for u in diff.unfinished:
        lines.append(f"  ! {u.package_id[:12] if u.package_id else '—'} {u.source}：{u.status} {u.detail or ''}")
    return "\n".join(lines)


def to_json(diff: RunDiff) -> dict[str, Any]:
    run = diff.run
    return {"run": {"id": run.id, "kind": run.kind, "status": run.status, "options": run.options,
                    "created_at": run.created_at.isoformat(),
                    "finished_at": run.finished_at.isoformat() if run.finished_at else None},
            "totals": diff.totals(),
            "packages": [{**{k: v for k, v in asdict(p).items() if k != "findings"},
                          "verdict_changed": p.verdict_changed,
                          "findings": [{**asdict(c), "change": c.change.value} for c in p.findings]}
                         for p in diff.packages],
            "unfinished": [asdict(u) for u in diff.unfinished]}


def write(diff: RunDiff, path: Path) -> None:
    """PATH.json or PATH.xlsx, by the suffix."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(to_json(diff), ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".xlsx":
        write_xlsx(diff, path)
    else:
        raise ValueError(f"差异报告须为 .xlsx 或 .json：{path} / the diff report must be .xlsx or .json")


def write_xlsx(diff: RunDiff, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    summary.title = "汇总 Summary"
    t = diff.totals()
    rows: list[tuple[str, Any]] = [
        ("运行 run", diff.run.id), ("开始 started", diff.run.created_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("规则集 rule set", diff.run.options.get("ruleset") or "各包适用 / each package's own"),
        ("申报包 packages", t["packages"]), ("完成 finished", t["finished"]), ("有变化 changed", t["changed"]),
        ("结论变化 verdict changed", t["verdict_changed"]), ("新报告版本 new report versions", t["new_versions"]),
        ("规则新增 findings added", t["findings_added"]), ("规则移除 findings removed", t["findings_removed"]),
        ("结果改变 outcome changed", t["findings_changed"])]
    rows += [(f"结论 verdict {k}", n) for k, n in t["verdict_transitions"].items()]
    rows += [(f"未完成 not finished: {k}", n) for k, n in t["unfinished"].items()]
    for row in rows:
        summary.append(row)
    summary.column_dimensions["A"].width = 34
    summary.column_dimensions["B"].width = 36

    sheets = {
        "申报包 Packages": (["编号 package id", "申请单位 applicant", "申报包 source", "旧版本 old version",
                            "新版本 new version", "原结论 old verdict", "新结论 new verdict", "结论变化 verdict changed",
                            "规则变化数 finding changes"],
                           [[p.package_id, p.applicant, p.source, p.old_version, p.new_version, p.old_verdict,
                             p.new_verdict, "是 yes" if p.verdict_changed else "", len(p.findings)]
                            for p in diff.packages]),
        "规则变化 Findings": (["编号 package id", "申请单位 applicant", "规则 rule", "变化 change", "原结果 old outcome",
                             "新结果 new outcome", "说明 message"],
                            [[p.package_id, p.applicant, c.rule, f"{CHANGE_ZH[c.change]} {c.change.value}",
                              c.old_outcome, c.new_outcome, c.message] for p in diff.packages for c in p.findings]),
        "未完成 Unfinished": (["编号 package id", "申报包 source", "状态 status", "原因 reason"],
                            [[u.package_id, u.source, u.status, u.detail] for u in diff.unfinished]),
    }
    for title, (header, body) in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in body:
            ws.append(row)
        ws.freeze_panes = "A2"
        for i in range(len(header)):
            ws.column_dimensions[chr(ord("A") + i)].width = 18 if i != len(header) - 1 else 48
    wb.save(path)
