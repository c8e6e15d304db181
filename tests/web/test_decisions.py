"""The discrepancy queue and decisions on it: oldest first, filtered; confirm, dismiss with a reason; stored
apart from the reports, attributed, in the audit log; carried to a new report version while the finding is
unchanged (rule + observed value + evidence quote), and shown as no longer applying once it changed."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from tests.web.conftest import finding, login, report, seed
from web import audit
from web.models import FlagRecord


def new_package(app, people, name: str = "宁波决定测试有限公司") -> str:
    """A 鄞州 package with two fails, a review and a pass (each test its own: they run in any order, anywhere)."""
    return seed(app, "鄞州区", name, "91330212MA2H000101", uploader=people["yinzhou"].user,
                reports=[report("", [finding("X-SMES", "fail", 41, 56, "服务企业共41家"),
                                     finding("X-NAME", "fail", "宁波决定测试", name, "宁波决定测试"),
                                     finding("E-PARTNERS", "review", 4, None, "合作协议"),
                                     finding("E-AGE", "pass", "2015-01-01")])])


@pytest.fixture
def pkg(app, people) -> str:
    return new_package(app, people)


def decide_some(client, people, package_id: str) -> None:
    """X-SMES confirmed by the 鄞州 officer, E-PARTNERS dismissed by a reviewer."""
    assert decide(client, people["yinzhou"], package_id, "X-SMES", action="confirm",
                  reason="请申请单位说明41与56的差异").status_code == 201
    assert decide(client, people["reviewer"], package_id, "E-PARTNERS", action="dismiss",
                  reason="第5份协议在附件中，期限有效").status_code == 201


def new_version(app, package_id: str) -> None:
    """Reprocessing under a new extractor: X-SMES and E-PARTNERS read the same; X-NAME now reads another name."""
    v2 = report(package_id, [finding("X-SMES", "fail", 41, 56, "服务企业共41家"),
                             finding("X-NAME", "fail", "宁波决定测验", "宁波决定测试有限公司", "宁波决定测验"),
                             finding("E-PARTNERS", "review", 4, None, "合作协议"), finding("E-AGE", "pass", "2015-01-01")])
    assert app.state.workbench.repo.save_report(package_id, v2, "needs_review", "ningbo-2018", None) == 2


def decide(client, who, package_id, rule, **body):
    return client.post(f"/api/packages/{package_id}/flags/{rule}/decisions", headers=who.auth, json=body)


def flags_of(client, who, package_id, **query) -> dict[str, dict]:
    items = client.get("/api/flags", headers=who.auth, params=query).json()
    return {f["rule"]: f for f in items if f["package_id"] == package_id}


def test_the_queue_holds_every_fail_and_review_finding(client, people, pkg):
    got = flags_of(client, people["yinzhou"], pkg)
    assert set(got) == {"X-SMES", "X-NAME", "E-PARTNERS"}  # the pass is no flag
    assert {r: f["status"] for r, f in got.items()} == dict.fromkeys(got, "open")
    assert set(flags_of(client, people["yinzhou"], pkg, outcome="review")) == {"E-PARTNERS"}
    assert set(flags_of(client, people["yinzhou"], pkg, rule="X-NAME")) == {"X-NAME"}
    assert flags_of(client, people["yinzhou"], pkg, district="海曙区") == {}


def test_dismissing_needs_a_reason(client, people, pkg):
    r = decide(client, people["yinzhou"], pkg, "E-PARTNERS", action="dismiss")
    assert r.status_code == 422 and "理由" in r.json()["detail"]
    r = decide(client, people["yinzhou"], pkg, "E-PARTNERS", action="dismiss", reason="   ")
    assert r.status_code == 422
    r = decide(client, people["yinzhou"], pkg, "E-AGE", action="confirm")  # a pass is nothing to decide on
    assert r.status_code == 422
    r = decide(client, people["yinzhou"], pkg, "E-PARTNERS", action="approve")
    assert r.status_code == 422
    r = decide(client, people["yinzhou"], pkg, "E-PARTNERS", action="dismiss", reason="x", report_version=7)
    assert r.status_code == 409  # decided on a page older than the report


def test_decisions_are_attributed_kept_apart_and_audited(app, client, people, pkg):
    before = client.get(f"/api/packages/{pkg}/report", headers=people["reviewer"].auth).json()["report"]
    r = decide(client, people["yinzhou"], pkg, "X-SMES", action="confirm", reason="请申请单位说明41与56的差异")
    assert r.status_code == 201
    d = r.json()
    assert (d["username"], d["action"], d["report_version"], d["applies"]) == ("yinzhou", "confirm", 1, True)
    assert datetime.fromisoformat(d["created_at"]) > datetime.now(UTC) - timedelta(minutes=1)
    r = decide(client, people["reviewer"], pkg, "E-PARTNERS", action="dismiss", reason="第5份协议在附件中，期限有效")
    assert r.status_code == 201
    after = client.get(f"/api/packages/{pkg}/report", headers=people["reviewer"].auth).json()
    assert after["report"] == before  # the machine's report is not touched
    assert after["decisions"]["X-SMES"]["decision"]["action"] == "confirm"
    assert after["decisions"]["X-NAME"]["decision"] is None
    statuses = {r: f["status"] for r, f in flags_of(client, people["yinzhou"], pkg, status="").items()}
    assert statuses == {"X-SMES": "confirm", "E-PARTNERS": "dismiss", "X-NAME": "open"}
    assert set(flags_of(client, people["yinzhou"], pkg)) == {"X-NAME"}  # the default queue: what is still open
    assert set(flags_of(client, people["yinzhou"], pkg, status="dismiss")) == {"E-PARTNERS"}
    entries = client.get(f"/api/packages/{pkg}/audit", headers=people["yinzhou"].auth).json()
    decided = [(e["actor"], e["detail"]["rule"], e["detail"]["action"]) for e in entries if e["action"] == "decision"]
    assert decided == [("reviewer", "E-PARTNERS", "dismiss"), ("yinzhou", "X-SMES", "confirm")]  # newest first
    history = client.get(f"/api/packages/{pkg}/decisions", headers=people["yinzhou"].auth).json()
    assert [h["rule"] for h in history] == ["X-SMES", "E-PARTNERS"]


def test_decisions_survive_a_new_report_version_while_the_finding_is_unchanged(app, client, people, pkg):
    decide_some(client, people, pkg)
    r = decide(client, people["yinzhou"], pkg, "X-NAME", action="dismiss", reason="简称，系同一单位")
    assert r.status_code == 201
    flags_before = flags_of(client, people["yinzhou"], pkg, status="")
    new_version(app, pkg)
    body = client.get(f"/api/packages/{pkg}/report", headers=people["yinzhou"].auth).json()
    assert body["version"] == 2
    smes, name = body["decisions"]["X-SMES"], body["decisions"]["X-NAME"]
    assert smes["decision"]["action"] == "confirm" and smes["decision"]["report_version"] == 1
    assert name["decision"] is None and [d["reason"] for d in name["no_longer_applies"]] == ["简称，系同一单位"]
    flags_after = flags_of(client, people["yinzhou"], pkg, status="")
    assert {r: f["status"] for r, f in flags_after.items()} == {"X-SMES": "confirm", "E-PARTNERS": "dismiss",
                                                               "X-NAME": "open"}
    assert flags_after["X-SMES"]["report_version"] == 2
    # An unchanged finding keeps its age; a changed one is new.
    assert flags_after["X-SMES"]["first_seen_at"] == flags_before["X-SMES"]["first_seen_at"]
    assert flags_after["X-NAME"]["first_seen_at"] > flags_before["X-NAME"]["first_seen_at"]
    # The pages say the same.
    login(client, "yinzhou")
    try:
        page = client.get(f"/packages/{pkg}").text
        assert "沿用第1版的决定" in page and "不再适用" in page
        flag_page = client.get(f"/packages/{pkg}/flags/X-NAME").text
        assert "不再适用（结果已变化）" in flag_page and "简称，系同一单位" in flag_page
        old = client.get(f"/packages/{pkg}?version=1").text
        assert "您正在查看旧版本" in old
    finally:
        client.cookies.clear()


def test_the_queue_is_oldest_first_and_filters_by_age(app, client, people):
    wb = app.state.workbench
    old = seed(app, "鄞州区", "宁波老案有限公司", "91330212MA2H000102", uploader=people["yinzhou"].user,
               reports=[report("", [finding("X-USCC", "fail", "91330212MA2H00010X", None, "91330212MA2H00010X")])])
    recent = new_package(app, people, "宁波新案有限公司")
    flags_of(client, people["yinzhou"], old)  # indexed now
    with wb.db.begin() as s:  # as if found ten days ago
        s.execute(update(FlagRecord).where(FlagRecord.package_id == old)
                  .values(first_seen_at=datetime.now(UTC) - timedelta(days=10)))
    items = client.get("/api/flags", headers=people["yinzhou"].auth, params={"status": ""}).json()
    assert items[0]["package_id"] == old and items[0]["age_days"] == 10
    assert [i["first_seen_at"] for i in items] == sorted(i["first_seen_at"] for i in items)
    aged = client.get("/api/flags", headers=people["yinzhou"].auth, params={"min_age_days": 7}).json()
    assert [i["package_id"] for i in aged] == [old]
    fresh = client.get("/api/flags", headers=people["yinzhou"].auth, params={"max_age_days": 3, "status": ""}).json()
    assert old not in {i["package_id"] for i in fresh} and recent in {i["package_id"] for i in fresh}


def test_dismissing_through_the_flag_page(app, client, people):
    pkg = seed(app, "鄞州区", "宁波页面测试有限公司", "91330212MA2H000103", uploader=people["yinzhou"].user,
               reports=[report("", [finding("X-LEGAL-REP", "fail", "李四", "张三", "李四")])])
    csrf = login(client, "yinzhou")
    try:
        url = f"/packages/{pkg}/flags/X-LEGAL-REP"
        page = client.get(url).text
        assert "张三" in page and "李四" in page and 'id="dismiss-btn"' in page
        r = client.post(f"{url}/decide", data={"action": "dismiss", "reason": "", "report_version": 1,
                                               "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and "error=" in r.headers["location"]  # no reason: back with the message
        r = client.post(f"{url}/decide", data={"action": "dismiss", "reason": "法定代表人已变更，见变更登记",
                                               "report_version": 1}, follow_redirects=False)
        assert r.status_code == 403  # no CSRF token
        r = client.post(f"{url}/decide", data={"action": "dismiss", "reason": "法定代表人已变更，见变更登记",
                                               "report_version": 1, "csrf_token": csrf})
        assert r.status_code == 200 and 'id="current-decision"' in r.text and "法定代表人已变更" in r.text
        audit_page = client.get(f"/packages/{pkg}/audit").text
        assert "处理标记" in audit_page and "法定代表人已变更，见变更登记" in audit_page
    finally:
        client.cookies.clear()


def test_export_has_a_row_per_package_and_a_sheet_of_findings(app, client, people):
    pkg = new_package(app, people, "宁波导出测试有限公司")
    decide_some(client, people, pkg)
    assert decide(client, people["yinzhou"], pkg, "X-NAME", action="dismiss", reason="简称").status_code == 201
    new_version(app, pkg)
    r = client.get("/api/export.xlsx", headers=people["yinzhou"].auth, params={"q": "导出测试"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    packages = list(book["申报包"].values)
    assert packages[0][:3] == ("编号", "申请单位", "统一社会信用代码") and len(packages) == 2
    row = dict(zip(packages[0], packages[1]))
    assert row["申请单位"] == "宁波导出测试有限公司" and row["区县"] == "鄞州区" and row["不通过"] == 2
    assert row["待处理标记"] == 1  # X-NAME changed in version 2: open again
    findings = {r[2]: dict(zip(book["审查结果"].values.__next__(), r)) for r in list(book["审查结果"].values)[1:]}
    assert set(findings) >= {"X-SMES", "X-NAME", "E-PARTNERS", "E-AGE"}
    assert findings["X-SMES"]["处理状态"].startswith("已确认") and findings["X-SMES"]["处理人"] == "yinzhou"
    assert findings["X-SMES"]["申报值"] == 56 and findings["X-SMES"]["核实值"] == 41
    assert findings["E-PARTNERS"]["处理理由"] == "第5份协议在附件中，期限有效"
    exports = [e for e in audit.entries(app.state.workbench.db, actor="yinzhou") if e.action == "export"]
    assert exports and exports[0].detail == {"filters": {"q": "导出测试"}, "packages": 1}
