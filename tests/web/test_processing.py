"""A real package through the workbench: uploaded (several files, or one .zip), shown at once, processed in the
background through prescreen.tasks_submit.submit, polled to done; its report, evidence on the page image, an
officer's correction re-running the rules, and reprocessing by an administrator. A generated package (7 files, one
image licence: the only OCR) keeps it to seconds."""
from __future__ import annotations

import io
import time
import zipfile

import pytest

from tests.web.conftest import generated_package, package_files, wait_done
from web import audit

pytestmark = pytest.mark.ocr  # the licence of the generated package is an image


@pytest.fixture(scope="module")
def uploaded(client, people):
    """A generated cultivation package (its form names another legal representative than its licence) into
    鄞州区's office."""
    r = client.post("/api/packages", files=package_files(), data={"district": "鄞州区", "application_kind": ""},
                    headers=people["yinzhou"].auth)
    assert r.status_code == 202, r.text
    first = client.get(r.json()["status_url"], headers=people["yinzhou"].auth).json()
    done = wait_done(client, r.json()["status_url"], people["yinzhou"].auth)
    return {"accepted": r.json(), "first": first, "done": done}


def test_an_upload_returns_at_once_and_is_processed_in_the_background(uploaded, people):
    first = uploaded["first"]
    # Right after the request the upload exists, for its district, with the files as sent.
    assert first["district"] == "鄞州区" and first["uploaded_by"] == "yinzhou"
    assert sorted(first["file_names"]) == sorted(p.name for p in generated_package().files)
    done = uploaded["done"]
    assert done["state"] == "submitted" and done["package_id"]
    pkg = done["package"]
    assert pkg["done"] and not pkg["failed"] and pkg["state"] == "done" and pkg["verdict"] == "needs_review"
    assert pkg["total"] == pkg["extracted"] == len(generated_package().files) == 7
    assert {d["status"] for d in pkg["documents"]} == {"extracted"}


def test_the_package_is_listed_for_its_office_with_its_facts(client, people, uploaded):
    package_id = uploaded["done"]["package_id"]
    listed = client.get("/api/packages", headers=people["yinzhou"].auth).json()["packages"]
    row = next(p for p in listed if p["id"] == package_id)
    truth = generated_package().truth
    assert row["applicant_name"] == truth["observed"]["applicant.name"]
    assert row["applicant_uscc"] == truth["observed"]["applicant.uscc"]
    # The office that received it keeps it, although its USCC says another district.
    assert generated_package().machine_district not in (None, "鄞州区")
    assert (row["district"], row["machine_district"]) == ("鄞州区", generated_package().machine_district)
    assert row["application_kind"] == "cultivation"
    assert package_id not in {p["id"] for p in client.get("/api/packages", headers=people["haishu"].auth)
                              .json()["packages"]}
    entries = client.get(f"/api/packages/{package_id}/audit", headers=people["yinzhou"].auth).json()
    received = [e for e in entries if e["action"] == "received"]
    assert len(received) == 1 and received[0]["actor"] == "yinzhou"  # linked once, by whichever got there first
    assert received[0]["detail"]["district"] == "鄞州区" and received[0]["detail"]["files"] == 7
    upload_id = received[0]["detail"]["upload_id"]
    uploads = [e for e in audit.entries(client.app.state.workbench.db, actor="yinzhou") if e.action == "upload"]
    assert any(e.detail["upload_id"] == upload_id and len(e.detail["files"]) == 7 for e in uploads)


def test_report_flag_and_evidence_image(client, people, uploaded):
    package_id, me = uploaded["done"]["package_id"], people["yinzhou"].auth
    body = client.get(f"/api/packages/{package_id}/report", headers=me).json()
    findings = {f["rule"]: f for f in body["report"]["findings"]}
    assert findings["X-LEGAL-REP"]["outcome"] == "fail"
    assert findings["M-LICENSE"]["article"] == "9.3, 15.3"
    flag = client.get(f"/api/packages/{package_id}/flags/X-LEGAL-REP", headers=me).json()
    pkg = generated_package()
    on_form, on_licence = (pkg.truth[k]["applicant.legal_representative"] for k in ("declared", "observed"))
    assert on_form != on_licence
    assert (flag["finding"]["declared"], flag["finding"]["observed"]) == (on_form, on_licence)
    placed = {e["document"]: e for e in flag["evidence"]}
    form, licence = placed[pkg.file_of("form")], placed[pkg.file_of("licence")]
    assert form["text"] == on_form and licence["text"] == on_licence
    for e in (form, licence):
        box = e["box"]
        assert 0 <= box["left"] < 100 and 0 <= box["top"] < 100 and 0 < box["width"] < 50 and 0 < box["height"] < 10
        img = client.get(e["image_url"], headers=me)
        assert img.status_code == 200 and img.content[:2] == b"\xff\xd8"


