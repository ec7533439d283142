"""The demo: a seeded center and in-process traffic (customers and simulated agents)."""

from kefu.adapters.demo.runner import DemoRun, DemoSummary
from kefu.adapters.demo.seed import SITE_ID, DemoCredential, create_demo_users, seed
from kefu.adapters.demo.traffic import TrafficGenerator

__all__ = [
    "SITE_ID",
    "DemoCredential",
    "DemoRun",
    "DemoSummary",
    "TrafficGenerator",
    "create_demo_users",
    "seed",
]
