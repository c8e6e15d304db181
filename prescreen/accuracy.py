"""Accuracy on a generated corpus: fact accuracy per SPEC fact, planted discrepancies caught, false flags.

    python -m prescreen.accuracy --count 40 --seed 1            # generate (once) and score
    python -m prescreen.accuracy --truth var/corpus/truth.json  # score an existing corpus

Scoring follows ../shared/acceptance/score.py (same truth format, same normalisation), but
runs the pipeline in process so a 40-package corpus needs no 40 interpreter start-ups.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

from prescreen.accuracy_sources import by_source, print_by_source
from prescreen.settings import AppSettings

RANK = {"fail": 3, "review": 2, "pass": 1, "not_applicable": 0}
# The rules that read each fact: a wrong value is "flagged" when one of them says review or fail,
# so an officer looks; a wrong value none of them flags went through silently. (A value not
# found at all is no wrong value: the rules then decide on other evidence or say review.)
FACT_RULES = {
    "applicant.name": ("X-NAME",), "applicant.uscc": ("X-USCC", "E-ENTITY", "E-NINGBO"),
    "applicant.legal_representative": ("X-LEGAL-REP",), "applicant.address": ("E-NINGBO",),
    "applicant.established_on": ("X-ESTABLISHED", "E-AGE"), "service.categories": ("E-CATEGORY",),
    "service.smes_served": ("X-SMES", "E-SMES"), "service.small_micro_share": ("X-SMALL-MICRO", "E-SMALL-MICRO"),
    "service.public_welfare_share": ("X-PUBLIC-WELFARE", "E-PUBLIC-WELFARE"),
    "service.partner_institutions": ("X-PARTNERS", "E-PARTNERS"),
    "premises.lessee": ("E-PREMISES",), "premises.lease_end": ("E-PREMISES",),
}


def _n(s: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(s)).split()).replace("【", "(").replace("】", ")")


def _addr(s: Any) -> str:
    s = _n(s)
    for p in ("中国", "浙江省"):
        s = s[len(p):] if s.startswith(p) else s
    return s


def fact_equal(fact: str, got: Any, want: Any, alts: list[Any]) -> bool:
    if got is None:
        return False
    if fact.endswith("_share"):
        return isinstance(got, (int, float)) and any(abs(got - w) <= 0.005 + 1e-9 for w in [want, *alts])
    if fact == "applicant.address":
        return _addr(got) == _addr(want)
    if fact == "service.categories":
        return set(got) == set(want)
    if fact in ("service.smes_served", "service.partner_institutions"):
        return got == want
    return _n(got) == _n(want)


def score(report: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    outcomes: dict[str, str] = {}
    for f in report["findings"]:
        if RANK[f["outcome"]] > RANK.get(outcomes.get(f["rule"], ""), -1):
            outcomes[f["rule"]] = f["outcome"]
    facts = {}
    for section in ("declared", "observed"):
        got_section = report.get(section, {})
        for fact, want in truth[section].items():
            if want is None:
                continue
            got = got_section.get(fact)
            got = got.get("value") if isinstance(got, dict) else got
            alts = truth.get("observed_alt", {}).get(fact, []) if section == "observed" else []
            facts[f"{section}:{fact}"] = (fact_equal(fact, got, want, alts), got, want)
    silent = [k for k, (ok, g, _w) in facts.items() if not ok and g is not None and k.split(":", 1)[1] in FACT_RULES
              and not any(outcomes.get(rid) in ("review", "fail") for rid in FACT_RULES[k.split(":", 1)[1]])]
    rules = {}
    for rid, spec in truth["rules"].items():
        got = outcomes.get(rid, "absent")
        rules[rid] = (spec["expected"], got, got in spec["accept"])
    return {"facts": facts, "rules": rules, "silent_wrong": silent, "verdict": (truth["verdict"]["expected"], report["verdict"],
                                                        report["verdict"] in truth["verdict"]["accept"])}


def print_summary(results: list[tuple[str, dict[str, Any]]], seconds: list[float]) -> dict[str, Any]:
    per_fact: dict[str, list[int]] = {}
    planted = caught = passes = false_flags = review_on_pass = verdict_ok = silent = wrong_facts = 0
    for pid, r in results:
        wrong = [f"{k}: want {w!r} got {g!r}" for k, (ok, g, w) in r["facts"].items() if not ok]
        missed = [rid for rid, (e, g, ok) in r["rules"].items() if e == "fail" and not ok]
        flags = [rid for rid, (e, g, ok) in r["rules"].items() if e == "pass" and g == "fail"]
        reviews = [rid for rid, (e, g, ok) in r["rules"].items() if e == "pass" and g == "review"]
        exp_v, got_v, ok_v = r["verdict"]
        print(f"{pid:6} verdict {'ok' if ok_v else 'XX'} exp={exp_v:<12} got={got_v:<12} missed: {','.join(missed) or '-'}"
              f"  false: {','.join(flags) or '-'}  review: {','.join(reviews) or '-'}")
        for w in wrong:
            print(f"         {w}")
        for k in r.get("silent_wrong", []):
            print(f"         SILENT: {k} is a wrong value and no rule that reads it says review or fail")
        for k, (ok, _g, _w) in r["facts"].items():
            c = per_fact.setdefault(k, [0, 0])
            c[0] += ok
            c[1] += 1
        for _rid, (e, g, ok) in r["rules"].items():
            if e == "fail":
                planted += 1
                caught += ok
            elif e == "pass":
                passes += 1
                false_flags += g == "fail"
                review_on_pass += g == "review"
        verdict_ok += ok_v
        silent += len(r.get("silent_wrong", []))
        wrong_facts += len(wrong)
    print("\nfact accuracy (correct/total):")
    for k in sorted(per_fact, key=lambda k: (not k.startswith("declared"), k)):
        ok, tot = per_fact[k]
        print(f"  {k:45} {ok:3}/{tot:<3} {ok / tot:.2f}")
    n = len(results)
    secs = sorted(seconds)
    median = secs[len(secs) // 2] if secs else 0.0
    totals = {"packages": n, "planted": planted, "caught": caught, "pass_rules": passes, "false_flags": false_flags,
              "review_on_pass": review_on_pass, "verdict_ok": verdict_ok, "wrong_facts": wrong_facts,
              "silent_wrong_facts": silent, "median_seconds": round(median, 1),
              "min_fact_accuracy": min((ok / tot for ok, tot in per_fact.values()), default=1.0)}
    print(f"\nplanted discrepancies caught {caught}/{planted}; false flags {false_flags}/{passes} pass rules "
          f"(review on pass rules {review_on_pass}); verdicts {verdict_ok}/{n}; "
          f"lowest per-fact accuracy {totals['min_fact_accuracy']:.2f}; median {median:.1f} s/package")
    print(f"wrong or missing facts {wrong_facts}; wrong values no rule flags (silent) {silent}")
    return totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--truth", help="existing corpus truth.json (skips generation)")
    ap.add_argument("--out", help="corpus folder (default var/corpus-SEED-COUNT)")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="full", choices=["full", "quick"])
    ap.add_argument("--only", help="comma-separated package ids")
    ap.add_argument("--json-out", help="write per-package results here")
    a = ap.parse_args(argv)
    if a.truth:
        truth_path = Path(a.truth)
    else:
        out = Path(a.out or f"var/corpus-{a.seed}-{a.count}")
        truth_path = out / "truth.json"
        if not truth_path.exists():
            from synth.corpus import generate_corpus

            print(f"generating {a.count} packages into {out} …", file=sys.stderr)
            generate_corpus(out, a.count, a.seed, a.profile)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    packages = truth["packages"]
    if a.only:
        wanted = set(a.only.split(","))
        packages = [p for p in packages if p["id"] in wanted]
    from prescreen.pipeline import check_package

    os.environ.setdefault("PRESCREEN_HOME", tempfile.mkdtemp(prefix="prescreen-accuracy-"))
    settings = AppSettings.from_env()
    results, seconds = [], []
    for i, p in enumerate(packages, 1):
        t0 = time.monotonic()
        report = check_package(truth_path.parent / p["path"], settings)
        seconds.append(time.monotonic() - t0)
        print(f"[{i}/{len(packages)}] {p['id']} {seconds[-1]:.1f}s", file=sys.stderr)
        results.append((p["id"], score(report, p)))
    totals = print_summary(results, seconds)
    sources = by_source(results, {p["id"]: p for p in packages})
    print_by_source(sources)
    totals["by_source"] = {g: {"correct": ok, "total": tot} for g, (ok, tot) in sources.items()}
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"totals": totals, "packages": {pid: {
            "facts": {k: v[0] for k, v in r["facts"].items()}, "rules": r["rules"], "verdict": r["verdict"],
            "silent_wrong": r["silent_wrong"]}
            for pid, r in results}}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
