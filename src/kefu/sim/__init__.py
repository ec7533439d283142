"""The digital twin: a discrete-event simulator that drives the real router.

``kefu.sim.run(scenario, seed=...)`` simulates a scenario (a :class:`Scenario`, a YAML
path or a mapping) and returns every replication's KPIs with their summary (means and
95 % confidence intervals). KPIs come from :mod:`kefu.analytics`, the code that scores the
live event log. IVR callers (:func:`simulate_callers`) walk flows through the real IVR
interpreter; :func:`compare_flows` runs two flows on the same callers and agents.
"""

from kefu.sim.engine import run_replication
from kefu.sim.ivr_callers import CallerModel, CallerResult, simulate_callers
from kefu.sim.ivr_twin import AgentFloor, FlowComparison, compare_flows
from kefu.sim.plan import Plan, compile_scenario
from kefu.sim.replication import Replication
from kefu.sim.runner import SimulationResult, replication_seed, run
from kefu.sim.scenario import Scenario, ScenarioError
from kefu.sim.scenario_io import load_scenario, parse_scenario
from kefu.sim.summary import Estimate, Summary, estimate, summarize
from kefu.sim.trace import ContactTrace

__all__ = [
    "AgentFloor",
    "CallerModel",
    "CallerResult",
    "ContactTrace",
    "Estimate",
    "FlowComparison",
    "Plan",
    "Replication",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Summary",
    "compare_flows",
    "compile_scenario",
    "estimate",
    "load_scenario",
    "parse_scenario",
    "replication_seed",
    "run",
    "run_replication",
    "simulate_callers",
    "summarize",
]
