"""The OCR benchmark's cheap parts: CER, degradation settings, truth text of drawn images, tables, options.

No OCR runs here (the benchmark itself is `python -m benchmarks.ocr`); every input is built in the test.
"""
from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from benchmarks.cer import bag_errors, cer, comparable, edit_distance
from benchmarks.ocr import DEFAULT_SETTINGS, parse_args
from benchmarks.samples import _recording_text, drawn_text
from benchmarks.scans import SKEW_DEG, degrade_page
from benchmarks.tables import PageResult, compare_rows, cost_rows, render, stats


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@pytest.mark.parametrize(("a", "b", "d"), [("kitten", "sitting", 3), ("", "宁波", 2), ("宁波市", "宁波市", 0),
                                           ("宁波市鄞州区", "宁彼市鄞州", 2), ("ab", "ba", 2)])
def test_edit_distance_known_pairs(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == edit_distance(b, a) == d


def test_edit_distance_matches_the_textbook_recurrence() -> None:
    rng = random.Random(3)
    for _ in range(200):
        a, b = ("".join(rng.choice("宁波12ab") for _ in range(rng.randint(0, 15))) for _ in range(2))
        assert edit_distance(a, b) == _levenshtein(a, b)
        assert bag_errors(a, b) <= edit_distance(a, b)  # order-free count is a lower bound


def test_cer_ignores_whitespace_and_width() -> None:
    assert comparable(" 宁 波\n市　１２Ａ ") == "宁波市12A"
    assert cer("宁 波 市\n一二", "宁波市一二") == 0.0
    assert cer("宁波市", "宁波市鄞州区") == pytest.approx(3 / 6)
    assert cer("", "") == 0.0
    assert bag_errors("甲乙丙", "丙乙甲") == 0 and edit_distance("甲乙丙", "丙乙甲") == 2


@pytest.fixture(scope="module")
def page() -> Image.Image:
    img = Image.new("RGB", (300, 400), "white")
    ImageDraw.Draw(img).rectangle([10, 10, 60, 40], fill="black")  # a mark in the top-left corner
    return img


def _decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def test_clean_is_the_page_itself(page: Image.Image) -> None:
    s = degrade_page(page, "clean", 200, random.Random(1))
    assert s.ext == ".png" and s.size == page.size and (s.skew, s.turn) == (0.0, 0)
    assert np.array_equal(_decode(s.data), np.asarray(page.convert("L")))


def test_rotated_scan_keeps_the_size_and_skews_within_range(page: Image.Image) -> None:
    s = degrade_page(page, "rotated", 200, random.Random(1))
    assert s.ext == ".jpg" and s.size == page.size == Image.open(io.BytesIO(s.data)).size
    assert SKEW_DEG[0] <= abs(s.skew) <= SKEW_DEG[1] and s.turn == 0 and 35 <= s.quality <= 85
    assert s == degrade_page(page, "rotated", 200, random.Random(1))  # deterministic per rng state


@pytest.mark.parametrize(("turn", "mark_at"), [(90, "bottom-left"), (180, "bottom-right")])
def test_turned_scan_is_stored_a_quarter_or_half_turn_round(page: Image.Image, turn: int, mark_at: str) -> None:
    s = degrade_page(page, "turned", 200, random.Random(2), turn=turn)
    w, h = page.size
    assert s.size == ((h, w) if turn == 90 else (w, h)) and s.turn == turn
    g = _decode(s.data)
    corners = {"bottom-left": g[-60:, :60], "bottom-right": g[-60:, -60:], "top-left": g[:60, :60]}
    assert corners[mark_at].mean() < corners["top-left"].mean() - 40  # the mark went round with the page


def test_photo_puts_the_page_on_a_desk(page: Image.Image) -> None:
    s = degrade_page(page, "photo", 200, random.Random(1))
    assert s.ext == ".jpg" and s.size[0] > page.width and s.size[1] > page.height


def test_unknown_variant_and_turn_are_refused(page: Image.Image) -> None:
    with pytest.raises(ValueError):
        degrade_page(page, "fax", 200, random.Random(1))
    with pytest.raises(ValueError):
        degrade_page(page, "turned", 200, random.Random(1), turn=45)


def test_drawn_text_in_reading_order_without_the_red_seal() -> None:
    from synth.fonts import pil

    calls: list = []
    img = Image.new("RGB", (600, 300), "white")
    original = ImageDraw.ImageDraw.text
    with _recording_text(calls):
        d = ImageDraw.Draw(img)
        d.text((300, 100), "住所", font=pil("wqy-zenhei", 30), fill=(30, 30, 30))
        d.text((20, 102), "名称", font=pil("wqy-zenhei", 30), fill=(30, 30, 30))  # same row, a little lower
        d.text((20, 20), "营业执照", font=pil("wqy-zenhei", 60), fill=(30, 30, 30))
        d.text((40, 40), "局", font=pil("wqy-zenhei", 30), fill=(214, 30, 36, 200))  # seal ink
    assert drawn_text(calls) == "营业执照\n名称住所"
    assert ImageDraw.ImageDraw.text is original  # drawing is left as it was


def _r(runner: str, seconds: float, edits: int, facts: tuple = (), **kw) -> PageResult:
    base = dict(dpi=200, variant="rotated", doc_type="form", label="form#1", peak_mb=300.0, truth_chars=100)
    base.update(kw)
    return PageResult(runner, seconds=seconds, edits=edits, bag=edits // 2, facts=facts, **base)  # type: ignore[arg-type]


def test_stats_and_comparison_rows() -> None:
    results = [_r("ours:cascade", 3.0, 6, (("form applicant.name", True), ("form applicant.uscc", False))),
               _r("ours:cascade", 5.0, 14, label="form#2"),
               _r("tesseract-cli", 2.0, 30),
               _r("tesseract-cli", 2.0, 10, label="form#2"),
               PageResult("ours:cascade", 200, "photo", "form", "form#1", error="worker exited")]
    s = stats(r for r in results if r.runner == "ours:cascade")
    assert (s.pages, s.failed, s.cer, s.facts_ok, s.facts_total, s.median_s) == (3, 1, 0.1, 1, 2, 4.0)
    rows = compare_rows(results, ["cascade"], lambda r: (r.variant,), lambda k: [k[0]])
    assert rows[0][:3] == ["cascade", "rotated", "2"]
    assert rows[0][3:] == ["0.100 (0.050)", "0.200 (0.100)", "1/2", "–", "4.00", "2.00", "2.00×",
                           "300", "300"]
    assert rows[1][2] == "1 (1 failed)" and rows[1][3] == "–"


def test_cost_rows_set_each_engine_beside_its_bare_engine_and_bare_tesseract() -> None:
    right, wrong = ("form applicant.name", True), ("form applicant.uscc", False)
    results = [_r("tesseract-cli", 2.0, 0), _r("tesseract-cli", 4.0, 0, label="form#2"),
               _r("rapidocr-bare", 8.0, 0), _r("rapidocr-bare", 8.0, 0, label="form#2"),
               _r("ours:rapid-lines", 3.0, 0, (right, right)), _r("ours:rapid-lines", 4.0, 0, (right, wrong), label="form#2"),
               _r("ours:rapid-lines", 9.0, 0, label="form#3")]  # no bare reading of form#3: left out of the ratios
    (row,) = cost_rows(results, ["rapid-lines"])
    # × bare: pages 3/8 and 4/8 (median 0.44, sums 7/16); × tesseract-cli: 3/2 and 4/4 (median 1.25, sums 7/6).
    assert row == ["rapid-lines", "rapidocr-bare", "0.44×", "0.44×", "1.25×", "1.17×", "3/4", "16.0", "0.19"]
    assert cost_rows(results, ["cascade"]) == []  # no pages of ours: no row


def test_render_plain_and_markdown() -> None:
    rows = [["cascade", "0.050", "1.20×"], ["rapidocr", "0.100", "–"]]
    plain = render(["engine", "CER", "time ×"], rows).splitlines()
    assert plain[0].split() == ["engine", "CER", "time", "×"] and set(plain[1]) <= {"-", " "}
    assert plain[2].startswith("cascade ") and plain[2].endswith("1.20×") and plain[3].endswith("    –")
    assert len({len(line) for line in plain}) == 1  # columns padded to one width
    md = render(["engine", "CER"], [["cascade", "0.050"]], markdown=True).splitlines()
    assert md == ["| engine | CER |", "| --- | --- |", "| cascade | 0.050 |"]


def test_options() -> None:
    assert parse_args([]).settings == DEFAULT_SETTINGS
    assert {d for d, _ in DEFAULT_SETTINGS} == {150, 200, 300}
    assert {v for _, v in DEFAULT_SETTINGS} == {"clean", "rotated", "turned", "photo"}
    assert parse_args(["--quick"]).settings == [(200, "rotated")] and parse_args(["--quick"]).parallel_pages == 0
    a = parse_args(["--dpi", "150,300", "--variants", "clean,photo", "--engines", "cascade", "--docs", "form"])
    assert a.settings == [(150, "clean"), (150, "photo"), (300, "clean"), (300, "photo")]
    assert (a.engines, a.docs, a.pages) == (["cascade"], ["form"], 1)
    assert len(parse_args(["--variants", "clean"]).settings) == 3  # dpi defaults to all three
    for bad in (["--engines", "paddle"], ["--docs", "invoice"], ["--variants", "fax"], ["--dpi", "20"], ["--dpi", "x"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_parallel_check_options() -> None:
    from benchmarks import parallel

    assert parse_args([]).parallel_pages == 8  # a multi-page scan: four unequal pages cannot show half the time
    for bad in (["--pages", "1"], ["--rounds", "0"]):
        with pytest.raises(SystemExit):
            parallel.main(bad)
