"""kefu (客服): an open-source omnichannel contact-center platform.

The routing core (:mod:`kefu.domain`) is pure and driven by explicit time, so the live
server and the simulator (:mod:`kefu.sim`) run the very same routing code.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
