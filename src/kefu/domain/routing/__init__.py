"""The ACD: skills-based routing of contacts of every channel to agents.

``COMPILED`` tells whether this process runs the router compiled with mypyc (a wheel built
by ``setup.py``) or as pure Python (an editable install, or ``KEFU_MYPYC=0``)."""

from kefu.domain.routing import router as _router
from kefu.domain.routing.router import Router, RouterConfig

__all__ = ["COMPILED", "Router", "RouterConfig"]

COMPILED: bool = not (_router.__file__ or "").endswith(".py")
