"""What the flow admin's commands answer, as frozen dataclasses whose ``to_json`` is the
API's body (the keys and their order are its contract, tested byte for byte): a draft
saved with its lint findings, the version published (by a publication or a rollback),
and a flow's line in the list of flows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.domain.ivr.lint import LintIssue

__all__ = ["DraftSaved", "FlowPublished", "FlowSummary", "issue_json"]


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
    """A flow's version numbers: the one published, the draft (None without) and all."""

    flow_id: str
    published: int | None
    draft: int | None
    versions: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "flow_id": self.flow_id,
            "published": self.published,
            "draft": self.draft,
            "versions": list(self.versions),
        }
