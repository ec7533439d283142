"""The access policy as pure rules: roles, scopes, site visibility, agents acting only as
themselves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.service import Forbidden
from kefu.service.security import ROLE_SCOPES, Principal, Role, Scope, access

SITES = st.sampled_from(["sh", "bj", "gz", "cd"])


def principal(
    role: Role,
    sites: frozenset[str] = frozenset(),
    agent_id: str | None = None,
    scopes: frozenset[Scope] | None = None,
) -> Principal:
    return Principal(
        "u1",
        "user",
        role,
        sites,
        agent_id,
        ROLE_SCOPES[role] if scopes is None else scopes,
    )


def test_given_each_role_when_configuring_then_only_an_admin_with_the_admin_scope() -> None:
    access.require_admin(principal(Role.ADMIN))
    for role in (Role.AGENT, Role.SUPERVISOR):
        with pytest.raises(Forbidden):
            access.require_admin(principal(role, frozenset({"sh"})))
    read_only_admin = principal(Role.ADMIN, scopes=frozenset({Scope.READ}))
    with pytest.raises(Forbidden) as refused:
        access.require_admin(read_only_admin)
    assert refused.value.details["scope"] == "admin"


def test_given_a_role_when_asking_scopes_then_never_more_than_the_role_holds() -> None:
    assert access.allowed_scopes(Role.AGENT, [Scope.READ]) == {Scope.READ}
    with pytest.raises(Forbidden):
        access.allowed_scopes(Role.SUPERVISOR, [Scope.READ, Scope.ADMIN])
    assert Scope.ADMIN in access.allowed_scopes(Role.ADMIN, [Scope.ADMIN])


@given(mine=st.frozensets(SITES, min_size=1), other=SITES, shared=st.booleans())
def test_given_a_supervisor_then_it_sees_its_sites_and_shared_queues_only(
    mine: frozenset[str], other: str, shared: bool
) -> None:
    boss = principal(Role.SUPERVISOR, mine)
    assert access.sees_site(boss, other) is (other in mine)
    assert access.sees_queue(boss, other, shared) is (shared or other in mine)
    assert access.sees_agent(boss, other) is (other in mine)
    assert access.may_read_agent(boss, "anyone")
    assert access.may_read_contact(boss, None)


@given(site=SITES, shared=st.booleans(), holder=st.one_of(st.none(), SITES))
def test_given_an_admin_then_every_site_and_record_is_visible(
    site: str, shared: bool, holder: str | None
) -> None:
    admin = principal(Role.ADMIN)
    assert access.sees_site(admin, site)
    assert access.sees_queue(admin, site, shared)
    assert access.sees_contact(admin, site, shared, holder)
    assert admin.visibility.sites is None


@given(me=st.sampled_from(["a1", "a2"]), other=st.sampled_from(["a1", "a2", "b1"]))
def test_given_an_agent_then_it_reads_and_acts_only_as_itself(me: str, other: str) -> None:
    agent = principal(Role.AGENT, frozenset({"sh"}), agent_id=me)
    assert access.may_read_agent(agent, other) is (me == other)
    assert access.may_read_contact(agent, other) is (me == other)
    assert not access.may_read_contact(agent, None)
    assert agent.visibility.agent_id == me
    with pytest.raises(Forbidden):
        access.require_role(agent, Role.SUPERVISOR, Role.ADMIN)


def test_given_a_contact_held_by_an_agent_of_my_site_then_visible_from_another_sites_queue() -> (
    None
):
    boss = principal(Role.SUPERVISOR, frozenset({"sh"}))
    assert access.sees_contact(boss, "bj", False, "sh")
    assert not access.sees_contact(boss, "bj", False, "bj")
    assert not access.sees_contact(boss, "bj", False, None)
    assert access.sees_contact(boss, "bj", True, None)


def test_given_a_principal_without_a_scope_then_refused_with_the_scope_named() -> None:
    reader = principal(Role.SUPERVISOR, frozenset({"sh"}), scopes=frozenset({Scope.READ}))
    access.require_scope(reader, Scope.READ)
    with pytest.raises(Forbidden) as refused:
        access.require_scope(reader, Scope.CONTACTS_WRITE)
    assert refused.value.error_id == "forbidden"
    assert "contacts:write" in refused.value.message
