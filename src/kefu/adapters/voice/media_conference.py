"""Who is in a conference on the media engine: legs joining one (each then hears the
others, mixed by :class:`~kefu.adapters.voice.conference.ConferenceMix`) and a member
leaving it (two left: they are bridged directly again), over the engine's legs by id.

The recording of the call follows the mix: a member joining a recorded call is recorded
as the third input (added to the agent's channel), so the file holds all three voices.
"""

from __future__ import annotations

from kefu.adapters.voice.conference import ConferenceMix
from kefu.adapters.voice.media_listen import unmix
from kefu.adapters.voice.recording import THIRD
from kefu.adapters.voice.rtp_leg import RtpLeg

__all__ = ["join_conference", "leave_conference"]


def join_conference(legs: dict[str, RtpLeg], members: list[RtpLeg]) -> ConferenceMix:
    """*members* (three or more) form one conference; returns its mix (the engine mixes
    it every tick)."""
    mix = ConferenceMix([m.leg_id for m in members], [m.codec for m in members])
    recorder = next((m.recorder for m in members if m.recorder is not None), None)
    for index, member in enumerate(members):
        unmix(legs, member)  # a supervisor's mix is not carried into the conference
        member.peer, member.playing = None, None
        member.conference, member.conference_index = mix, index
        member.conference_view = mix.views[index]
        if recorder is not None and member.recorder is None:
            member.recorder, member.record_channel = recorder, THIRD
    return mix


def leave_conference(legs: dict[str, RtpLeg], leg: RtpLeg) -> tuple[ConferenceMix | None, ...]:
    """*leg* leaves its conference. Returns (the mix ended, the mix made of the members
    left) — the engine swaps them; with two members left they are bridged instead."""
    old = leg.conference
    if old is None:
        return (None, None)
    leg.conference, leg.conference_view = None, None
    if leg.record_channel == THIRD:
        leg.recorder = None
    rest = [legs[m] for m in old.members if m != leg.leg_id and m in legs]
    for member in rest:
        member.conference, member.conference_view = None, None
    if len(rest) >= 3:
        return (old, join_conference(legs, rest))
    if len(rest) == 2:
        a, b = rest
        a.peer, b.peer = b.leg_id, a.leg_id
    return (old, None)
