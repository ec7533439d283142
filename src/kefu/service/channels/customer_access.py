"""Which customers a caller may see, merge and find.

A customer belongs to the sites whose contacts it has: its *sites* are the owning sites of
the queues of its contacts (every contact of its timeline, following merges). A caller
sees a customer when one of its contacts is one the caller sees (a queue of the caller's
sites or a shared one, or held by an agent of its sites); an admin sees every customer. An
agent user sees, beyond that site rule, only the customers of the contacts it holds and
the customers suggested on the conversations it holds (the desktop's "possibly the same
person"). A customer the caller does not see is answered as unknown (404), so ids and
identifiers of other sites are not disclosed.

Merging two customers whose sites differ would show one site's customer history to
another site: only an admin does it (403 for anyone else).

Functions run under the engine's lock (inside :meth:`ChannelService.read` or as an
``authorize`` callback).
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterator, Mapping

from kefu.analytics.archive import ArchivedContact
from kefu.domain.customers import (
    Customer,
    Identifier,
    IdentifierKind,
    UnknownCustomer,
    UnknownMerge,
)
from kefu.domain.errors import UnknownContact
from kefu.domain.routing.records import ContactRecord
from kefu.service.channels.read_models import CustomerFound, CustomerSummary, SuggestionView
from kefu.service.channels.state import ChannelState
from kefu.service.engine import RoutingEngine
from kefu.service.errors import Forbidden
from kefu.service.routing import views
from kefu.service.security import access
from kefu.service.security.access import Principal, Role
from kefu.service.security.audit import audit_write
from kefu.service.security.authz import as_seen_by, check_archived_contact
from kefu.service.security.ports import AuditEntry
from kefu.service.writer import Write

__all__ = [
    "SEARCH_LIMIT",
    "check_customer",
    "check_merge",
    "check_merge_record",
    "customer_read",
    "customer_sites",
    "forgotten_contact_ids",
    "resolve_reference",
    "search_customers",
    "sees_customer",
    "visible_suggestions",
]

SEARCH_LIMIT = 50


def _contacts(engine: RoutingEngine, state: ChannelState, live_id: str) -> Iterator[ContactRecord]:
    for ref in state.directory.timeline(live_id):
        contact = engine.router.contacts.get(ref.contact_id)
        if contact is not None:
            yield contact


def _queue_site(engine: RoutingEngine, queue_id: str) -> tuple[str | None, bool] | None:
    """The queue's (owner site, shared), or None for a queue no longer defined."""
    if queue_id not in engine.queue_rows and queue_id not in engine.router.queues:
        return None
    return views.queue_site(engine, queue_id)


def customer_sites(engine: RoutingEngine, state: ChannelState, customer_id: str) -> frozenset[str]:
    """The owning sites of the queues of the (live) customer's contacts."""
    out = set()
    for contact in _contacts(engine, state, state.directory.resolve(customer_id)):
        where = _queue_site(engine, contact.queue_id)
        if where is not None and where[0] is not None:
            out.add(where[0])
    return frozenset(out)


def _by_site(engine: RoutingEngine, state: ChannelState, seen: Principal, live_id: str) -> bool:
    if seen.is_admin:
        return True
    for contact in _contacts(engine, state, live_id):
        where = _queue_site(engine, contact.queue_id)
        owner, shared = where if where is not None else (None, False)
        holder = engine.router.agents.get(contact.agent_id) if contact.agent_id else None
        holder_site = holder.spec.site_id if holder is not None else None
        if access.sees_contact(seen, owner, shared, holder_site):
            return True
    return False


def _agent_customers(engine: RoutingEngine, state: ChannelState, agent_id: str) -> set[str]:
    """Live ids of the customers of the contacts the agent holds and of the suggestions
    on their conversations."""
    directory = state.directory
    agent = engine.router.agents.get(agent_id)
    out: set[str] = set()
    for contact_id, contact in agent.held.items() if agent is not None else ():
        # A contact made over the API may carry a customer id the directory never had.
        with contextlib.suppress(UnknownCustomer):
            out.add(directory.resolve(contact.customer_id or ""))
        conv_id = state.conversation_of.get(contact_id)
        for suggestion in state.suggestions.get(conv_id or "", ()):
            out.add(directory.resolve(suggestion.customer_id))
    return out


