"""The IVR flow engine: flows as data, a pure interpreter, events, versions and a linter.

Transports (web chat, SMS, a web page, the kiosk, voice) are drivers around
:func:`step`; see :mod:`kefu.domain.ivr.messages` for what goes in and out.
"""

from __future__ import annotations

from kefu.domain.ivr.catalog import FlowCatalog
from kefu.domain.ivr.errors import FlowNotPublished, InvalidFlow, UnknownFlowVersion
from kefu.domain.ivr.flow import Flow
from kefu.domain.ivr.flow_io import flow_to_dict, parse_flow
from kefu.domain.ivr.interpreter import UnknownCalendar, begin, next_due, step
from kefu.domain.ivr.matching import PlainTokenizer, Tokenizer
from kefu.domain.ivr.messages import IvrContext
from kefu.domain.ivr.state import IvrState, Verification, replay

__all__ = [
    "Flow",
    "FlowCatalog",
    "FlowNotPublished",
    "InvalidFlow",
    "IvrContext",
    "IvrState",
    "PlainTokenizer",
    "Tokenizer",
    "UnknownCalendar",
    "UnknownFlowVersion",
    "Verification",
    "begin",
    "flow_to_dict",
    "next_due",
    "parse_flow",
    "replay",
    "step",
]
