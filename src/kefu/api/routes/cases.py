"""``/api/v1/cases``: the case of one customer problem, tracked to resolution — open (for a
customer or from a contact), read (the lists: :mod:`kefu.api.routes.case_lists`), update,
move along the states, add notes, route a task to a back-office queue as a work item; and
``/api/v1/customers/{id}/timeline``, the customer's whole story across channels.

Cases are site-scoped like customers: a caller sees the cases of its sites (admins all) and
any other case is answered 404 in every endpoint; a case opened for a customer or from a
contact the caller does not see is 404 too. Changes need the ``contacts:write`` scope.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from kefu.api.routes._common import ERRORS
from kefu.api.schemas.cases import (
    CaseCreate,
    CaseNoteCreate,
    CasePublic,
    CaseTaskCreate,
    CaseTransition,
    CaseUpdate,
    SurveyConsent,
)
from kefu.api.security import Reader
from kefu.domain.errors import ValidationError
from kefu.service import RoutingEngine, routing, security
from kefu.service.cases import (
    AddCaseNote,
    AssignCase,
    CaseWing,
    ComplaintsReport,
    CsatReport,
    CustomerTimeline,
    MoveCase,
    OpenCase,
    RouteCaseTask,
    SetSurveyConsent,
    SurveyWing,
    UpdateCase,
    ValueReport,
    case_public,
    check_case,
    complaints_report,
    csat_report,
    read_customer_timeline,
    value_report,
)
from kefu.service.channels import (
    ChannelState,
    check_customer,
    customer_read,
    forgotten_contact_ids,
    sees_customer,
)
from kefu.service.security import Principal, Role, Scope

__all__ = ["router"]

# No prefix: the customer's timeline lives under /customers beside the cases.
router = APIRouter(tags=["cases"])


async def _wing(request: Request) -> CaseWing:
    wing: CaseWing = request.app.state.cases
    return wing


Wing = Annotated[CaseWing, Depends(_wing)]


def _view(wing: CaseWing, case_id: str) -> CasePublic:
    store = wing.store
    return CasePublic.model_validate(
        case_public(store, store.book.case(case_id), wing.engine.now())
    )


async def _act(wing: CaseWing, user: Principal, case_id: str, *commands: Any) -> CasePublic:
    """Run ``commands`` on a case the caller sees (checked again under the lock)."""
    security.require_scope(user, Scope.CONTACTS_WRITE)

    def allowed(engine: RoutingEngine) -> None:
        del engine
        check_case(wing.store, user, case_id)

    for command in commands:
        await wing.engine.execute(command, actor=user, authorize=allowed)
    return await wing.engine.query(lambda _e: _view(wing, case_id))


@router.post("/cases", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def open_case(body: CaseCreate, user: Reader, wing: Wing, response: Response) -> CasePublic:
    """Open a case for a customer of the caller's sites, or from a contact it sees.
    为客户或从一次联系创建工单。"""
    security.require_scope(user, Scope.CONTACTS_WRITE)
    state: ChannelState = wing.state

    def allowed(engine: RoutingEngine) -> None:
        if body.site_id is not None:
            security.check_site(engine, user, body.site_id)
        if body.contact_id is not None:
            security.check_contact(engine, user, body.contact_id)
        if body.customer_id is not None:
            check_customer(engine, state, user, body.customer_id)

    customer_id = body.customer_id
    if customer_id is not None:  # an identifier (phone:...) names the customer too
        customer_id = await wing.engine.query(
            lambda e: check_customer(e, state, user, body.customer_id or "")
        )
    case = await wing.engine.execute(
        OpenCase(
            body.case_type,
            body.title,
            by=user.username,
            site_id=body.site_id,
            customer_id=customer_id,
            contact_id=body.contact_id,
            value_tier=body.value_tier,
            priority=body.priority,
            fields=body.fields,
            owner=None if body.owner is None else (body.owner.kind, body.owner.id),
        ),
        actor=user,
        authorize=allowed,
    )
    response.headers["Location"] = f"/api/v1/cases/{case.case_id}"
    return await wing.engine.query(lambda _e: _view(wing, case.case_id))


@router.get("/cases/reports/complaints", responses=ERRORS)
async def complaints(
    user: Reader,
    wing: Wing,
    month: Annotated[str, Query(min_length=7, max_length=7, examples=["2026-03"])],
    site_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Complaints opened in ``month`` (the site's time zone), by root cause, with their mean
    resolution time in business hours and SLA breaches. 月度投诉报表（按根本原因）。"""

    def look(engine: RoutingEngine) -> ComplaintsReport:
        if site_id is not None:
            security.check_site(engine, user, site_id)

        def zone_of(site: str) -> str:
            found = engine.sites.get(site)
            return found.timezone if found is not None else "UTC"

        return complaints_report(wing.store, user, month, engine.now(), zone_of, site_id=site_id)

    return (await wing.engine.query(look)).to_json()


