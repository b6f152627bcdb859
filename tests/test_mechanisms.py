"""Every mechanism's coefficients reach both engines: moving all of a mechanism's coefficients at
once, the reference and numba engines still agree (engine equivalence per mechanism); moving any
one coefficient changes the run (no coefficient is declared but ignored); and the packing that
both engines read follows the coefficient classes' field order."""

from __future__ import annotations

import pandas as pd
import pytest
from test_engines import assert_same_run, run_both

from loyaltysim.mechanisms import (
    advocacy,
    attachment,
    back_of_house,
    choice,
    complaints,
    economics,
    employees,
    encounter,
    failure_memory,
    managers,
    relationships,
)
from loyaltysim.mechanisms.coefficients import Coefficients
from loyaltysim.model import LoyaltyModel
from loyaltysim.parameters import StrictModel, field_range, pack
from loyaltysim.scenario import load_scenario

SECTIONS: dict[str, type[StrictModel]] = {
    "choice": choice.ChoiceCoefficients,
    "encounter": encounter.EncounterCoefficients,
    "complaints": complaints.ComplaintCoefficients,
    "attachment": attachment.AttachmentCoefficients,
    "advocacy": advocacy.AdvocacyCoefficients,
    "employees": employees.EmployeeCoefficients,
    "managers": managers.ManagerCoefficients,
    "relationships": relationships.RelationshipCoefficients,
    "failure_memory": failure_memory.FailureMemoryCoefficients,
    "back_of_house": back_of_house.BackOfHouseCoefficients,
    "economics": economics.EconomicsCoefficients,
}

#: A busy, badly run store with a rival: failures, complaints at every level, quits and hires,
#: reviews, stories and a survey within a few months, so every coefficient has work to do.
BASE = {
    "market.customers": 600,
    "market.survey_size": 60,
    "market.manager_review_weeks": 2,
    "firms.supermarket.open": True,
    "behaviour.problem_size_penalty": 0.3,
    "behaviour.quit_threshold": 0.6,
    "behaviour.base_turnover": 0.05,
    "firms.discounter.process.base_failure_rate": 0.25,
    "firms.discounter.staffing.capacity": 60.0,
}
SCENARIO = "discount_chain"


def moved(section: type[StrictModel], name: str) -> float:
    """A value of coefficient ``name`` inside its range, clearly away from its default."""
    info = section.model_fields[name]
    default = float(info.default)
    low, high = field_range(info)
    assert low is not None and high is not None, name
    high = min(float(high), max(2.0 * default, default + 1.0))  # huge ranges: stay plausible
    target = default + 0.5 * (high - default) if high > default else default - 0.5 * (default - low)
    assert target != default, name
    return target


def test_the_base_scenario_has_the_firm_it_tunes():
    assert "discounter" in load_scenario(SCENARIO).firms


@pytest.mark.parametrize("mechanism", list(SECTIONS))
def test_engines_agree_when_every_coefficient_of_a_mechanism_moves(mechanism):
    section = SECTIONS[mechanism]
    overrides = {**BASE, **{f"behaviour.{name}": moved(section, name) for name in section.model_fields}}
    ref, fast = run_both(SCENARIO, 20, overrides, seed=5)
    assert_same_run(ref, fast)


#: A well-run store where staff are engaged and visits delight (meaning, eNPS promoters): with
#: the badly run one above, every coefficient has a town where it acts.
GOOD = {
    "market.customers": 2000,  # 12 frontline posts: engagement spans the eNPS cut-offs
    "market.survey_size": 60,
    "market.manager_review_weeks": 2,
    "behaviour.problem_size_penalty": 0.3,
}
TOWNS = {"discount_chain": BASE, "loyal_brand": GOOD}


def _run(town: str, overrides: dict) -> pd.DataFrame:
    model = LoyaltyModel(town, rng=5, engine="numba", overrides={**TOWNS[town], **overrides})
    model.run(30)
    return model.firm_weekly()


@pytest.fixture(scope="module")
def baselines() -> dict[str, pd.DataFrame]:
    return {town: _run(town, {}) for town in TOWNS}


@pytest.mark.parametrize("key", [f"{m}.{name}" for m, s in SECTIONS.items() for name in s.model_fields])
def test_every_coefficient_changes_the_run(key, baselines):
    mechanism, name = key.split(".")
    change = {f"behaviour.{name}": moved(SECTIONS[mechanism], name)}
    assert any(not _run(town, change).equals(baselines[town]) for town in TOWNS), (
        f"behaviour.{name} changed nothing in either town"
    )


@pytest.mark.parametrize("mechanism", list(SECTIONS))
def test_packing_follows_the_field_order(mechanism):
    section = SECTIONS[mechanism]
    spec = load_scenario(
        SCENARIO, {f"behaviour.{name}": moved(section, name) for name in section.model_fields}
    )
    packed = getattr(Coefficients.of(spec), mechanism)
    assert packed == tuple(moved(section, name) for name in section.model_fields)
    assert packed == pack(spec.behaviour, section)
