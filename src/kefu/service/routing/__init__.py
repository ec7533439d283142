"""The routing wing: the routing commands (sites, queues, agents, contacts), their handlers and
the read views of the router.

Its modules are imported on first use (:mod:`kefu.service._lazy`); callers outside the
service import the names below, not the modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.service._lazy import lazy_names

if TYPE_CHECKING:
    from kefu.service.commands import Command
    from kefu.service.routing.commands import (
        AbandonContact,
        AcceptOffer,
        AssignContact,
        BargeIntoCall,
        CompleteContact,
        CreateContact,
        CreateSite,
        DefineAgent,
        DefineQueue,
        EndWrapup,
        HoldContact,
        ListenToCall,
        RecordCall,
        RejectOffer,
        RequestCallback,
        ResumeContact,
        SetAgentState,
        TransferContact,
        UpdateAgent,
        UpdateQueue,
        UpdateSite,
        WhisperToCall,
    )
    from kefu.service.routing.handlers import routing_handlers
    from kefu.service.routing.phones import NoRegisteredPhone, PhoneBook
    from kefu.service.routing.softphone import SoftphoneDesk
    from kefu.service.routing.views import (
        Page,
        agent_view,
        contact_view,
        get_agent,
        get_contact,
        get_queue,
        get_site,
        list_agents,
        list_contacts,
        list_queues,
        list_sites,
        queue_site,
        queue_view,
        site_view,
        waiting_contacts,
    )

__all__ = [
    "AbandonContact",
    "AcceptOffer",
    "AssignContact",
    "BargeIntoCall",
    "Command",
    "CompleteContact",
    "CreateContact",
    "CreateSite",
    "DefineAgent",
    "DefineQueue",
    "EndWrapup",
    "HoldContact",
    "ListenToCall",
    "NoRegisteredPhone",
    "Page",
    "PhoneBook",
    "RecordCall",
    "RejectOffer",
    "RequestCallback",
    "ResumeContact",
    "SetAgentState",
    "SoftphoneDesk",
    "TransferContact",
    "UpdateAgent",
    "UpdateQueue",
    "UpdateSite",
    "WhisperToCall",
    "agent_view",
    "contact_view",
    "get_agent",
    "get_contact",
    "get_queue",
    "get_site",
    "list_agents",
    "list_contacts",
    "list_queues",
    "list_sites",
    "queue_site",
    "queue_view",
    "routing_handlers",
    "site_view",
    "waiting_contacts",
]

if not TYPE_CHECKING:  # for mypy, the names are the imports above
    __getattr__ = lazy_names(
        __name__,
        {
            "AbandonContact": ".commands",
            "AcceptOffer": ".commands",
            "AssignContact": ".commands",
            "BargeIntoCall": ".commands",
            "Command": ".commands",
            "CompleteContact": ".commands",
            "CreateContact": ".commands",
            "CreateSite": ".commands",
            "DefineAgent": ".commands",
            "DefineQueue": ".commands",
            "EndWrapup": ".commands",
            "HoldContact": ".commands",
            "ListenToCall": ".commands",
            "NoRegisteredPhone": ".phones",
            "Page": ".views",
            "PhoneBook": ".phones",
            "RejectOffer": ".commands",
            "RecordCall": ".commands",
            "RequestCallback": ".commands",
            "ResumeContact": ".commands",
            "SetAgentState": ".commands",
            "SoftphoneDesk": ".softphone",
            "TransferContact": ".commands",
            "UpdateAgent": ".commands",
            "UpdateQueue": ".commands",
            "UpdateSite": ".commands",
            "WhisperToCall": ".commands",
            "agent_view": ".views",
            "contact_view": ".views",
            "get_agent": ".views",
            "get_contact": ".views",
            "get_queue": ".views",
            "get_site": ".views",
            "list_agents": ".views",
            "list_contacts": ".views",
            "list_queues": ".views",
            "list_sites": ".views",
            "queue_site": ".views",
            "queue_view": ".views",
            "routing_handlers": ".handlers",
            "site_view": ".views",
            "waiting_contacts": ".views",
        },
    )
