"""Who hears a mix on the media engine: a supervisor joining a bridged call (listen,
whisper, barge) and undoing it, over the engine's legs by id
(:class:`~kefu.adapters.voice.listen.ListenMix` does the mixing itself)."""

from __future__ import annotations

from kefu.adapters.voice.listen import ListenMix
from kefu.adapters.voice.port import JoinMode
from kefu.adapters.voice.rtp_leg import RtpLeg

__all__ = ["join", "unmix"]


def join(legs: dict[str, RtpLeg], ear: RtpLeg, a: RtpLeg, b: RtpLeg, mode: JoinMode) -> None:
    """*ear* joins the bridged *a* (the customer) and *b* (the agent) and hears both,
    mixed. ``listen``: what it says goes nowhere; ``whisper``: *b* hears it mixed with
    *a*; ``barge``: both hear it mixed with each other. Joining again changes the mode."""
    _hear(legs, ear, a, b)
    ear.playing, ear.peer = None, None
    if mode == "listen":
        unmix(legs, b)
    else:
        _hear(legs, b, a, ear)
    if mode == "barge":
        _hear(legs, a, b, ear)
    else:
        unmix(legs, a)


def _hear(legs: dict[str, RtpLeg], ear: RtpLeg, a: RtpLeg, b: RtpLeg) -> None:
    """*ear* hears *a* and *b* mixed (instead of what it heard before)."""
    unmix(legs, ear)
    mix = ListenMix()
    ear.mix, ear.mix_sources = mix, (a.leg_id, b.leg_id)
    a.listened.append((mix, 0))
    b.listened.append((mix, 1))


def unmix(legs: dict[str, RtpLeg], ear: RtpLeg) -> None:
    """*ear* stops hearing a mix (a bridged leg hears its peer directly again)."""
    mix = ear.mix
    if mix is None:
        return
    ear.mix, ear.mix_sources = None, ()
    for other in legs.values():
        other.listened = [tap for tap in other.listened if tap[0] is not mix]
