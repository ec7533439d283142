"""The ACD: skills-based routing of contacts of every channel to agents."""

from kefu.domain.routing.router import Router, RouterConfig

__all__ = ["Router", "RouterConfig"]
