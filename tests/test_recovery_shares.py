"""How much of a failure's size and of a recovery's lift each outcome keeps
(loyaltysim/mechanisms/complaints.py): ``behaviour.problem_size_resolved_share`` - a resolved,
refunded problem keeps that share of the size penalty (TARP: handling matters more for big
problems; Tax, Brown & Chandrashekaran 1998) - and ``behaviour.recovery_attachment_share`` - the
share of the recovery bonus that reaches the visit's emotional value, while its quality gets all of
it (de Matos, Henrique & Rossi 2007: the paradox shows in satisfaction, not in repurchase). Both 1
by default: the same bits as before they existed (the golden outputs check that too)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engines import assert_same_run, run_both

from loyaltysim.kernels import formulas
from loyaltysim.mechanisms.complaints import ComplaintCoefficients, problem_size_sting
from loyaltysim.model import LoyaltyModel
from loyaltysim.parameters import pack
from loyaltysim.state import ESCALATED, OK, ON_SPOT, SILENT, UNRESOLVED


def _k(**values: float) -> tuple[float, ...]:
    return pack(ComplaintCoefficients(**values), ComplaintCoefficients)


def test_both_shares_are_off_by_default():
    fields = ComplaintCoefficients.model_fields
    assert fields["problem_size_resolved_share"].default == 1.0
    assert fields["recovery_attachment_share"].default == 1.0


@settings(max_examples=100, deadline=None)
@given(
    cost=st.floats(0, 1e5),
    penalty=st.floats(0, 1),
    half=st.floats(0.01, 1e4),
    exponent=st.floats(0.25, 6.0),
    share=st.floats(0, 1),
)
def test_a_resolved_problem_keeps_its_share_of_the_sting(cost, penalty, half, exponent, share):
    size = {"problem_size_penalty": penalty, "problem_size_dollars": half, "problem_size_exponent": exponent}
    k = _k(**size, problem_size_resolved_share=share)
    full = problem_size_sting(cost, SILENT, k)
    assert problem_size_sting(cost, UNRESOLVED, k) == full
    for resolved in (ON_SPOT, ESCALATED):
        assert problem_size_sting(cost, resolved, k) == full * share
        assert formulas.problem_size_sting(cost, resolved, k) == full * share  # the kernels' twin
        # the default share leaves a resolved problem the whole sting, bit for bit
        assert problem_size_sting(cost, resolved, _k(**size)) == full


#: A small town where the brand fails often and fixes many failures on the spot, from a cold start
#: (no warm-up: "the first week" is the customers' first).
FAILING = {
    "market.customers": 20000,
    "market.warmup_weeks": 0,
    "firms.supermarket.open": True,
    "firms.brand.process.base_failure_rate": 0.25,
    "firms.brand.process.failure_floor": 0.25,
}


def test_engines_agree_with_both_shares_at_work():
    overrides = {
        **FAILING,
        "market.customers": 300,
        "market.warmup_weeks": 4,
        "market.warmup_fast_weeks": 2,
        "behaviour.problem_size_penalty": 0.5,
        "behaviour.problem_size_dollars": 40.0,
        "behaviour.problem_size_exponent": 2.0,
        "behaviour.problem_size_resolved_share": 0.3,
        "behaviour.recovery_attachment_share": 0.4,
    }
    ref, fast = run_both("loyal_brand", 15, overrides, seed=9)
    assert_same_run(ref, fast)
    weekly = fast.firm_weekly()
    assert weekly["resolved_on_spot"].sum() > 0 and weekly["silent_failures"].sum() > 0
    default = LoyaltyModel(
        "loyal_brand",
        rng=9,
        engine="numba",
        overrides={k: v for k, v in overrides.items() if "share" not in k},
    )
    default.run(15)
    assert not np.array_equal(default.state.attachment, fast.state.attachment)  # the shares acted


def _first_week(**values: float) -> tuple[LoyaltyModel, np.ndarray]:
    model = LoyaltyModel(
        "loyal_brand",
        rng=3,
        engine="numba",
        overrides={**FAILING, **{f"behaviour.{k}": v for k, v in values.items()}},
    )
    model.step()
    visits = model.week_visits()
    brand = model.firm_keys.index("brand")
    return model, np.where(visits.firm == brand, visits.outcome, -1)


def test_a_quick_fix_lifts_satisfaction_alike_and_attachment_by_the_share():
    whole, outcome = _first_week(recovery_attachment_share=1.0)
    part, outcome_part = _first_week(recovery_attachment_share=0.0)
    np.testing.assert_array_equal(outcome, outcome_part)  # the same visits and failures
    brand = whole.firm_keys.index("brand")
    fixed, routine = outcome == ON_SPOT, outcome == OK
    assert fixed.sum() >= 30
    # satisfaction takes the whole lift either way: the same bits for everyone
    np.testing.assert_array_equal(whole.state.satisfaction[:, brand], part.state.satisfaction[:, brand])
    # attachment: a routine visit is untouched; a quick fix lifts less without the share
    a_whole, a_part = whole.state.attachment[:, brand], part.state.attachment[:, brand]
    np.testing.assert_array_equal(a_whole[routine], a_part[routine])
    assert (a_part[fixed] <= a_whole[fixed] + 1e-7).all()
    assert (a_whole[fixed] - a_part[fixed]).mean() > 0.005


def test_a_refund_spares_a_big_fixed_problem_most_of_its_sting():
    size = {"problem_size_penalty": 0.09, "problem_size_dollars": 30.0}  # under silent_failure_value
    whole, outcome = _first_week(**size, problem_size_resolved_share=1.0)
    part, outcome_part = _first_week(**size, problem_size_resolved_share=0.2)
    np.testing.assert_array_equal(outcome, outcome_part)
    brand = whole.firm_keys.index("brand")
    cost = whole.week_visits().problem_cost
    a_whole, a_part = whole.state.attachment[:, brand], part.state.attachment[:, brand]
    fixed, silent = (outcome == ON_SPOT) & (cost > 10.0), outcome == SILENT
    assert fixed.sum() >= 30 and silent.sum() >= 30
    np.testing.assert_array_equal(a_whole[silent], a_part[silent])  # left unfixed: the whole sting
    assert (a_part[fixed] >= a_whole[fixed] - 1e-7).all()
    assert (a_part[fixed] - a_whole[fixed]).mean() > 0.001


def test_the_documented_candidate_keeps_tarp_and_the_recovery_paradox():
    """docs/calibration.md's claims about the hand-found set of
    docs/calibration/size_two_cores/tarp_and_paradox.toml, on the experiments' own seeds
    (``--quick``; with the seeds shifted it holds on three sets of four, as the document says):
    both findings whole with the loyal brand staffed and its staff quitting as when it was found,
    9 of TARP's 12 now."""
    import tomllib
    from pathlib import Path

    from loyaltysim.validation.runner import run_finding

    path = Path(__file__).parents[1] / "docs/calibration/size_two_cores/tarp_and_paradox.toml"
    fragment = tomllib.loads(path.read_text(encoding="utf-8"))
    overrides = {f"behaviour.{k}": v for k, v in fragment["behaviour"].items()}
    overrides["customers.emotion_weight.mean"] = fragment["customers"]["emotion_weight"]["mean"]
    assert len(overrides) == 15 and overrides["behaviour.recovery_attachment_share"] < 1.0
    # As found, with the loyal brand's staffing then (6.0 per 1,000) and the quitting coefficients
    # of the day (the set does not name them): both whole.
    found = {
        **overrides,
        "firms.brand.staffing.frontline_per_1000": 6.0,
        "behaviour.quit_rate": 0.06,
        "behaviour.base_turnover": 0.005,
    }
    for finding in ("complaint_repurchase", "recovery_paradox"):
        result = run_finding(finding, quick=True, overrides=found)
        failed = [f"{c.quantity}: {c.simulated}" for c in result.comparisons if not c.reproduced]
        assert not failed, failed
    # With the shipped staffing (3.0) and quitting: the paradox whole, TARP all but the three
    # comparisons the document names (measured 56 % and 22 %, each just outside TARP's 46 % and
    # 9 % +- 10, and the handling gap a tie, 54 points against 54).
    paradox = run_finding("recovery_paradox", quick=True, overrides=overrides)
    assert all(c.reproduced for c in paradox.comparisons)
    tarp = run_finding("complaint_repurchase", quick=True, overrides=overrides)
    failed = sorted(c.quantity for c in tarp.comparisons if not c.reproduced)
    assert failed == [
        "buy again, problem over $100: did not complain",
        "buy again, problem under $5: complained, not resolved",
        "handling matters more for big problems: resolved quickly minus did not complain",
    ], failed
