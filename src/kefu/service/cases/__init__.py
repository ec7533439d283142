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
    from kefu.service.cases.config_desk import (
        CaseConfigDesk,
        DefineCaseType,
        RetireCaseType,
        SetSiteCalendar,
        UpdateCaseType,
    )
    from kefu.service.cases.contact_map_view import (
        ContactMapReport,
        GroupRow,
        contact_map_report,
        report_csv,
    )
    from kefu.service.cases.need import (
        LIKELY_REASON,
        LikelyReason,
        NeedPredictor,
        labelled_examples,
    )
    from kefu.service.cases.notices import CaseNotice, CaseNotifier
    from kefu.service.cases.reports import ComplaintRow, ComplaintsReport, complaints_report
    from kefu.service.cases.store import CaseStore
    from kefu.service.cases.survey_commands import (
        AnswerSurvey,
        SetSurveyConsent,
        SurveyOptions,
        SurveyView,
    )
    from kefu.service.cases.survey_delivery import SurveyPage
    from kefu.service.cases.survey_report import CsatFigures, CsatReport, CsatRow, csat_report
    from kefu.service.cases.surveys import SurveyIntake, SurveyWing
    from kefu.service.cases.timeline import (
        CaseItem,
        CaseNoteItem,
        ContactItem,
        CustomerTimeline,
        NoticeItem,
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
    from kefu.service.cases.views import (
        LIST_LIMIT,
        agent_teams,
        case_public,
        check_case,
        list_cases,
        team_owners,
    )
    from kefu.service.cases.wing import CaseWing, Notice

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_TYPES",
    "LIKELY_REASON",
    "LIST_LIMIT",
    "AddCaseNote",
    "AnswerSurvey",
    "AssignCase",
    "CaseConfigDesk",
    "CaseItem",
    "CaseNoteItem",
    "CaseNotice",
    "CaseNotifier",
    "CaseSlaDue",
    "CaseStore",
    "CaseWing",
    "ComplaintRow",
    "ComplaintsReport",
    "ContactItem",
    "ContactMapReport",
    "CsatFigures",
    "CsatReport",
    "CsatRow",
    "CustomerOverview",
    "CustomerTimeline",
    "CustomerValue",
    "DefineCaseType",
    "GroupRow",
    "LikelyReason",
    "LinkToCase",
    "MoveCase",
    "NeedPredictor",
    "Notice",
    "NoticeItem",
    "OpenCase",
    "RetireCaseType",
    "RouteCaseTask",
    "SegmentKeeper",
    "SegmentValue",
    "SetSiteCalendar",
    "SetSurveyConsent",
    "SurveyIntake",
    "SurveyItem",
    "SurveyOptions",
    "SurveyPage",
    "SurveyView",
    "SurveyWing",
    "TimelineItem",
    "UpdateCase",
    "UpdateCaseType",
    "ValueReport",
    "agent_teams",
    "case_public",
    "check_case",
    "complaints_report",
    "contact_map_report",
    "csat_report",
    "customer_overview",
    "customer_timeline",
    "customer_value",
    "labelled_examples",
    "list_cases",
    "read_customer_timeline",
    "report_csv",
    "team_owners",
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
            "CaseNotice": ".notices",
            "CaseNotifier": ".notices",
            **dict.fromkeys(
                [
                    "CaseConfigDesk",
                    "DefineCaseType",
                    "RetireCaseType",
                    "SetSiteCalendar",
                    "UpdateCaseType",
                ],
                ".config_desk",
            ),
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
            "ContactMapReport": ".contact_map_view",
            "GroupRow": ".contact_map_view",
            "contact_map_report": ".contact_map_view",
            "report_csv": ".contact_map_view",
            "customer_value": ".value",
            "LIKELY_REASON": ".need",
            "LikelyReason": ".need",
            "NeedPredictor": ".need",
            "labelled_examples": ".need",
            "value_report": ".value",
            **dict.fromkeys(
                [
                    "CaseItem",
                    "CaseNoteItem",
                    "ContactItem",
                    "CustomerTimeline",
                    "NoticeItem",
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
            "SurveyPage": ".survey_delivery",
            "SurveyWing": ".surveys",
            **dict.fromkeys(_COMMANDS.split(), ".commands"),
            **dict.fromkeys(
                (
                    "LIST_LIMIT",
                    "agent_teams",
                    "case_public",
                    "check_case",
                    "list_cases",
                    "team_owners",
                ),
                ".views",
            ),
        },
    )