def sees_customer(
    engine: RoutingEngine, state: ChannelState, principal: Principal, customer_id: str
) -> bool:
    """Whether ``principal`` sees the live customer behind ``customer_id`` (module doc)."""
    live = state.directory.resolve(customer_id)
    seen = as_seen_by(engine, principal)
    if seen.role is Role.AGENT and live not in _agent_customers(engine, state, seen.agent_id or ""):
        return False
    return _by_site(engine, state, seen, live)


def resolve_reference(state: ChannelState, ref: str) -> str:
    """The live customer named by an id or by an identifier written ``kind:value``."""
    kind, sep, value = ref.partition(":")
    if sep and kind in set(IdentifierKind):
        found = state.directory.find(Identifier(IdentifierKind(kind), value))  # may be 422
        if found is None:
            raise _unknown(ref)
        return found.customer_id
    try:
        return state.directory.resolve(ref)
    except UnknownCustomer:
        raise _unknown(ref) from None


def _unknown(ref: str) -> UnknownCustomer:
    return UnknownCustomer(
        f"unknown customer {ref!r}", text_key="error.unknown_customer", customer_id=ref
    )


def check_customer(
    engine: RoutingEngine,
    state: ChannelState,
    principal: Principal,
    ref: str,
    archived: Mapping[str, ArchivedContact] | None = None,
) -> str:
    """The live customer named by ``ref`` (id or ``kind:value``) if ``principal`` sees it;
    else :class:`UnknownCustomer` (404), the same answer as for no such customer.
    ``archived``: the store's record of the customer's contacts the router has forgotten
    (:func:`forgotten_contact_ids`); a supervisor or admin who sees one of them sees the
    customer too (an agent user only the customers of the contacts it holds)."""
    live = resolve_reference(state, ref)
    if not sees_customer(engine, state, principal, live) and not _sees_archived(
        engine, principal, archived or {}
    ):
        raise _unknown(ref)
    return live


def _sees_archived(
    engine: RoutingEngine, principal: Principal, archived: Mapping[str, ArchivedContact]
) -> bool:
    seen = as_seen_by(engine, principal)
    if seen.role is Role.AGENT:
        return False
    for kept in archived.values():
        with contextlib.suppress(UnknownContact, Forbidden):
            check_archived_contact(engine, seen, kept)
            return True
    return False


def forgotten_contact_ids(engine: RoutingEngine, state: ChannelState, ref: str) -> list[str]:
    """The contacts the router no longer holds of the customer named by ``ref`` (id or
    ``kind:value``), to read from the store (the caller's rights are checked after, by
    :func:`check_customer` with their record)."""
    refs = state.directory.timeline(resolve_reference(state, ref))
    return [r.contact_id for r in refs if r.contact_id not in engine.router.contacts]


def check_merge(
    engine: RoutingEngine, state: ChannelState, principal: Principal, first: str, second: str
) -> tuple[str, str]:
    """Both customers (live ids) if ``principal`` sees them and may merge them: customers
    of different sites only for an admin (:class:`Forbidden`, 403)."""
    a = check_customer(engine, state, principal, first)
    b = check_customer(engine, state, principal, second)
    if not principal.is_admin:
        sites_a, sites_b = customer_sites(engine, state, a), customer_sites(engine, state, b)
        if sites_a != sites_b:
            raise Forbidden(
                "these customers are of different sites; only an admin merges them",
                text_key="error.merge_cross_site",
                sites=sorted(sites_a | sites_b),
            )
    return a, b


