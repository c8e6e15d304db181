"""The workbench in a real headless Chromium (the system's /usr/bin/chromium, driven by Playwright): log in,
upload a sample package and watch it finish, open a flag, see the highlighted evidence on the page image,
dismiss it with a reason, find the decision in the audit log. Saves docs/screenshots/queue.png and evidence.png.

Needs the Debian packages chromium and chromium-driver (scripts/setup.sh installs them); under CI=true a
missing browser fails the test instead of skipping it.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, generated_package

pytestmark = [pytest.mark.browser, pytest.mark.ocr]  # the generated package's licence is an image
CHROMIUM = Path(os.environ.get("PRESCREEN_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(app, people) -> Iterator[str]:
    """The app on a real port (uvicorn in a thread of this process: same database, same processing thread)."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists() or shutil.which("chromedriver") is None:
        message = f"{CHROMIUM} or chromedriver missing: apt-get install chromium chromium-driver (scripts/setup.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield b
        b.close()


def test_an_officer_works_a_flag_end_to_end(server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20_000)

    # Log in (the page asked for comes back after it).
    page.goto(f"{server}/upload")
    expect(page).to_have_url(f"{server}/login?next=/upload")
    page.fill("input[name=username]", "yinzhou")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server}/upload")

    # Upload the sample package as several files; the progress bar fills, then processing goes live.
    files = [str(p) for p in generated_package().files]
    page.set_input_files("#files", files)
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-pct")).to_have_text("100%")
    expect(page.locator("#processing")).to_be_visible(timeout=60_000)
    # Meanwhile the package is in the list at once, and its row advances without a reload.
    listing = context.new_page()  # same session
    listing.goto(f"{server}/packages")
    row = listing.locator("#packages tr[data-package]", has_text="鄞州区")
    expect(row).to_have_count(1)
    expect(row.locator(".live-verdict")).to_have_text("需人工复核", timeout=240_000)
    listing.close()
    expect(page.locator("#report-link")).to_be_visible(timeout=240_000)
    expect(page.locator("#pkg-state")).to_have_text("完成")
    expect(page.locator("#pkg-docs li.doc-extracted")).to_have_count(len(files))
    assert "需人工复核" in page.inner_text("#pkg-result")

    # The report: verdict, facts, rules with articles, the materials checklist.
    page.click("#report-link")
    expect(page.locator("#verdict")).to_have_text("需人工复核")
    expect(page.locator("table.rules")).to_contain_text("第9.3, 15.3条")
    expect(page.locator("table.materials")).to_contain_text(generated_package().file_of("licence"))

    # The queue, oldest first; open the legal-representative flag.
    page.goto(f"{server}/queue")
    row = page.locator("#queue tr", has_text="X-LEGAL-REP")
    expect(row).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)
    row.locator("a.flag-link").click()

    # Declared against observed, and each cited document side by side with its box on the page image.
    on_form, on_licence = (generated_package().truth[k]["applicant.legal_representative"] for k in ("declared", "observed"))
    expect(page.locator("#declared")).to_have_text(on_form)
    expect(page.locator("#observed")).to_have_text(on_licence)
    docs = page.locator(".evidence-doc")
    expect(docs).to_have_count(2)
    page.wait_for_function("[...document.querySelectorAll('.page-view img')].every(i => i.complete && i.naturalWidth > 0)")
    left, right = docs.nth(0).bounding_box(), docs.nth(1).bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and right["x"] >= left["x"] + left["width"]  # side by side
    placed = page.request.get(page.url.replace(server, f"{server}/api")).json()["evidence"]  # the same session
    for i in range(2):
        view = docs.nth(i).locator(".page-view")
        img, box = view.locator("img").bounding_box(), view.locator(".evidence-box").bounding_box()
        want = placed[i]["box"]  # bbox × scale, in % of the image: where the words are on the page
        assert (box["x"] + 5 - img["x"]) / img["width"] * 100 == pytest.approx(want["left"], abs=0.5)
        assert (box["y"] + 5 - img["y"]) / img["height"] * 100 == pytest.approx(want["top"], abs=0.5)
        assert (box["width"] - 10) / img["width"] * 100 == pytest.approx(want["width"], abs=0.5)
        assert box is not None and box["width"] > 4 and box["height"] > 4
        slack = 8  # the frame stands 5px clear of the words
        inside = (img["x"] - slack <= box["x"] and box["x"] + box["width"] <= img["x"] + img["width"] + slack
                  and img["y"] - slack <= box["y"] and box["y"] + box["height"] <= img["y"] + img["height"] + slack)
        assert inside, (img, box)
        assert box["width"] < img["width"] / 2  # a word's box, not the page
    expect(page.locator("q.quote").nth(0)).to_have_text(on_form)
    expect(page.locator("q.quote").nth(1)).to_have_text(on_licence)
    page.locator(".evidence-row").screenshot(path=str(SCREENSHOTS / "evidence.png"))

    # Dismiss with a reason.
    reason = f"法定代表人已于申报前变更为{on_form}，见变更登记通知书"
    page.fill("#dismiss-reason", reason)
    page.click("#dismiss-btn")
    expect(page.locator("#current-decision")).to_contain_text("已排除")
    expect(page.locator("#current-decision")).to_contain_text(reason)

    # The decision is in the package's audit log, attributed.
    page.locator(".crumbs a").nth(1).click()  # back to the package
    page.click("p.actions >> text=审计日志")
    audit_row = page.locator("#audit tr", has_text="处理标记")
    expect(audit_row).to_have_count(1)
    expect(audit_row).to_contain_text("yinzhou")
    expect(audit_row).to_contain_text(reason)
    expect(page.locator("#audit tr", has_text="接收申报包")).to_have_count(1)
    context.close()
    assert (SCREENSHOTS / "queue.png").stat().st_size > 10_000 and (SCREENSHOTS / "evidence.png").stat().st_size > 10_000