@router.get("/cases/reports/csat", responses=ERRORS)
async def csat(
    user: Reader,
    request: Request,
    start: Annotated[float, Query(alias="from", description="seconds since the epoch")],
    end: Annotated[float, Query(alias="to", description="seconds since the epoch")],
    by: Annotated[str, Query(max_length=16)] = "queue",
    site_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Follow-up surveys sent in ``[from, to)`` by queue, agent, case type or topic: sent,
    answered, response rate, mean score and CSAT (share of 4 and 5) over the CSAT answers,
    NPS (promoters − detractors, per cent) over the NPS answers, and low scores; for
    supervisors and admins, over their sites. 回访满意度与净推荐值报表。"""
    surveys: SurveyWing = request.app.state.surveys

    def look(engine: RoutingEngine) -> CsatReport:
        security.require_role(user, Role.SUPERVISOR, Role.ADMIN)
        if site_id is not None:
            security.check_site(engine, user, site_id)
        low = surveys.options.low_scores
        return csat_report(surveys.book, user, start, end, by=by, site_id=site_id, low=low)

    return (await surveys.engine.query(look)).to_json()


@router.get("/cases/reports/value", responses=ERRORS)
async def value(user: Reader, wing: Wing, request: Request) -> dict[str, Any]:
    """The customers of the caller's sites: total lifetime value, the 80/20 view (share of
    value of the top fifth) and value per segment; for supervisors and admins.
    客户价值与分群概览（二八分布）。"""
    surveys: SurveyWing | None = getattr(request.app.state, "surveys", None)
    book = None if surveys is None else surveys.book
    chan: ChannelState = wing.state

    def look(engine: RoutingEngine) -> ValueReport:
        security.require_role(user, Role.SUPERVISOR, Role.ADMIN)

        def sees(customer_id: str) -> bool:
            return sees_customer(engine, chan, user, customer_id)

        return value_report(chan, wing.store, book, engine.now(), sees)

    return (await wing.engine.query(look)).to_json()


@router.get("/cases/{case_id}", responses=ERRORS)
async def get_case(case_id: str, user: Reader, wing: Wing) -> CasePublic:
    """One case with its notes, links, history and SLA clocks. 工单详情。"""

    def look(engine: RoutingEngine) -> CasePublic:
        del engine
        check_case(wing.store, user, case_id)
        return _view(wing, case_id)

    return await wing.engine.query(look)


@router.patch("/cases/{case_id}", responses=ERRORS)
async def update_case(case_id: str, body: CaseUpdate, user: Reader, wing: Wing) -> CasePublic:
    """Change fields, type, value tier or priority; give it an owner; involve a department.
    修改工单。"""
    commands: list[Any] = []
    changes = (body.case_type, body.value_tier, body.priority)
    if body.fields or changes != (None, None, None):
        commands.append(
            UpdateCase(
                case_id,
                by=user.username,
                fields=body.fields,
                case_type=body.case_type,
                value_tier=body.value_tier,
                priority=body.priority,
            )
        )
    if body.owner is not None or body.department is not None:
        owner = None if body.owner is None else (body.owner.kind, body.owner.id)
        commands.append(
            AssignCase(
                case_id,
                by=user.username,
                owner=owner,
                department=body.department,
                reason=body.reason,
            )
        )
    if not commands:
        raise ValidationError("nothing to change", text_key="error.nothing_to_change")
    return await _act(wing, user, case_id, *commands)


@router.post("/cases/{case_id}/transitions", responses=ERRORS)
async def move_case(case_id: str, body: CaseTransition, user: Reader, wing: Wing) -> CasePublic:
    """Move the case to another state (a reason is needed for all but ``open``; resolving
    a complaint needs a root cause and a resolution). 变更工单状态。"""
    command = MoveCase(
        case_id,
        body.to,
        by=user.username,
        reason=body.reason,
        department=body.department,
        root_cause=body.root_cause,
        resolution=body.resolution,
    )
    return await _act(wing, user, case_id, command)


@router.post("/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def add_note(case_id: str, body: CaseNoteCreate, user: Reader, wing: Wing) -> CasePublic:
    """A note (internal by default; otherwise an answer to the customer). 添加备注。"""
    command = AddCaseNote(
        case_id, body.text, by=user.username, internal=body.internal, channel=body.channel
    )
    return await _act(wing, user, case_id, command)


@router.post("/cases/{case_id}/tasks", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def route_task(
    case_id: str, body: CaseTaskCreate, user: Reader, wing: Wing
) -> dict[str, Any]:
    """Send a task of the case to a back-office queue: a work item pushed to a skilled
    agent like a call, ordered by value tier and priority. 派发后台任务。"""
    security.require_scope(user, Scope.CONTACTS_WRITE)

    def allowed(engine: RoutingEngine) -> None:
        check_case(wing.store, user, case_id)
        security.check_queue(engine, user, body.queue_id)

    view = await wing.engine.execute(
        RouteCaseTask(case_id, body.queue_id, body.task, by=user.username),
        actor=user,
        authorize=allowed,
    )
    return {"contact_id": view["contact_id"], "queue_id": body.queue_id, "case_id": case_id}


@router.get("/customers/{customer_id}/timeline", tags=["customers"], responses=ERRORS)
async def timeline(
    customer_id: str,
    user: Reader,
    wing: Wing,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Everything of the customer, newest first: contacts on every channel (with the IVR
    path), cases and their state changes, notes, the case notices sent to the customer,
    follow-up surveys and their scores; the read is audited like the customer panel's.
    客户360°时间线。"""
    chan: ChannelState = wing.state
    surveys: SurveyWing | None = getattr(request.app.state, "surveys", None)
    book = None if surveys is None else surveys.book

    def forgotten(engine: RoutingEngine) -> list[str]:
        return forgotten_contact_ids(engine, chan, customer_id)

    # The contacts the router has forgotten come from the store, read outside the lock.
    archived = await routing.archived_contacts(wing.engine, await wing.engine.query(forgotten))

    def look(engine: RoutingEngine) -> CustomerTimeline:
        told = () if wing.notifier is None else wing.notifier.notices.values()
        return read_customer_timeline(
            engine,
            chan,
            wing.store,
            user,
            customer_id,
            limit=limit,
            surveys=book,
            notices=told,
            archived=archived,
        )

    found = await wing.engine.query(look)
    client = request.client.host if request.client else None
    read = customer_read(user, found.customer_id, at=wing.engine.now(), client=client)
    await wing.engine.store([read])  # a read of the customer's record, audited as such
    return found.to_json()


@router.put("/customers/{customer_id}/survey-consent", tags=["customers"], responses=ERRORS)
async def survey_consent(
    customer_id: str, body: SurveyConsent, user: Reader, wing: Wing
) -> dict[str, Any]:
    """Record whether the customer accepts follow-up surveys (e.g. said so on the phone);
    ``changed`` is false when it already was so. 设置客户是否接受回访。"""
    security.require_scope(user, Scope.CONTACTS_WRITE)
    chan: ChannelState = wing.state
    live = await wing.engine.query(lambda e: check_customer(e, chan, user, customer_id))

    def allowed(engine: RoutingEngine) -> None:
        check_customer(engine, chan, user, live)

    command = SetSurveyConsent(live, body.allowed, by=user.username, reason=body.reason)
    changed = await wing.engine.execute(command, actor=user, authorize=allowed)
    return {"customer_id": live, "allowed": body.allowed, "changed": bool(changed)}
