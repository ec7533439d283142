"""Which free agents may take the contacts of each bucket: the agents' side of the index.

Each agent is listed, per channel, with the buckets whose skill requirement it meets and
its skill score there. Agents with the same list form a class
(:mod:`~kefu.domain.routing.classes`); a bucket served by few classes takes the best head
of their heaps, one served by many keeps a heap of its own of the eligible agents with free
capacity. Either way the order is (-skill score, last routed at, definition order), each
entry one int (:func:`~kefu.domain.routing.records.agent_key`). Entries go stale when the
agent is restamped (routed, or ready again) and are re-pushed lazily, once per burst of
changes.
"""

from __future__ import annotations

from heapq import heappush

from kefu.domain.model import AgentPresence, Channel
from kefu.domain.routing.classes import MAX_CLASSES, AgentClass
from kefu.domain.routing.records import AgentRecord, Bucket, agent_key, score_key
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
        self._classes: dict[tuple[object, ...], AgentClass] = {}  # by signature
        # Classes a bucket scans before it keeps a heap of its own (tests set 0 or many
        # before defining anything, to run one way only).
        self.max_classes = MAX_CLASSES

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
        """Push every changed agent, with its current key, where it is free: into each of its
        buckets kept by heap, and once into its class's heap for those kept by class."""
        for agent in self._dirty:
            agent.dirty = False
            if agent.presence is not READY or agent.pending is not None or agent.exclusive_held:
                continue  # free for no channel (AgentRecord.free_for's first test)
            stamp = agent.stamp
            cls = agent.cls
            for channel, buckets in agent.buckets.items():
                if agent.free_for(channel):
                    by_class = False
                    for bucket, high in buckets:
                        if bucket.classes is None:
                            heappush(bucket.agents, high | stamp)
                        else:
                            by_class = True
                    if by_class and cls is not None:  # once, however many buckets by class
                        heappush(cls.heap(channel), stamp)
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
        self._classify(agent)

    def _classify(self, agent: AgentRecord) -> None:
        """Put the agent in the class of its (bucket, score key) pairs.

        Its entries in its former class's heaps go stale (they name another class). No class
        is made for an agent none of whose buckets is kept by class: a center of as many
        skill profiles as agents then holds no more objects than it did without classes
        (objects the garbage collector would scan)."""
        signature = tuple(
            (channel.value, tuple(pair for pair in agent.buckets[channel] if pair[0].queue_id))
            for channel in sorted(agent.buckets, key=lambda c: c.value)
        )
        old = agent.cls
        if old is not None:
            if old.signature == signature:
                return
            del old.members[agent.seq]
            if not old.members:
                self._drop_class(old)
        agent.cls = cls = self._classes.get(signature)
        if cls is not None:
            cls.members[agent.seq] = agent
            return
        pairs = [pair for _, channel_pairs in signature for pair in channel_pairs]
        if all(bucket.classes is None for bucket, _ in pairs):
            return
        agent.cls = cls = self._classes[signature] = AgentClass(signature)
        cls.members[agent.seq] = agent
        for bucket, high in pairs:  # a new class joins the buckets kept by class
            classes = bucket.classes
            if classes is not None:
                classes.append((cls, high))
                if len(classes) > self.max_classes:
                    self._keep_by_heap(bucket)

    def _drop_class(self, cls: AgentClass) -> None:
        """The class lost its last member: the buckets it served stop looking at it."""
        del self._classes[cls.signature]
        for _, pairs in cls.signature:
            for bucket, _ in pairs:
                if bucket.classes is not None:
                    bucket.classes[:] = [pair for pair in bucket.classes if pair[0] is not cls]

    @staticmethod
    def _keep_by_heap(bucket: Bucket) -> None:
        """Too many classes serve the bucket: it keeps a heap of its own from now on, into
        which every free member of its classes is pushed."""
        classes = bucket.classes or []
        bucket.classes = None
        for cls, high in classes:
            for agent in cls.members.values():
                if agent.free_for(bucket.channel):
                    heappush(bucket.agents, high | agent.stamp)

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
                heappush(bucket.agents, agent_key(0, agent))
        return bucket
