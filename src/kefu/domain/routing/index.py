"""Which free agents may take the contacts of each bucket: the agents' side of the index.

Each agent is listed, per channel, with the buckets whose skill requirement it meets and
its skill score there; each bucket keeps a heap of the eligible agents with free capacity,
ordered by (-skill score, last routed at, definition order), each entry one int
(:func:`~kefu.domain.routing.records.agent_key`). Entries go stale when the agent is
restamped (routed, or ready again) and are re-pushed lazily, once per burst of changes.
"""

from __future__ import annotations

from heapq import heappush

from kefu.domain.model import AgentPresence, Channel
from kefu.domain.routing.records import AgentRecord, Bucket, score_key
from kefu.domain.routing.timers import TimerQueues

__all__ = ["AgentIndex"]

READY = AgentPresence.READY


class AgentIndex(TimerQueues):
    """Buckets by skill, agents' eligible buckets and the agents awaiting a re-push."""

    def __init__(self, use_skill_score: bool) -> None:
        self.use_skill_score = use_skill_score
        self._buckets_by_skill: dict[str, list[Bucket]] = {}
        self._open_buckets: list[Bucket] = []  # buckets with no required skill
        self._personal: dict[tuple[str, Channel], Bucket] = {}
        self._dirty: list[AgentRecord] = []  # agents to push into their buckets' heaps

    def _touch(self, agent: AgentRecord) -> None:
        """The agent changed: it is pushed back where it is free before the next look-up of
        a free agent (:meth:`_reindex`).

        An agent changes about twice per decision (offered, then freed, often offered again
        at once): pushing on every change filled the heaps with entries that were stale
        before anyone read them, so the push waits until the heaps are read.
        """
        if not agent.dirty:
            agent.dirty = True
            self._dirty.append(agent)

    def _reindex(self) -> None:
        """Push every changed agent, with its current key, into its buckets where it is free."""
        for agent in self._dirty:
            agent.dirty = False
            if agent.presence is not READY or agent.pending is not None or agent.exclusive_held:
                continue  # free for no channel (AgentRecord.free_for's first test)
            stamp = agent.stamp
            for channel, buckets in agent.buckets.items():
                if agent.free_for(channel):
                    for bucket, high in buckets:
                        heappush(bucket.agents, high | stamp)
        self._dirty.clear()

    @staticmethod
    def _slots(agent: AgentRecord, channel: Channel) -> int:
        """Contacts of ``channel`` the agent can hold at once (1 for a blocking channel)."""
        slots = agent.capacity.get(channel, 0)
        return min(slots, 1) if channel in agent.exclusive else slots

    def _staff(self, agent: AgentRecord, sign: int) -> None:
        for channel, buckets in agent.buckets.items():
            slots = self._slots(agent, channel)
            for bucket, _ in buckets:
                bucket.staffed += sign * slots

    def _index_agent(self, agent: AgentRecord) -> None:
        """Compute the buckets this agent is eligible for, by its skills and capacity."""
        spec = agent.spec
        candidates: dict[int, Bucket] = {id(b): b for b in self._open_buckets}
        for skill in spec.skills:
            for bucket in self._buckets_by_skill.get(skill, ()):
                candidates[id(bucket)] = bucket
        agent.buckets = {}
        for bucket in candidates.values():
            if spec.capacity.get(bucket.channel, 0) <= 0:
                continue
            score = bucket.score(spec)
            if score is not None:
                high = score_key(-score if self.use_skill_score else 0)
                agent.buckets.setdefault(bucket.channel, []).append((bucket, high))
        for (agent_id, channel), bucket in self._personal.items():
            if agent_id == agent.agent_id:
                agent.buckets.setdefault(channel, []).append((bucket, score_key(0)))
        for buckets in agent.buckets.values():
            buckets.sort(key=lambda pair: pair[0].name)

    def _register_bucket(self, bucket: Bucket) -> None:
        if bucket.requirement:
            # Indexed by one required skill: an eligible agent must have all of them.
            first = min(bucket.requirement)
            self._buckets_by_skill.setdefault(first, []).append(bucket)
        else:
            self._open_buckets.append(bucket)

    def personal_bucket(self, agent: AgentRecord, channel: Channel) -> Bucket:
        """The bucket of contacts transferred to this one agent on ``channel``."""
        key = (agent.agent_id, channel)
        bucket = self._personal.get(key)
        if bucket is None:
            bucket = Bucket(f"@{agent.agent_id}/{channel.value}", None, channel, {})
            self._personal[key] = bucket
            agent.buckets.setdefault(channel, []).append((bucket, score_key(0)))
            if agent.presence is AgentPresence.READY:
                bucket.staffed += self._slots(agent, channel)
            if agent.free_for(channel):
                bucket.push_agent(agent, 0)
        return bucket
