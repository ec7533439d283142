"""What the IVR wing runs on in a server: the flows (the shipped demo bank flow and the
files the settings name, each published at start), the demo bank's self-service actions
and identity check, jieba for keywords and the sites' business hours."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kefu.adapters.ivr.bank_actions import FakeBank
from kefu.adapters.ivr.calendar import BusinessHours
from kefu.adapters.ivr.files import load_flow
from kefu.adapters.ivr.tokenizer import default_tokenizer
from kefu.domain.ivr import FlowCatalog, IvrContext
from kefu.service.ivr import IvrOptions, IvrPlugins

__all__ = ["BANK_FLOW", "bank_plugins", "flow_catalog", "ivr_options"]

BANK_FLOW = Path(__file__).resolve().parent / "flows" / "bank.yaml"
"""The demo bank's flow, shipped with kefu (the same file as ``examples/ivr/bank.yaml``)."""


def flow_catalog(files: Iterable[Path] = (), at: float | None = None) -> FlowCatalog:
    """A catalog holding the shipped flows (the bank's, the hall's kiosk menu) and
    ``files``, each published at ``at`` (s), by default when its file was last written
    (the age the re-derivation reminder counts from until an admin publishes a new one)."""
    catalog = FlowCatalog()
    for path in (*sorted(BANK_FLOW.parent.glob("*.yaml")), *files):
        flow = catalog.save_draft(load_flow(path))
        catalog.publish(flow.flow_id, path.stat().st_mtime if at is None else at)
    return catalog


def bank_plugins(timezone: str, bank: FakeBank | None = None) -> IvrPlugins:
    """The demo bank's actions and PIN check, jieba and an always-open ``bank`` calendar in
    ``timezone`` (the demo's agents never sleep)."""
    bank = bank or FakeBank()
    ctx = IvrContext(tokenizer=default_tokenizer(), calendars={"bank": BusinessHours.of(timezone)})
    return IvrPlugins(actions=bank.actions(), verify=bank.verify, ctx=ctx)


def ivr_options(spec: str) -> IvrOptions:
    """Options from ``channel[@site]=flow`` pairs, comma-separated (the settings' form)."""
    flows = {}
    for pair in spec.split(","):
        key, sep, flow_id = pair.partition("=")
        if sep and key.strip():
            flows[key.strip()] = flow_id.strip()
    return IvrOptions(flows=flows)
