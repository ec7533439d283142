"""Running past one process: a routing domain's leader lease and its fencing epoch."""

from kefu.adapters.cluster.lease import LeaderLease, lock_key

__all__ = ["LeaderLease", "lock_key"]
