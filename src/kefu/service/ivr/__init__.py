"""The IVR wing of the service: flows greeting chat and SMS conversations before they queue
(:mod:`~kefu.service.ivr.wing`), their sessions as a part of the engine's transaction
(:mod:`~kefu.service.ivr.sessions`), and what the agent sees of them at the hand-off
(:mod:`~kefu.service.ivr.handoff`)."""

from __future__ import annotations

from kefu.service.ivr.commands import IvrHangup, IvrInput, IvrTimeout, KioskTicket, StartIvr
from kefu.service.ivr.flow_admin import (
    IvrFlowDesk,
    PublishIvrFlow,
    RollbackIvrFlow,
    SaveIvrDraft,
    flow_detail,
    flow_list,
)
from kefu.service.ivr.flow_views import (
    DraftSaved,
    FlowChange,
    FlowDetail,
    FlowPublished,
    FlowSummary,
    FlowVersion,
)
from kefu.service.ivr.handoff import IvrPanel, IvrVerification, read_ivr_panel
from kefu.service.ivr.outline import flow_outline
from kefu.service.ivr.report_view import ivr_report_view
from kefu.service.ivr.sessions import IvrSessions, Session
from kefu.service.ivr.widget import IvrChatView
from kefu.service.ivr.wing import (
    IVR_AUTHOR,
    IvrOptions,
    IvrPlugins,
    IvrSessionConflict,
    IvrWing,
    UnknownIvrSession,
)

__all__ = [
    "IVR_AUTHOR",
    "DraftSaved",
    "FlowChange",
    "FlowDetail",
    "FlowPublished",
    "FlowSummary",
    "FlowVersion",
    "IvrChatView",
    "IvrFlowDesk",
    "IvrHangup",
    "IvrInput",
    "IvrOptions",
    "IvrPanel",
    "IvrPlugins",
    "IvrSessionConflict",
    "IvrSessions",
    "IvrTimeout",
    "IvrVerification",
    "IvrWing",
    "KioskTicket",
    "PublishIvrFlow",
    "RollbackIvrFlow",
    "SaveIvrDraft",
    "Session",
    "StartIvr",
    "UnknownIvrSession",
    "flow_detail",
    "flow_list",
    "flow_outline",
    "ivr_report_view",
    "read_ivr_panel",
]
