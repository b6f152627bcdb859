"""The test tiers: ``make test`` (CI) runs everything; ``make test-fast`` leaves out what is marked
``slow`` (and ``install``). Whole modules that run the command line, sweeps, validation findings,
notebooks or benchmarks are slow, and so are the long tests of otherwise quick modules, listed
here by name, so that the fast tier stays at a few minutes for editing (CONTRIBUTING.md)."""

from __future__ import annotations

import pytest
from hypothesis import settings

# No time limit per example: Hypothesis's default (200 ms) is a timed assertion that a busy CI
# machine can fail; speed is measured in benchmarks/, not asserted in tests.
settings.register_profile("loyaltysim", deadline=None)
settings.load_profile("loyaltysim")

#: Modules whose every test runs subprocesses, sweeps, findings, notebooks or long runs.
SLOW_MODULES = {
    "test_benchmarks",
    "test_cli",
    "test_cli_outputs",
    "test_clv",
    "test_docs_site",
    "test_examples",
    "test_golden",
    "test_model_behaviour",
    "test_model_sanity",
    "test_scenario_fuzz",
    "test_sweep_analysis",
    "test_sweep_benchmark",
    "test_sweep_cli",
    "test_sweep_damage",
    "test_sweep_orphans",
    "test_sweep_run",
    "test_transactions",
    "test_ui_benchmark",
    "test_ui_cli",
    "test_ui_access",
    "test_validation_btyd",
    "test_validation_chain",
    "test_validation_complaints",
    "test_validation_framework",
    "test_validation_market",
}

#: Long tests of quick modules (name prefixes).
SLOW_TESTS = (
    "test_engines_agree_on_every_shipped_scenario",
    "test_numba_results_do_not_depend_on",
    "test_a_cli_run_with_either_engine",
    "test_switching_twins",
    "test_survey_from_candidates",
    "test_engines_agree_on_random_valid_scenarios",
    "test_engines_give_the_same_per_customer",
    "test_a_town_of_many_firms",
    "test_every_coefficient_changes_the_run",
    "test_a_run_with_the_most_events_allowed",
    "test_20000_events",
    "test_shipped_scenario_inside_published_range",
    "test_shipped_scenario_meets_heterogeneity_criterion",
    "test_validate_plausibility_quick",
    # test_credible_model: runs of 3,000-10,000 households x 3 seeds (cached per session)
    "test_lever_raised_to_the_brands_value",
    "test_loyalty_rises_step_by_step",
    "test_fewer_staff_below_capacity",
    "test_higher_wages_raise_engagement",
    "test_higher_supervisor_and_manager_limits",
    "test_more_listening_raises",
    "test_the_complaint_backlog_levels_off",
    "test_relationships_follow_the_usual_server_share",
    "test_turnover_erodes_relationships",
    "test_rapport_is_lost_when_the_employee_leaves",
    "test_dispositions_make_engagement",
    "test_perception_spreads_attachment",
    "test_the_warm_up_starts_the_report",
    "test_engines_agree_exactly_on_the_new_mechanisms",
    "test_the_supermarket_costs_the_pharmacy",
    "test_lapse_and_usage_results_do_not_depend_on_the_thread_count",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if module in SLOW_MODULES or item.name.startswith(SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def no_usual_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off a run's and a comparison's usual figures (tested in their own files), so CLI
    tests that check written tables and text do not spend their time drawing."""
    from loyaltysim import plots

    monkeypatch.setattr(plots, "run_figures", lambda run: {})
    monkeypatch.setattr(plots, "comparison_figures", lambda runs: {})
