"""The case wing: cases tracked to resolution across contacts, channels and back-office
departments, with business-time SLA clocks on the engine's timers and case tasks routed as
``workitem`` contacts; the customer's timeline across channels.

Its modules are imported on first use (:mod:`kefu.service._lazy`); callers outside the
service import the names below, not the modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.service._lazy import lazy_names

if TYPE_CHECKING:
    from kefu.service.cases.catalog import DEFAULT_POLICY, DEFAULT_TYPES
    from kefu.service.cases.commands import (
        AddCaseNote,
        AssignCase,
        CaseSlaDue,
        LinkToCase,
        MoveCase,
        OpenCase,
        RouteCaseTask,
        UpdateCase,
    )
    from kefu.service.cases.reports import ComplaintRow, ComplaintsReport, complaints_report
    from kefu.service.cases.store import CaseStore
    from kefu.service.cases.survey_commands import (
        AnswerSurvey,
        SetSurveyConsent,
        SurveyOptions,
        SurveyView,
    )
    from kefu.service.cases.survey_report import CsatFigures, CsatReport, CsatRow, csat_report
    from kefu.service.cases.surveys import SurveyIntake, SurveyWing
    from kefu.service.cases.timeline import (
        CaseItem,
        CaseNoteItem,
        ContactItem,
        CustomerTimeline,
        SurveyItem,
        TimelineItem,
        customer_timeline,
        read_customer_timeline,
    )
    from kefu.service.cases.value import (
        CustomerOverview,
        CustomerValue,
        SegmentKeeper,
        SegmentValue,
        ValueReport,
        customer_overview,
        customer_value,
        value_report,
    )
    from kefu.service.cases.views import LIST_LIMIT, case_public, check_case, list_cases
    from kefu.service.cases.wing import CaseWing, Notice

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_TYPES",
    "LIST_LIMIT",
    "AddCaseNote",
    "AnswerSurvey",
    "AssignCase",
    "CaseItem",
    "CaseNoteItem",
    "CaseSlaDue",
    "CaseStore",
    "CaseWing",
    "ComplaintRow",
    "ComplaintsReport",
    "ContactItem",
    "CsatFigures",
    "CsatReport",
    "CsatRow",
    "CustomerOverview",
    "CustomerTimeline",
    "CustomerValue",
    "LinkToCase",
    "MoveCase",
    "Notice",
    "OpenCase",
    "RouteCaseTask",
    "SegmentKeeper",
    "SegmentValue",
    "SetSurveyConsent",
    "SurveyIntake",
    "SurveyItem",
    "SurveyOptions",
    "SurveyView",
    "SurveyWing",
    "TimelineItem",
    "UpdateCase",
    "ValueReport",
    "case_public",
    "check_case",
    "complaints_report",
    "csat_report",
    "customer_overview",
    "customer_timeline",
    "customer_value",
    "list_cases",
    "read_customer_timeline",
    "value_report",
]

_COMMANDS = (
    "AddCaseNote AssignCase CaseSlaDue LinkToCase MoveCase OpenCase RouteCaseTask UpdateCase"
)

if not TYPE_CHECKING:  # for mypy, the names are the imports above
    __getattr__ = lazy_names(
        __name__,
        {
            "DEFAULT_POLICY": ".catalog",
            "DEFAULT_TYPES": ".catalog",
            "CaseStore": ".store",
            "complaints_report": ".reports",
            "ComplaintRow": ".reports",
            "ComplaintsReport": ".reports",
            "CaseWing": ".wing",
            "Notice": ".wing",
            "csat_report": ".survey_report",
            **dict.fromkeys(["CsatFigures", "CsatReport", "CsatRow"], ".survey_report"),
            **dict.fromkeys(
                (
                    "CustomerOverview",
                    "CustomerValue",
                    "SegmentKeeper",
                    "SegmentValue",
                    "ValueReport",
                    "customer_overview",
                ),
                ".value",
            ),
            "customer_value": ".value",
            "value_report": ".value",
            **dict.fromkeys(
                [
                    "CaseItem",
                    "CaseNoteItem",
                    "ContactItem",
                    "CustomerTimeline",
                    "SurveyItem",
                    "TimelineItem",
                    "customer_timeline",
                    "read_customer_timeline",
                ],
                ".timeline",
            ),
            **dict.fromkeys(
                ["AnswerSurvey", "SetSurveyConsent", "SurveyOptions", "SurveyView"],
                ".survey_commands",
            ),
            "SurveyIntake": ".surveys",
            "SurveyWing": ".surveys",
            **dict.fromkeys(_COMMANDS.split(), ".commands"),
            **dict.fromkeys(
                ("LIST_LIMIT", "case_public", "check_case", "list_cases"),
                ".views",
            ),
        },
    )
