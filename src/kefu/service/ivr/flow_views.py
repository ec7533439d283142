"""What the flow admin's commands answer, as frozen dataclasses whose ``to_json`` is the
API's body (the keys and their order are its contract, tested byte for byte): a draft
saved with its lint findings, the version published (by a publication or a rollback),
a flow's line in the list of flows and one flow's detail for its admin page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kefu.domain.ivr.lint import LintIssue

__all__ = [
    "DraftSaved",
    "FlowChange",
    "FlowDetail",
    "FlowPublished",
    "FlowSummary",
    "FlowVersion",
    "issue_json",
]


def issue_json(issue: LintIssue) -> dict[str, Any]:
    """A lint finding as the admin API and page show it (``node_id``, the messages in
    English and Chinese)."""
    return {
        "code": issue.code,
        "severity": issue.severity,
        "node_id": issue.node_id,
        "field": issue.field,
        "message": issue.message,
        "message_zh": issue.message_zh,
    }


@dataclass(frozen=True, slots=True)
class DraftSaved:
    """The draft's version number and the linter's findings on it."""

    version: int
    issues: tuple[LintIssue, ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "issues": [issue_json(i) for i in self.issues]}


@dataclass(frozen=True, slots=True)
class FlowPublished:
    """The version new contacts now get."""

    published: int

    def to_json(self) -> dict[str, Any]:
        return {"published": self.published}


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """A flow's version numbers: the one published, the draft (None without) and all; and
    its re-derivation reminder: when the published version was first published
    (``published_at``, s), the date its menus should be re-derived by (``rederive_by``, s)
    and, once that is past, ``rederivation_overdue_days`` (0 on the day; ``None`` before it
    or with nothing published)."""

    flow_id: str
    published: int | None
    draft: int | None
    versions: tuple[int, ...]
    published_at: float | None = None
    rederive_by: float | None = None
    rederivation_overdue_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "flow_id": self.flow_id,
            "published": self.published,
            "draft": self.draft,
            "versions": list(self.versions),
            "published_at": self.published_at,
            "rederive_by": self.rederive_by,
            "rederivation_overdue_days": self.rederivation_overdue_days,
        }


@dataclass(frozen=True, slots=True)
class FlowChange:
    """One change of a flow: ``kind`` (``saved``, ``published``, ``rolled_back``), the
    ``version`` it concerns, who made it (``by``) and when (``at``, s)."""

    kind: str
    version: int
    by: str
    at: float

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "by": self.by, "at": self.at}


@dataclass(frozen=True, slots=True)
class FlowVersion:
    """A version of a flow: whether published or the draft, the text it was saved from
    (empty for a file's or an API's document), its document and its lint findings."""

    version: int
    published: bool
    draft: bool
    source: str
    flow: Mapping[str, Any]
    issues: tuple[LintIssue, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "published": self.published,
            "draft": self.draft,
            "source": self.source,
            "flow": self.flow,
            "issues": [issue_json(i) for i in self.issues],
        }


@dataclass(frozen=True, slots=True)
class FlowDetail:
    """One flow: its versions (newest first), its publications as (version, instant s)
    and its recorded changes, oldest first."""

    flow_id: str
    published: int | None
    draft: int | None
    versions: tuple[FlowVersion, ...]
    publications: tuple[tuple[int, float], ...]
    changes: tuple[FlowChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "flow_id": self.flow_id,
            "published": self.published,
            "draft": self.draft,
            "versions": [v.to_json() for v in self.versions],
            "publications": [{"version": v, "at": at} for v, at in self.publications],
            "changes": [ch.to_json() for ch in self.changes],
        }