def check_merge_record(
    engine: RoutingEngine, state: ChannelState, principal: Principal, merge_id: str
) -> None:
    """The merge exists and the caller sees one of its two customers (else 404)."""
    record = next((m for m in state.directory.audit() if m.merge_id == merge_id), None)
    if record is None or not any(
        sees_customer(engine, state, principal, cid)
        for cid in (record.survivor_id, record.merged_id)
    ):
        raise UnknownMerge(
            f"unknown merge {merge_id!r}", text_key="error.unknown_merge", merge_id=merge_id
        )


def visible_suggestions(
    engine: RoutingEngine, state: ChannelState, principal: Principal, conversation_id: str
) -> tuple[SuggestionView, ...]:
    """The conversation's suggested customers that ``principal`` sees and that are not
    merged into its customer yet, each with the live id and whether merging needs an admin
    (``cross_site``)."""
    if not state.suggestions.get(conversation_id):
        return ()  # the usual case, on every screen push: no site lookups
    mine = state.directory.resolve(state.conversation(conversation_id).customer_id)
    own = customer_sites(engine, state, mine)
    out: list[SuggestionView] = []
    for s in state.suggestions.get(conversation_id, ()):
        live = state.directory.resolve(s.customer_id)
        # Merged already (this customer now holds the identifier): nothing left to suggest.
        if live != mine and sees_customer(engine, state, principal, live):
            cross = customer_sites(engine, state, live) != own
            out.append(SuggestionView(s.kind, s.value, live, cross_site=cross))
    return tuple(out)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _digits(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def _matches(
    customer: Customer, ids: tuple[str, ...], query: str, numbers: tuple[str, ...] = ()
) -> bool:
    """Name, id (or a merged-away id), e-mail or any identifier contains the query; a query
    of 4 digits or more also matches the digits of a phone number (``138 0013`` matches
    ``+8613800138000``) and of a product's account number (its last four, as the customer
    reads them from the card)."""
    folded, digits = _fold(query), _digits(query)
    if folded in _fold(customer.name) or any(folded in _fold(cid) for cid in ids):
        return True
    compact = folded.replace(" ", "").replace("-", "")
    if len(compact) >= 4 and any(compact.upper() in n for n in numbers):
        return True
    for ident in customer.identifiers:
        if folded in _fold(ident.value):
            return True
        if ident.kind is IdentifierKind.PHONE and len(digits) >= 4 and digits in ident.value:
            return True
    return False


def search_customers(
    engine: RoutingEngine,
    state: ChannelState,
    principal: Principal,
    query: str,
    limit: int = SEARCH_LIMIT,
) -> list[CustomerFound]:
    """Customers the caller sees whose name, id, phone, e-mail or account number contains
    ``query`` (case-insensitive), newest first, at most ``limit``; each with its sites and
    the time (seconds) of its latest contact."""
    directory = state.directory
    found: list[CustomerFound] = []
    for customer in reversed(list(directory.customers())):
        ids = directory.identities(customer.customer_id)
        numbers = directory.profiles.numbers(customer.customer_id)
        if not _matches(customer, ids, query, numbers):
            continue
        if not sees_customer(engine, state, principal, customer.customer_id):
            continue
        latest = directory.timeline(customer.customer_id, limit=1)
        sites = tuple(sorted(customer_sites(engine, state, customer.customer_id)))
        at = latest[0].at if latest else None
        found.append(CustomerFound(CustomerSummary.of(customer), sites, at))
        if len(found) >= limit:
            break
    return found


def customer_read(
    user: Principal, customer_id: str, *, at: float, client: str | None, page: str = ""
) -> Write:
    """The audit write of ``user`` reading a customer's record (``page``: the page it was
    read on, empty for the API)."""
    details = {"via": user.via, **({"page": page} if page else {})}
    entry = AuditEntry(
        at=at,
        actor_id=user.user_id,
        actor=user.username,
        action="customer.read",
        target_type="customer",
        target_id=customer_id,
        site_id=None,
        details=details,
        client=client,
    )
    return audit_write(entry)
