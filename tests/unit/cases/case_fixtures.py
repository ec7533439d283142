"""Case types, calendars and policies shared by the case tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases import (
    CaseBook,
    CaseKind,
    CaseType,
    FieldKind,
    FieldSpec,
    SlaPolicy,
    SlaTargets,
)

H = 3600.0
SHANGHAI = "Asia/Shanghai"

INQUIRY = CaseType("inquiry", CaseKind.INQUIRY, "Inquiry", "咨询")
COMPLAINT = CaseType(
    "complaint",
    CaseKind.COMPLAINT,
    "Complaint",
    "投诉",
    (FieldSpec("product", FieldKind.CHOICE, "Product", "产品", True, ("card", "loan")),),
)
MORTGAGE = CaseType(
    "mortgage",
    CaseKind.APPLICATION,
    "Mortgage application",
    "房贷申请",
    (
        FieldSpec("amount", FieldKind.NUMBER, "Amount", "金额", required=True),
        FieldSpec("branch", FieldKind.TEXT, "Branch", "网点"),
        FieldSpec("signed_on", FieldKind.DATE, "Signed on", "签约日期"),
        FieldSpec("urgent", FieldKind.FLAG, "Urgent", "加急"),
    ),
)
TYPES = (INQUIRY, COMPLAINT, MORTGAGE)

POLICY = SlaPolicy(
    {
        "inquiry": {0: SlaTargets(2 * H, 8 * H)},
        "complaint": {0: SlaTargets(4 * H, 16 * H), 2: SlaTargets(1 * H, 8 * H)},
        "mortgage": {0: SlaTargets(8 * H, 40 * H), 2: SlaTargets(2 * H, 16 * H)},
    }
)


def shanghai_weekdays() -> BusinessCalendar:
    return BusinessCalendar.weekdays(SHANGHAI, "09:00-12:00,13:00-18:00")


def at(*parts: int, zone: str = SHANGHAI) -> float:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).timestamp()  # type: ignore[arg-type,misc]


def book() -> CaseBook:
    return CaseBook(TYPES)