def test_a_correction_reruns_the_rules_with_the_human_value(client, people, uploaded):
    package_id, me = uploaded["done"]["package_id"], people["yinzhou"].auth
    url = f"/api/packages/{package_id}/flags/X-LEGAL-REP/decisions"
    bad = client.post(url, headers=me, json={"action": "correct", "fact": "applicant.legal_representative",
                                             "value": "  "})
    assert bad.status_code == 422
    bad = client.post(url, headers=me, json={"action": "correct", "fact": "service.smes_served", "value": "很多"})
    assert bad.status_code == 422 and "数量" in bad.json()["detail"]
    on_form = generated_package().truth["declared"]["applicant.legal_representative"]
    r = client.post(url, headers=me, json={"action": "correct", "fact": "applicant.legal_representative",
                                           "value": on_form, "reason": f"营业执照原件法定代表人为{on_form}，OCR 误读"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["value"] == on_form and d["result"]["verdict"] == "eligible"
    after = {f["rule"]: f for f in d["result"]["findings"]}
    assert after["X-LEGAL-REP"]["outcome"] == "pass" and after["X-LEGAL-REP"]["human_supplied"]
    assert not after["X-NAME"]["human_supplied"]
    # The machine's report is as it was; the correction sits beside it.
    body = client.get(f"/api/packages/{package_id}/report", headers=me).json()
    assert body["report"]["verdict"] == "needs_review" and body["version"] == 1
    assert body["decisions"]["X-LEGAL-REP"]["decision"]["action"] == "correct"
    entry = client.get(f"/api/packages/{package_id}/audit", headers=me).json()[0]
    assert entry["action"] == "correction" and entry["detail"]["verdict_after"] == "eligible"


def test_reprocessing_keeps_decisions_on_unchanged_findings(client, people, uploaded):
    package_id = uploaded["done"]["package_id"]
    assert client.post(f"/api/packages/{package_id}/reprocess", headers=people["yinzhou"].auth).status_code == 403
    confirmed = client.post(f"/api/packages/{package_id}/flags/X-LEGAL-REP/decisions", headers=people["reviewer"].auth,
                            json={"action": "confirm", "reason": "请说明法定代表人不一致"})
    assert confirmed.status_code == 201
    r = client.post(f"/api/packages/{package_id}/reprocess", headers=people["admin"].auth)
    assert r.status_code == 202
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        s = client.get(r.json()["status_url"], headers=people["admin"].auth).json()
        if s["done"] or s["failed"]:
            break
        time.sleep(0.3)
    assert s["done"], s
    body = client.get(f"/api/packages/{package_id}/report", headers=people["admin"].auth).json()
    # Same files, same extractors: the same findings, so the decision still applies.
    assert body["decisions"]["X-LEGAL-REP"]["decision"]["id"] == confirmed.json()["id"]
    actions = [e["action"] for e in client.get(f"/api/packages/{package_id}/audit", headers=people["admin"].auth)
               .json()]
    assert actions[0] == "reprocess"


def test_one_zip_is_a_package_too_and_a_broken_one_is_refused(client, people):
    buf = io.BytesIO()
    text_documents = [p for p in generated_package().files if p.suffix in (".docx", ".pdf", ".xlsx")]
    with zipfile.ZipFile(buf, "w") as z:  # the generated package with its text documents only: quick
        for p in text_documents:
            z.write(p, f"W0001/{p.name}")
    r = client.post("/api/packages", files=[("files", ("申报材料.zip", buf.getvalue()))],
                    data={"district": "海曙区", "application_kind": "cultivation"}, headers=people["haishu"].auth)
    assert r.status_code == 202
    s = wait_done(client, r.json()["status_url"], people["haishu"].auth)
    assert s["package"]["done"] and s["package"]["total"] == len(text_documents) == 6
    broken = client.post("/api/packages", files=[("files", ("坏文件.zip", b"PK\x03\x04 this is no zip"))],
                         data={"district": "海曙区"}, headers=people["haishu"].auth)
    s = wait_done(client, broken.json()["status_url"], people["haishu"].auth)
    assert s["state"] == "refused" and s["error"] and s["package"] is None
    receiving = client.get("/api/packages", headers=people["haishu"].auth).json()["receiving"]
    assert any(u["state"] == "refused" and u["file_names"] == ["坏文件.zip"] for u in receiving)
