"""Rule sets: versioned TOML files, validated at load, chosen by application date."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

RULESET_DIR = Path(__file__).parent / "rulesets"
DEFAULT_RULESET = "ningbo-2018"
_REQUIRED_THRESHOLDS = ("min_years_registered", "min_smes_served", "min_small_micro_share", "min_partner_institutions",
                        "min_public_welfare_share", "min_categories", "share_tolerance", "low_confidence",
                        "ningbo_area_prefix")


class RuleSetError(Exception):
    """A rule-set file is missing or malformed."""


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: str
    effective_from: date
    effective_to: date | None
    thresholds: dict[str, float | int | str]
    materials: dict[str, tuple[str, ...]]
    articles: dict[str, str]

    def t(self, name: str):  # noqa: ANN201 - thresholds are numbers or strings by name
        return self.thresholds[name]


def load_ruleset(ruleset_id: str, directory: Path = RULESET_DIR) -> RuleSet:
    path = directory / f"{ruleset_id}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.toml")))
        raise RuleSetError(f"未知规则集 {ruleset_id}（可用：{known}） / unknown rule set {ruleset_id} (known: {known})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise RuleSetError(f"规则集文件格式错误 / malformed rule set {path}: {e}") from e
    missing = [k for k in _REQUIRED_THRESHOLDS if k not in raw.get("thresholds", {})]
    if missing or raw.get("id") != ruleset_id:
        raise RuleSetError(f"规则集 {path} 不完整 / rule set {path} incomplete: missing {missing or 'id'}")
    return RuleSet(
        id=raw["id"], title=raw.get("title", raw["id"]), effective_from=raw["effective_from"],
        effective_to=raw.get("effective_to"), thresholds=dict(raw["thresholds"]),
        materials={k: tuple(v) for k, v in raw["materials"].items()}, articles=dict(raw.get("articles", {})),
    )


def ruleset_for(day: date | None, directory: Path = RULESET_DIR) -> RuleSet:
    """The rule set in force on `day` (the latest that started on or before it); the default when unknown."""
    sets = [load_ruleset(p.stem, directory) for p in sorted(directory.glob("*.toml"))]
    if day is not None:
        live = [s for s in sets if s.effective_from <= day and (s.effective_to is None or day <= s.effective_to)]
        if live:
            return max(live, key=lambda s: s.effective_from)
    return load_ruleset(DEFAULT_RULESET, directory)
