"""Officers' decisions on flags: confirm, dismiss with a reason, correct an observed value.

Decisions are rows of their own (attributed, timestamped, never edited) next to the machine's reports. A decision
is made on a finding of one report version; it applies to a finding of any later version with the same
fingerprint (flags.fingerprint), and is shown as no longer applying once the finding changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from web import audit
from web.accounts import User
from web.audit import AuditAction
from web.flags import FLAGGED, fingerprint
from web.models import Action, DecisionRecord

ACTION_ZH = {Action.CONFIRM: "确认（需申请人说明）", Action.DISMISS: "排除", Action.CORRECT: "更正识别值"}


class DecisionError(ValueError):
    """A decision refused; the message is Chinese."""


@dataclass(frozen=True)
class Decision:
    id: int
    package_id: str
    report_version: int
    rule: str
    outcome: str
    fingerprint: str
    action: Action
    reason: str | None
    fact: str | None
    value: Any
    result: Any
    username: str
    created_at: datetime

    def to_json(self, applies: bool | None = None) -> dict[str, Any]:
        out = {"id": self.id, "package_id": self.package_id, "report_version": self.report_version,
               "rule": self.rule, "outcome": self.outcome, "action": self.action.value, "reason": self.reason,
               "fact": self.fact, "value": self.value, "result": self.result, "username": self.username,
               "created_at": self.created_at.isoformat()}
        if applies is not None:
            out["applies"] = applies
        return out


def _decision(r: DecisionRecord) -> Decision:
    return Decision(r.id, r.package_id, r.report_version, r.rule, r.outcome, r.fingerprint, Action(r.action),
                    r.reason, r.fact, r.value, r.result, r.username, r.created_at)


def decisions(db: sessionmaker, package_id: str, rule: str | None = None) -> list[Decision]:
    """Oldest first."""
    q = select(DecisionRecord).where(DecisionRecord.package_id == package_id).order_by(DecisionRecord.id)
    if rule is not None:
        q = q.where(DecisionRecord.rule == rule)
    with db() as s:
        return [_decision(r) for r in s.scalars(q)]


def current(all_decisions: list[Decision], finding: dict[str, Any]) -> Decision | None:
    """The decision in force on this finding: the newest one made on a finding with its fingerprint."""
    fp = fingerprint(finding)
    matching = [d for d in all_decisions if d.rule == finding["rule"] and d.fingerprint == fp]
    return matching[-1] if matching else None


def superseded(all_decisions: list[Decision], finding: dict[str, Any]) -> list[Decision]:
    """Earlier decisions on this rule whose finding has since changed: they no longer apply."""
    fp = fingerprint(finding)
    return [d for d in all_decisions if d.rule == finding["rule"] and d.fingerprint != fp]


def active_corrections(all_decisions: list[Decision], report: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """fact -> (value, who) of the corrections in force on the report's findings, newest per fact."""
    live = {fingerprint(f) for f in report.get("findings", [])}
    out: dict[str, tuple[Any, str]] = {}
    for d in all_decisions:
        if d.action is Action.CORRECT and d.fact and d.fingerprint in live:
            out[d.fact] = (d.value, d.username)
    return out


def decide(db: sessionmaker, user: User, package_id: str, version: int, finding: dict[str, Any], action: Action,
           reason: str | None, *, fact: str | None = None, value: Any = None, result: Any = None,
           ip: str | None = None) -> Decision:
    """Store a decision on `finding` of report `version` and its audit entry, in one transaction."""
    if finding.get("outcome") not in FLAGGED:
        raise DecisionError("只能处理“不通过”或“需复核”的结果")
    reason = (reason or "").strip() or None
    if action is Action.DISMISS and not reason:
        raise DecisionError("排除标记须填写理由")
    if action is Action.CORRECT and (not fact or value is None):
        raise DecisionError("更正须指定事实和更正后的值")
    with db.begin() as s:
        row = DecisionRecord(package_id=package_id, report_version=version, rule=finding["rule"],
                             outcome=finding["outcome"], fingerprint=fingerprint(finding), action=action.value,
                             reason=reason, fact=fact if action is Action.CORRECT else None,
                             value=value if action is Action.CORRECT else None, result=result, user_id=user.id,
                             username=user.username, created_at=datetime.now(UTC))
        s.add(row)
        s.flush()
        detail: dict[str, Any] = {"decision_id": row.id, "rule": row.rule, "report_version": version,
                                  "action": action.value, "reason": reason}
        if action is Action.CORRECT:
            detail.update(fact=fact, value=value, verdict_after=(result or {}).get("verdict"))
        audit.record(s, user.username, AuditAction.CORRECTION if action is Action.CORRECT else AuditAction.DECISION,
                     package_id, ip, detail)
        return _decision(row)
