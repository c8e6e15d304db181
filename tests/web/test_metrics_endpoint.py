"""GET /metrics on the workbench: Prometheus text with prescreen's metrics, no session needed. With
PRESCREEN_METRICS_TOKEN a scrape must carry it as a Bearer token (from anywhere); without one only local scrapes
are answered (a loopback peer, no forwarding header)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from prescreen.metrics import TASKS_SUCCEEDED
from tests.web.conftest import SECRET, login
from web.settings import Env, InsecureSettings, WebSettings

TOKEN = "scrape-token-0123456789abcdef"
PROBE_TASK = "tests.web.metrics_probe"


def values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def succeeded(text: str) -> float:
    return values(text).get(("prescreen_tasks_succeeded_total", (("task", PROBE_TASK),)), 0.0)


@pytest.fixture(scope="module")
def local(app) -> Iterator[TestClient]:
    with TestClient(app, client=("127.0.0.1", 41000)) as c:
        yield c


def _app(wb_home, **web: object) -> FastAPI:
    from web.app import create_app

    return create_app(web_settings=WebSettings(**web))


@pytest.fixture(scope="module")
def with_token(wb_home) -> Iterator[FastAPI]:
    """Another process of the same deployment, with PRESCREEN_METRICS_TOKEN set."""
    application = _app(wb_home, metrics_token=TOKEN)
    yield application
    application.state.workbench.processor.shutdown()


def test_a_local_scrape_needs_no_login_and_sees_this_process_counters(local):
    first = local.get("/metrics")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == CONTENT_TYPE_LATEST  # Prometheus's text format
    assert first.headers["cache-control"] == "no-store"
    TASKS_SUCCEEDED.labels(PROBE_TASK).inc(3)  # as a task run here (the embedded default) would
    second = local.get("/metrics")
    assert succeeded(second.text) == succeeded(first.text) + 3
    # No broker (the embedded default): no queue depth to ask for.
    assert "prescreen_broker_up" not in second.text and "prescreen_queue_depth" not in second.text
    with TestClient(local.app, client=("::1", 41001)) as v6:
        assert v6.get("/metrics").status_code == 200


@pytest.mark.parametrize(("peer", "headers"), [
    (("10.1.2.3", 41002), {}),  # another machine
    (("testclient", 50000), {}),  # not an address at all
    (("127.0.0.1", 41003), {"X-Forwarded-For": "203.0.113.9"}),  # a reverse proxy on this host
    (("127.0.0.1", 41004), {"Forwarded": "for=203.0.113.9"}),
    (("127.0.0.1", 41005), {"X-Real-IP": "203.0.113.9"}),
])
def test_without_a_token_other_scrapes_are_refused(app, peer, headers):
    with TestClient(app, client=peer) as c:
        r = c.get("/metrics", headers=headers)
    assert r.status_code == 403 and "PRESCREEN_METRICS_TOKEN" in r.json()["detail"]
    assert "prescreen_" not in r.text


def test_a_session_is_no_ticket_to_the_metrics(app, people):
    with TestClient(app, client=("10.1.2.3", 41006)) as c:
        login(c, "admin")
        assert c.get("/api/me").status_code == 200  # logged in, yet
        assert c.get("/metrics").status_code == 403
        assert c.get("/metrics", headers=people["admin"].auth).status_code == 403


def test_with_a_token_every_scrape_needs_it(with_token, people):
    with TestClient(with_token, client=("10.1.2.3", 41007)) as remote:
        r = remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and "prescreen_tasks_succeeded_total" in r.text
        assert remote.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
        for sent in ({}, {"Authorization": "Bearer wrong-token-0123456789abcdef"}, {"Authorization": TOKEN},
                     {"Authorization": f"Basic {TOKEN}"}, people["admin"].auth):  # a user's API token is not it
            refused = remote.get("/metrics", headers=sent)
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer", sent
    with TestClient(with_token, client=("127.0.0.1", 41008)) as local:  # being local no longer suffices
        assert local.get("/metrics").status_code == 401
        assert local.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_with_a_broker_each_scrape_asks_it_for_the_queue_depth(wb_home, monkeypatch):
    monkeypatch.setenv("PRESCREEN_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setenv("PRESCREEN_METRICS_BROKER_TIMEOUT_S", "1")
    application = _app(wb_home)
    try:
        with TestClient(application, client=("127.0.0.1", 41009)) as c:
            r = c.get("/metrics")
        assert r.status_code == 200
        assert values(r.text)[("prescreen_broker_up", ())] == 0.0  # the scrape answers; the broker is down
    finally:
        application.state.workbench.processor.shutdown()


def test_metrics_stay_out_of_the_api_document(app):
    assert "/metrics" not in app.openapi()["paths"]


def test_production_refuses_a_short_metrics_token():
    with pytest.raises(InsecureSettings):
        WebSettings(env=Env.PRODUCTION, secret_key=SECRET, metrics_token="short").checked()
    assert WebSettings(env=Env.PRODUCTION, secret_key=SECRET, metrics_token=TOKEN).checked()
    assert WebSettings(metrics_token="").metrics_token is None  # an empty variable is unset
