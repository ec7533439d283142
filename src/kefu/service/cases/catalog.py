"""The case types and SLA policy a center starts with, and each site's business calendar.

Admins will define their own types and targets; until then these cover seed 002/003's
cases: an inquiry, a complaint (root cause and resolution required), a fault and a mortgage
application. Targets are business seconds, tighter for higher value tiers (tier 2 = high
value). A site without a calendar of its own works Monday to Friday 09:00–18:00 in its
time zone.
"""

from __future__ import annotations

from collections.abc import Mapping

from kefu.domain.calendar import BusinessCalendar
from kefu.domain.cases import (
    CaseKind,
    CaseType,
    FieldKind,
    FieldSpec,
    SlaPolicy,
    SlaTargets,
)

__all__ = ["DEFAULT_HOURS", "DEFAULT_POLICY", "DEFAULT_TYPES", "site_calendar"]

H = 3600.0
DEFAULT_HOURS = "09:00-18:00"

DEFAULT_TYPES: tuple[CaseType, ...] = (
    CaseType("inquiry", CaseKind.INQUIRY, "Inquiry", "咨询"),
    CaseType(
        "complaint",
        CaseKind.COMPLAINT,
        "Complaint",
        "投诉",
        (FieldSpec("product", FieldKind.TEXT, "Product", "产品"),),
    ),
    CaseType(
        "fault",
        CaseKind.FAULT,
        "Fault",
        "故障",
        (FieldSpec("device", FieldKind.TEXT, "Device or line", "设备或线路"),),
    ),
    CaseType(
        "mortgage",
        CaseKind.APPLICATION,
        "Mortgage application",
        "房贷申请",
        (
            FieldSpec("amount", FieldKind.NUMBER, "Amount", "金额"),
            FieldSpec("branch", FieldKind.TEXT, "Branch", "网点"),
        ),
    ),
)

DEFAULT_POLICY = SlaPolicy(
    {
        "inquiry": {0: SlaTargets(4 * H, 2 * 9 * H), 2: SlaTargets(1 * H, 9 * H)},
        "complaint": {0: SlaTargets(4 * H, 3 * 9 * H), 2: SlaTargets(1 * H, 9 * H)},
        "fault": {0: SlaTargets(2 * H, 2 * 9 * H), 2: SlaTargets(1 * H, 9 * H)},
        "mortgage": {0: SlaTargets(9 * H, 10 * 9 * H), 2: SlaTargets(2 * H, 3 * 9 * H)},
    }
)
"""A high-value customer's mortgage application is resolved within three working days."""


def site_calendar(
    time_zone: str, calendars: Mapping[str, BusinessCalendar], site_id: str
) -> BusinessCalendar:
    """The site's own calendar, else weekdays :data:`DEFAULT_HOURS` in ``time_zone``."""
    own = calendars.get(site_id)
    return own if own is not None else BusinessCalendar.weekdays(time_zone, DEFAULT_HOURS)
