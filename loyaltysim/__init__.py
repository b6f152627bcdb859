"""loyaltysim: an agent-based simulator of customer loyalty.

Retention is not loyalty: customers who come back because a store is close and cheap leave the day a
rival matches it; customers attached by the experiences employees create stay. See README.md.
"""

from loyaltysim.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = ["Scenario", "ScenarioError", "__version__", "load_scenario"]
