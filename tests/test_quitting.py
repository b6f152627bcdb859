"""Quitting (``mechanisms.employees.quit_probability``): its shape for any coefficients, and the
default rates against their sources - JOLTS' retail quits for ordinary churn, and a modest effect of
an employee's own attitude (Griffeth, Hom & Gaertner 2000), so that many disengaged staff stay.
Separations (``separation_probability``): quits plus dismissals that fear raises (Batt & Colvin
2011), off by default."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaltysim.kernels.formulas import quit_probability as compiled_quit_probability
from loyaltysim.kernels.formulas import separation_probability as compiled_separation_probability
from loyaltysim.mechanisms import employees
from loyaltysim.mechanisms.employees import (
    EmployeeCoefficients,
    pay_effects,
    quit_probability,
    separation_probability,
)
from loyaltysim.parameters import pack

unit = st.floats(0.0, 1.0)


def coefficients(**values: float):
    return pack(EmployeeCoefficients(**values), EmployeeCoefficients)


@settings(deadline=None, max_examples=150)
@given(
    low=unit,
    high=unit,
    threshold=st.floats(0.05, 1.0),
    rate=st.floats(0.0, 0.5),
    base=st.floats(0.0, 0.1),
    pay_quit=st.floats(0.1, 5.0),
)
def test_quitting_falls_with_engagement_and_stays_within_its_bounds(
    low, high, threshold, rate, base, pay_quit
):
    low, high = min(low, high), max(low, high)
    k = coefficients(quit_threshold=threshold, quit_rate=rate, base_turnover=base)
    p_low, p_high = quit_probability(low, pay_quit, k), quit_probability(high, pay_quit, k)
    assert p_low >= p_high
    assert min(1.0, base * pay_quit) - 1e-12 <= p_high <= p_low <= min(1.0, (base + rate) * pay_quit) + 1e-12
    assert quit_probability(threshold, pay_quit, k) == pytest.approx(min(1.0, base * pay_quit))
    assert compiled_quit_probability(low, pay_quit, k) == p_low  # the numba engine's copy


def test_ordinary_churn_at_the_going_wage_is_jolts_retail_quit_rate():
    """BLS JOLTS: retail trade quits about 3-3.5 % of employment a month."""
    k = coefficients()
    _, pay_quit = pay_effects(k[employees.REFERENCE_WAGE], k)
    weekly = quit_probability(0.7, pay_quit, k)
    monthly = 1.0 - (1.0 - weekly) ** (52 / 12)
    assert 0.029 <= monthly <= 0.036, monthly


def test_the_wholly_disengaged_quit_a_few_times_as_often_not_thirteen_times():
    """Griffeth, Hom & Gaertner 2000: attitudes predict quitting modestly, and Gallup's actively
    disengaged (13-17 % of US staff) stay. With 0.06 / 0.005 (until 2026-12-06) the ratio was 13."""
    k = coefficients()
    ratio = quit_probability(0.0, 1.0, k) / quit_probability(0.7, 1.0, k)
    assert 2.0 <= ratio <= 6.0, ratio


@settings(deadline=None, max_examples=150)
@given(engagement=unit, trust=unit, more_trust=unit, rate=st.floats(0.0, 0.1), pay_quit=st.floats(0.1, 5.0))
def test_separations_are_quits_plus_dismissals_that_trust_lowers(
    engagement, trust, more_trust, rate, pay_quit
):
    k = coefficients(dismissal_rate=rate)
    quits = quit_probability(engagement, pay_quit, k)
    p = separation_probability(engagement, pay_quit, trust, k)
    assert p == pytest.approx(min(1.0, quits + rate * (1.0 - trust)))
    assert quits <= p <= 1.0
    assert separation_probability(engagement, pay_quit, max(trust, more_trust), k) <= p  # trust keeps staff
    assert compiled_separation_probability(engagement, pay_quit, trust, k) == p  # the numba engine's copy
    # off (the default): exactly the quits, so no output moves
    assert separation_probability(engagement, pay_quit, trust, coefficients()) == quits


def test_dismissals_at_a_middling_trust_are_jolts_retail_layoffs_and_discharges():
    """The value the coefficient's description names: 0.005 at full fear lets go 1-1.3 % of staff
    a month at trust 0.5 (BLS JOLTS, retail trade layoffs and discharges)."""
    k = coefficients(dismissal_rate=0.005)
    weekly = separation_probability(0.7, 1.0, 0.5, k) - quit_probability(0.7, 1.0, k)
    monthly = 1.0 - (1.0 - weekly) ** (52 / 12)
    assert 0.010 <= monthly <= 0.013, monthly
    assert EmployeeCoefficients().dismissal_rate == 0.0  # off by default (docs/validation.md says why)
