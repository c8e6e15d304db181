"""Who sees what: anonymous requests get 401 on every API route, an officer sees only their district (another
district's package is a 404, lists and exports never carry it), reviewers and administrators see all."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.web.conftest import finding, login, put_image, report, seed
from web.models import ApiTokenRecord


@pytest.fixture(scope="module")
def data(app, people):
    key = put_image(app)
    yz = seed(app, "鄞州区", "宁波甬江科技服务有限公司", "91330212MA2H000001", uploader=people["yinzhou"].user,
              reports=[report("", [finding("X-SMES", "fail", 41, 56, "服务企业共41家", key),
                                   finding("E-PARTNERS", "review", 4, None, "合作协议")], key)])
    hs = seed(app, "海曙区", "宁波海曙创新服务中心", "91330203MA2H000002", uploader=people["haishu"].user,
              reports=[report("", [finding("X-NAME", "fail", "宁波海曙创新", "宁波海曙创新服务中心", "宁波海曙创新", key)],
                              key, verdict="ineligible")], kind="cultivation")
    cli = seed(app, "鄞州区", "宁波东钱湖服务有限公司", "91330212MA2H000003")  # no upload row: the CLI's package
    moved = seed(app, "海曙区", "宁波跨区服务有限公司", "91330212MA2H000004", uploader=people["haishu"].user,
                 machine_district="鄞州区")  # received by 海曙; its USCC says 鄞州: the office decides
    return {"yz": yz, "hs": hs, "cli": cli, "moved": moved, "key": key}


def api_routes(app) -> list[tuple[str, str]]:
    """Every documented API operation (the OpenAPI document is the API's contract)."""
    return sorted((method.upper(), path) for path, ops in app.openapi()["paths"].items() if path.startswith("/api/")
                  for method in ops)


def fill(path: str, package_id: str) -> str:
    return (path.replace("{package_id}", package_id).replace("{rule}", "X-NAME").replace("{upload_id}", "0" * 32)
            .replace("{user_id}", "1").replace("{token_id}", "1"))


def test_anonymous_requests_get_401_on_every_api_route(app, client, data):
    routes = api_routes(app)
    assert len(routes) >= 20  # the whole API, not a sample
    for method, path in routes:
        r = client.request(method, fill(path, data["hs"]))
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/packages", headers={"Authorization": "Bearer psk_not-a-token"}).status_code == 401
    assert client.get("/healthz").json()["status"] == "ok"  # health needs no login


def test_another_districts_package_is_404_on_every_package_route(app, client, people, data):
    yz = people["yinzhou"]
    package_routes = [(m, p) for m, p in api_routes(app) if "{package_id}" in p]
    assert len(package_routes) >= 10
    for method, path in package_routes:
        body, query = {"action": "dismiss", "reason": "x"}, {"key": data["key"]}
        theirs = client.request(method, fill(path, data["hs"]), params=query, headers=yz.auth, json=body)
        missing = client.request(method, fill(path, "f" * 32), params=query, headers=yz.auth, json=body)
        expected = 403 if path.endswith("/reprocess") else 404  # reprocessing is the administrators' anyway
        assert theirs.status_code == expected, (method, path, theirs.status_code, theirs.text)
        assert theirs.json() == missing.json()  # nothing tells "exists elsewhere" from "does not exist"
    # The office's district wins over the USCC's: 海曙 received it, so 鄞州 does not see it.
    assert client.get(f"/api/packages/{data['moved']}", headers=yz.auth).status_code == 404
    assert client.get(f"/api/packages/{data['moved']}", headers=people["haishu"].auth).json()["district"] == "海曙区"


def test_pages_of_another_district_are_404_too(client, people, data):
    login(client, "yinzhou")
    try:
        assert client.get(f"/packages/{data['hs']}").status_code == 404
        assert client.get(f"/packages/{data['hs']}/flags/X-NAME").status_code == 404
        assert client.get(f"/packages/{data['hs']}/audit").status_code == 404
        page = client.get(f"/packages/{data['yz']}")
        assert page.status_code == 200 and "宁波甬江科技服务有限公司" in page.text
        listing = client.get("/packages").text
        assert "宁波甬江科技服务有限公司" in listing and "宁波海曙创新服务中心" not in listing
        queue = client.get("/queue?status=").text
        assert "X-SMES" in queue and "宁波海曙创新服务中心" not in queue
    finally:
        client.cookies.clear()


def test_lists_never_leak_other_districts(client, people, data):
    yz, hs, rv = people["yinzhou"].auth, people["haishu"].auth, people["reviewer"].auth
    ids = lambda r: {p["id"] for p in r.json()["packages"]}  # noqa: E731
    assert ids(client.get("/api/packages", headers=yz)) == {data["yz"], data["cli"]}
    assert ids(client.get("/api/packages", headers=hs)) == {data["hs"], data["moved"]}
    assert ids(client.get("/api/packages?district=海曙区", headers=yz)) == set()  # asking for it shows nothing
    assert ids(client.get("/api/packages", headers=rv)) >= {data["yz"], data["hs"], data["cli"], data["moved"]}
    assert {f["package_id"] for f in client.get("/api/flags?status=", headers=yz).json()} == {data["yz"]}
    assert {f["package_id"] for f in client.get("/api/flags?status=", headers=hs).json()} == {data["hs"]}
    assert {f["package_id"] for f in client.get("/api/flags?status=", headers=rv).json()} >= {data["yz"], data["hs"]}
    names = {c.value for c in load_workbook(io.BytesIO(client.get("/api/export.xlsx", headers=yz).content))["申报包"]["B"]}
    assert "宁波甬江科技服务有限公司" in names and "宁波海曙创新服务中心" not in names


def test_filters_and_search(client, people, data):
    rv = people["reviewer"].auth

    def ids(query: str) -> set[str]:
        r = client.get(f"/api/packages?{query}", headers=rv)
        assert r.status_code == 200, r.text
        return {p["id"] for p in r.json()["packages"]}

    assert ids("q=甬江") == {data["yz"]}
    assert ids("q=91330203") == {data["hs"]}  # a USCC prefix
    assert ids("q=91330212ma2h000003") == {data["cli"]}  # lower case typed
    assert data["hs"] in ids("verdict=ineligible") and data["yz"] not in ids("verdict=ineligible")
    assert ids("kind=cultivation") >= {data["hs"]} and data["yz"] not in ids("kind=cultivation")
    assert ids("district=鄞州区") >= {data["yz"], data["cli"]} and data["moved"] not in ids("district=鄞州区")
    assert data["yz"] in ids("state=done") and not ids("state=extracting") & {data["yz"]}
    today = date.today()
    assert data["yz"] in ids(f"date_from={today - timedelta(days=1)}&date_to={today + timedelta(days=1)}")
    assert not ids(f"date_from={today + timedelta(days=2)}")
    assert client.get("/api/packages?verdict=maybe", headers=rv).status_code == 422


def test_page_images_only_for_the_packages_that_cite_them(client, people, data, app):
    yz, hs = people["yinzhou"].auth, people["haishu"].auth
    r = client.get(f"/api/packages/{data['yz']}/image", params={"key": data["key"]}, headers=yz)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"
    # The same key through a package of one's own that does not cite it: no.
    assert client.get(f"/api/packages/{data['cli']}/image", params={"key": data["key"]}, headers=yz).status_code == 404
    assert client.get(f"/api/packages/{data['yz']}/image", params={"key": data["key"]}, headers=hs).status_code == 404
    assert client.get(f"/api/packages/{data['yz']}/image", params={"key": "originals/aa/" + "a" * 64},
                      headers=yz).status_code == 404


def test_flag_detail_places_the_box_on_the_page_image(client, people, data):
    r = client.get(f"/api/packages/{data['yz']}/flags/X-SMES", headers=people["yinzhou"].auth)
    assert r.status_code == 200
    body = r.json()
    assert body["finding"]["declared"] == 56 and body["finding"]["observed"] == 41
    ev = body["evidence"][0]
    assert ev["text"] == "服务企业共41家" and ev["image_url"].startswith(f"/api/packages/{data['yz']}/image?key=")
    # bbox (10, 20)-(60, 30) pt × scale 2 on a 200×280 px image
    assert ev["box"] == {"left": 10.0, "top": pytest.approx(14.286, abs=1e-3), "width": 50.0,
                         "height": pytest.approx(7.143, abs=1e-3)}
    assert client.get(f"/api/packages/{data['yz']}/flags/X-NOPE", headers=people["yinzhou"].auth).status_code == 404


def test_uploads_go_only_to_ones_own_district(client, people):
    files = [("files", ("a.pdf", b"%PDF-1.4 not really"))]
    r = client.post("/api/packages", files=files, data={"district": "海曙区"}, headers=people["yinzhou"].auth)
    assert r.status_code == 403
    r = client.post("/api/packages", files=files, data={"district": "火星区"}, headers=people["reviewer"].auth)
    assert r.status_code == 422
    r = client.post("/api/packages", files=files, headers=people["reviewer"].auth)  # a reviewer must choose
    assert r.status_code == 422
    r = client.post("/api/packages", data={"district": "鄞州区"}, headers=people["yinzhou"].auth)  # no files
    assert r.status_code == 422


def test_administration_is_for_administrators(client, people):
    officer, admin = people["yinzhou"].auth, people["admin"].auth
    assert client.get("/api/users", headers=officer).status_code == 403
    assert client.post("/api/users", headers=people["reviewer"].auth,
                       json={"username": "x", "password": "p" * 12, "role": "admin"}).status_code == 403
    assert client.post(f"/api/packages/{'f' * 32}/reprocess", headers=officer).status_code == 403
    r = client.post("/api/users", headers=admin, json={"username": "zhenhai", "password": "short", "role": "officer",
                                                       "district": "镇海区"})
    assert r.status_code == 422 and "至少" in r.json()["detail"]
    r = client.post("/api/users", headers=admin, json={"username": "zhenhai", "password": "long-enough-pw",
                                                       "role": "officer"})
    assert r.status_code == 422 and "区县" in r.json()["detail"]  # an officer needs a district
    r = client.post("/api/users", headers=admin, json={"username": "zhenhai", "password": "long-enough-pw",
                                                       "role": "officer", "district": "镇海区"})
    assert r.status_code == 201 and r.json()["district"] == "镇海区"
    assert "zhenhai" in {u["username"] for u in client.get("/api/users", headers=admin).json()}
    assert client.patch(f"/api/users/{people['admin'].user.id}", headers=admin, json={"active": False}).status_code == 422
    assert {r["id"] for r in client.get("/api/rulesets", headers=officer).json()} >= {"ningbo-2018"}


def test_api_tokens_are_hashed_at_rest_shown_once_and_revocable(app, client, people):
    me = people["reviewer"]
    r = client.post("/api/tokens", headers=me.auth, json={"name": "脚本"})
    assert r.status_code == 201
    issued = r.json()
    plain = issued["token"]
    assert re.fullmatch(r"psk_[A-Za-z0-9_-]{40,}", plain)
    new = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/me", headers=new).json()["username"] == "reviewer"
    listed = client.get("/api/tokens", headers=new).json()
    assert all("token" not in t for t in listed) and any(t["prefix"] == plain[:12] for t in listed)
    with app.state.workbench.db() as s:
        stored = [(t.token_hash, t.prefix) for t in s.query(ApiTokenRecord).all()]
    assert all(plain not in h and plain != p for h, p in stored)  # only a keyed hash and a short prefix
    assert client.delete(f"/api/tokens/{issued['id']}", headers=me.auth).status_code == 204
    assert client.get("/api/me", headers=new).status_code == 401
    # Another user's token cannot be revoked by id guessing.
    assert client.delete("/api/tokens/1", headers=people["haishu"].auth).status_code == 404


def test_a_disabled_user_is_locked_out(client, people):
    admin = people["admin"].auth
    r = client.post("/api/users", headers=admin, json={"username": "leaver", "password": "long-enough-pw",
                                                       "role": "reviewer"})
    user_id = r.json()["id"]
    login(client, "leaver", "long-enough-pw")
    try:
        assert client.get("/packages").status_code == 200
        assert client.patch(f"/api/users/{user_id}", headers=admin, json={"active": False}).json()["active"] is False
        assert client.get("/packages", follow_redirects=False).status_code == 303  # the session ended
        assert client.get("/api/me").status_code == 401
    finally:
        client.cookies.clear()


def test_openapi_documents_the_api(client):
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/packages", "/api/packages/{package_id}/report", "/api/flags",
                 "/api/packages/{package_id}/flags/{rule}/decisions", "/api/export.xlsx", "/api/tokens", "/healthz"):
        assert path in paths, path
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert not any(p.startswith(("/login", "/packages/")) for p in paths)  # pages are not API
    assert client.get("/docs").status_code == 200
