"""What is true about a synthetic package: the spec every renderer and the truth writer read.

Frozen dataclasses only; plan.py builds them, documents.py turns them into content blocks.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

RULE_IDS = ["M-FORM", "M-REPORT", "M-LICENSE", "M-PREMISES", "M-EQUIPMENT", "M-STAFF", "M-DECLARATION",
            "M-AGREEMENTS", "M-SELF-EVAL", "M-QUALIFICATION", "E-ENTITY", "E-NINGBO", "E-AGE", "E-CATEGORY", "E-SMES",
            "E-SMALL-MICRO", "E-PREMISES", "E-PARTNERS", "E-PUBLIC-WELFARE", "X-NAME", "X-USCC", "X-ESTABLISHED",
            "X-LEGAL-REP", "X-SMES", "X-SMALL-MICRO", "X-PUBLIC-WELFARE", "X-PARTNERS"]
CATEGORIES = ["信息咨询", "技术创新", "人才培训", "市场拓展", "管理咨询", "质量管理", "创业辅导", "信息化应用"]
CERT_ONLY_RULES = ["M-AGREEMENTS", "M-SELF-EVAL", "M-QUALIFICATION", "E-AGE", "E-SMES", "E-SMALL-MICRO", "E-PARTNERS",
                   "E-PUBLIC-WELFARE", "X-SMES", "X-SMALL-MICRO", "X-PUBLIC-WELFARE", "X-PARTNERS"]
MATERIAL_RULE = {"form": "M-FORM", "report": "M-REPORT", "licence": "M-LICENSE", "premises": "M-PREMISES",
                 "equipment": "M-EQUIPMENT", "staff": "M-STAFF", "declaration": "M-DECLARATION",
                 "agreements": "M-AGREEMENTS", "selfeval": "M-SELF-EVAL", "qualification": "M-QUALIFICATION"}


class Kind(str, Enum):
    CULTIVATION = "cultivation"
    CERTIFICATION = "certification"


class Profile(str, Enum):
    FULL = "full"
    QUICK = "quick"


@dataclass(frozen=True)
class Company:
    name: str
    uscc: str
    legal_rep: str
    address: str
    established_on: dt.date
    capital_wan: int
    term_end: dt.date | None  # None = 长期
    company_type: str = "有限责任公司(自然人投资或控股)"


@dataclass(frozen=True)
class ClientRow:
    name: str
    uscc: str
    size: str  # 大型/中型/小型/微型
    service: str
    date: dt.date
    fee: int
    public_welfare: bool


@dataclass(frozen=True)
class Agreement:
    partner: str
    partner_uscc: str
    start: dt.date
    end: dt.date
    signed: dt.date
    service: str


@dataclass(frozen=True)
class Premises:
    kind: str  # lease / property
    lessor: str
    lessee: str
    address: str
    area_m2: int
    start: dt.date
    end: dt.date | None
    rent_yuan: int


@dataclass(frozen=True)
class Staff:
    name: str
    role: str
    title: str
    education: str
    phone: str


@dataclass(frozen=True)
class Equipment:
    name: str
    model: str
    qty: int
    unit: str
    bought: dt.date
    amount_wan: float
    purpose: str


@dataclass(frozen=True)
class FormValues:
    """What the form declares (may differ from the licence when a defect is planted)."""
    name: str
    uscc: str
    legal_rep: str
    address: str
    established_on: dt.date
    smes_served: int
    small_micro_share: float
    public_welfare_share: float
    partner_institutions: int
    staff_count: int
    area_m2: int
    contact: str
    phone: str


@dataclass(frozen=True)
class Variants:
    """Presentation choices recorded in truth `variants`."""
    fonts: tuple[str, ...]
    labels: dict
    num: str
    ratio: str
    date: str
    report_numbers: str
    check: str
    file_names: str
    table_lines: str
    repeat_header: bool
    form_layout: str
    size_words: str
    pw_words: str
    list_date: str
    client_headers: dict
    toc: bool
    cumulative_distractor: bool
    selfeval_target_table: bool
    xlsx_total_row: bool
    merged_agreements: bool
    clients_in_report: bool


@dataclass(frozen=True)
class DocPlan:
    """One file to write: which material(s), the format and the font."""
    materials: tuple[str, ...]
    filename: str
    fmt: str  # docx pdf xlsx scan150/200/300 jpg200 png200 tiff200 photo jpg png scanpdf200
    font: str
    agreements: tuple[int, ...] = ()  # indexes into spec.agreements for agreement files
    exif_rotate: bool = False


@dataclass(frozen=True)
class Defect:
    id: str
    rules: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class PackageSpec:
    id: str
    seed: int
    profile: Profile
    kind: Kind
    application_date: dt.date
    delivery: str  # folder / zip / zip_gbk
    licence: Company
    form: FormValues
    categories: tuple[str, ...]
    clients: tuple[ClientRow, ...]
    agreements: tuple[Agreement, ...]
    premises: Premises
    staff: tuple[Staff, ...]
    equipment: tuple[Equipment, ...]
    report_states_smes: int | None
    selfeval_states_smes: int | None
    cumulative_smes: int | None
    target_smes: int | None
    service_year: int
    variants: Variants
    docs: tuple[DocPlan, ...]
    defects: tuple[Defect, ...]
    traps: tuple[str, ...]
    hard: bool
    review_ok_rules: tuple[str, ...] = field(default=())
