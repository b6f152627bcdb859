"""Validation findings on complaints: TARP's complaint-repurchase table and the recovery paradox.

Each finding runs once at --quick size (module-scoped fixtures); the tests assert the comparisons
the model reproduces, that the one it cannot (the paradox vanishing after a second failure) is
reported as not reproduced with its reason, and check the ingredients: the failure tracker against
a brute-force replay, the problem-size mechanism (off by default, same in both engines), and the
experiment files' error messages.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engines import assert_same_run, run_both

from loyaltysim.kernels import formulas
from loyaltysim.mechanisms.complaints import ComplaintCoefficients, problem_size_sting
from loyaltysim.model import LoyaltyModel
from loyaltysim.parameters import pack
from loyaltysim.scenario import load_scenario
from loyaltysim.state import OK, SILENT
from loyaltysim.validation import ValidationExperimentError, load_validation, run_finding
from loyaltysim.validation.experiment import validation_dir
from loyaltysim.validation.failures import Tracking, track_failures
from loyaltysim.validation.findings import complaint_repurchase, recovery_paradox
from loyaltysim.validation.result import Closeness

# -- finding 1: complaint handling and repurchase -------------------------------------------------


@pytest.fixture(scope="module")
def tarp():
    return run_finding("complaint_repurchase", quick=True)


#: TARP's structure: the orderings by handling, the size effect, the larger gap for big problems.
#: Until issue 18 the experiment fitted its own behaviour coefficients and most of it held; on the
#: model's one set of defaults handling barely moves the next purchase; the one set known to give
#: TARP's gaps with the recovery paradox breaks other findings (docs/calibration.md, "Size, refunds
#: and the paradox's two sides").
TARP_ORDERINGS = ["ordering of handling, problem under $5", "ordering of handling, problem over $100"]


def _tarp_comparison(tarp, name):
    found = [c for c in tarp.comparisons if c.quantity == name or c.quantity.startswith(name + " (")]
    found = found or [c for c in tarp.comparisons if c.quantity.startswith(name)]
    assert len(found) == 1, (name, [c.quantity for c in tarp.comparisons])
    return found[0]


@pytest.mark.xfail(
    strict=True,
    reason="issue 18: on the default coefficients a failure's handling barely moves the next "
    "purchase; the set that keeps TARP with the recovery paradox (docs/calibration/"
    "size_two_cores/tarp_and_paradox.toml) breaks Dick & Basu and zero defections, so it is not "
    "the default",
)
@pytest.mark.parametrize("name", TARP_ORDERINGS)
def test_tarp_orderings_hold(tarp, name):
    """The ordering, with TARP's kind of separation: a fix on the spot keeps at least 20 points
    more customers than silence (TARP: 58 and 73). On a flat table four shares fall in order by
    luck now and then (the over-$100 row did on one seed set in six): the separation keeps that
    luck from passing as TARP."""
    c = _tarp_comparison(tarp, name)
    band = tarp.table[tarp.table["band"] == name.split("problem ", 1)[1]]
    assert c.reproduced, (c.quantity, c.published, c.simulated)
    assert band["share"].iloc[-1] - band["share"].iloc[0] >= 0.20, band


def test_tarp_on_the_defaults_is_nearly_flat_and_the_report_says_why(tarp):
    """What the one coefficient set gives today, pinned so that a change shows: every cell lies
    within three binomial standard errors and 12 points of the share over all eight cells (TARP's
    cells span 86 points), every missed comparison is named under "Not reproduced", with what the
    model lacks and where the calibration's search is reported; the verdict is partial exactly
    when one misses. Measured on the experiment's seeds and five shifted sets: cells 66-83 %
    around 77-78 %; the thinnest cell (about 60 failures over $100 fixed on the spot) is the
    one that strays, by up to 11 points (2.1 standard errors), so a fixed spread of 15 points
    between cells failed one set in six."""
    cells = tarp.comparisons[:8]
    assert len(tarp.comparisons) == 12 and all(c.quantity.startswith("buy again") for c in cells)
    share, events = tarp.table["share"].to_numpy(), tarp.table["events"].to_numpy()
    pooled = float(np.sum(share * events) / np.sum(events))
    stray = np.abs(share - pooled)
    assert (stray <= 3 * np.sqrt(pooled * (1 - pooled) / events)).all(), (pooled, share, events)
    assert (stray <= 0.12).all(), (pooled, share)
    misses = [c for c in tarp.comparisons if not c.reproduced]
    assert misses
    not_reproduced = tarp.discussion.split("**Not reproduced:**", 1)[1]
    for c in misses:
        assert c.quantity in not_reproduced
    assert "critical incident" in not_reproduced and "docs/calibration.md" in not_reproduced
    assert tarp.verdict != "reproduced"
    # What holds on a flat table is named as luck, not claimed for the mechanism.
    for c in (c for c in tarp.comparisons if c.reproduced):
        assert c.quantity in not_reproduced.split("by the table's flatness", 1)[0].rsplit("What holds", 1)[1]


def test_tarp_cells_are_computed_from_enough_failures(tarp):
    table = tarp.table
    calibrated = table[["band", "handling", "published", "share", "events"]]
    assert (calibrated["events"] >= 30).all()
    # each cell's verdict is the criterion (within 10 points, n >= 30) applied to the table
    diff = (calibrated["share"] - calibrated["published"]).abs()
    for k, c in enumerate(tarp.comparisons[:8]):
        assert c.reproduced == bool(diff.iloc[k] <= 0.10 and calibrated["events"].iloc[k] >= 30), c
    # the comparison text is the table's numbers, not a separate computation
    first = tarp.comparisons[0]
    assert first.simulated.startswith(f"{100 * table['share'].iloc[0]:.0f} %")


def test_tarp_runs_on_the_default_behaviour_coefficients():
    """Issue 18: the TARP experiment sets the setting of the survey (a rival open, an outside
    option, staff allowed to fix big problems) but no behaviour coefficient: its runs use the same
    ``behaviour`` section and customer emotion weights as the shipped loyal brand."""
    from loyaltysim.scenario import load_scenario
    from loyaltysim.validation.experiment import load_validation

    loaded = load_validation("complaint_repurchase")
    run = loaded.scenario(None)
    shipped = load_scenario("loyal_brand")
    assert run.behaviour == shipped.behaviour
    assert run.customers.emotion_weight == shipped.customers.emotion_weight
    assert run.market.outside_utility != shipped.market.outside_utility  # the setting does change
    assert not loaded.spec.variants  # no contrast run with other coefficients


def test_tarp_comparisons_follow_the_numbers():
    """The verdicts are computed: a table off by more than the tolerance fails, an inverted
    ordering fails, equal bands fail the size comparison."""
    import pandas as pd

    params = complaint_repurchase.Params()
    rows = []
    for band, shares in complaint_repurchase.PUBLISHED.items():
        for (code, label), share in zip(complaint_repurchase.ROWS, shares, strict=True):
            rows.append(
                {
                    "band": band,
                    "handling": label,
                    "outcome": code,
                    "published": share,
                    "share": share,
                    "events": 100,
                }
            )
    exact = pd.DataFrame(rows)
    assert all(c.reproduced for c in complaint_repurchase.comparisons(exact, params))
    off = exact.copy()
    off.loc[0, "share"] -= 0.11  # 26 %: ordering and gaps still hold
    judged = complaint_repurchase.comparisons(off, params)
    assert judged[0].reproduced is False and all(c.reproduced for c in judged[1:])
    assert judged[0].closeness == Closeness(pytest.approx(0.26), 0.37, 0.10)  # for the calibration
    flat = exact.copy()
    flat["share"] = 0.5
    verdicts = {c.quantity: c.reproduced for c in complaint_repurchase.comparisons(flat, params)}
    assert not any(v for k, v in verdicts.items() if not k.startswith("buy again"))
    thin = exact.copy()
    thin.loc[3, "events"] = 5
    assert complaint_repurchase.comparisons(thin, params)[3].reproduced is False


def test_tarp_orderings_carry_how_far_they_miss():
    """For a calibration: a flat row misses its ordering by 0 (cost 1), a row with one step 4
    points the wrong way by 0.04; big problems as loyal as small ones miss by how much more the big
    row keeps; the gap comparison by the gap's difference in points."""
    import pandas as pd

    params = complaint_repurchase.Params()
    rows = [
        {"band": band, "handling": label, "outcome": code, "published": pub, "share": pub, "events": 100}
        for band, shares in complaint_repurchase.PUBLISHED.items()
        for (code, label), pub in zip(complaint_repurchase.ROWS, shares, strict=True)
    ]
    table = pd.DataFrame(rows)
    table.loc[table["band"] == "small", "share"] = [0.50, 0.46, 0.70, 0.95]  # one step -4 points
    table.loc[table["band"] == "large", "share"] = [0.55, 0.55, 0.55, 0.55]  # flat, above small's 0.50
    judged = complaint_repurchase.comparisons(table, params)[8:]
    small, large, size, gap = judged
    assert [c.quantity.split(" ")[0] for c in judged] == ["ordering", "ordering", "bigger", "handling"]
    assert not small.reproduced and small.margin.shortfall == pytest.approx(0.04)
    assert not large.reproduced and large.margin.shortfall == 0.0  # a flat row: at the line
    assert not size.reproduced and size.margin.shortfall == pytest.approx(0.09)  # 0.55 vs 0.46
    assert not gap.reproduced and gap.margin.shortfall == pytest.approx(45.0)  # 0 vs 45 points


# -- finding 3: service recovery paradox --------------------------------------------------------


@pytest.fixture(scope="module")
def paradox():
    return run_finding("recovery_paradox", quick=True)


def test_paradox_after_a_first_recovered_failure(paradox):
    first = paradox.comparisons[0]
    assert first.reproduced, first
    row = paradox.table.iloc[0]
    assert row["sat after"] > row["sat before"]
    t = float(first.simulated.split("t = ")[1].split(",")[0])  # the margin is the t it reports
    assert first.margin.simulated == pytest.approx(t, abs=0.051) and first.margin.line == 2.0


def test_paradox_shows_in_satisfaction_much_more_than_in_repurchase(paradox):
    """d(satisfaction) >= 2 |d(repurchase)|. Measured at the quick size on the experiment's seeds
    and on five shifted sets: d(satisfaction) +0.07..+0.09, d(repurchase) -0.00..+0.03 with two
    replications; with one, one set in six gave d(repurchase) +0.05 and broke it."""
    assert paradox.comparisons[2].reproduced, paradox.comparisons[2]


def test_paradox_is_gone_after_a_second_failure(paradox):
    """Failure memory (issue 17): a second failure fixed on the spot no longer leaves satisfaction
    above its level before the first (Maxham & Netemeyer 2002). Before issue 17 the model had no
    memory and the second recovery lifted satisfaction like the first (t = 3.8 above the level
    before the first); now t = 0.3. The report says which mechanism does it."""
    second = paradox.comparisons[1]
    assert second.reproduced
    assert "failure_memory" in paradox.discussion and "repeat_recovery_cut" in paradox.discussion
    row = paradox.table.iloc[1]
    assert row["n"] >= 30
    # not above the level before the first by more than noise: within 2 standard errors
    assert row["sat after"] - row["sat before the first"] < 0.01


# -- the failure tracker against a brute-force replay --------------------------------------------


@pytest.mark.parametrize("occasions", [1, 3])
def test_tracker_matches_a_brute_force_replay(occasions):
    overrides = {"market.customers": 1500, "firms.supermarket.open": True}
    scenario = load_scenario("loyal_brand", overrides)
    weeks, burn_in = 40, 5
    events = track_failures(
        scenario, 3, Tracking(weeks=weeks, burn_in=burn_in, occasions=occasions, control_share=0.1)
    )
    model = LoyaltyModel(scenario, rng=3)
    firms, outcomes = [], []
    for _ in range(weeks):
        model.step()
        v = model.week_visits()
        firms.append(v.firm.copy())
        outcomes.append(v.outcome.copy())
    firms, outcomes = np.array(firms), np.array(outcomes)  # (weeks, n)
    failures = [(w + 1, i) for w in range(weeks) for i in np.flatnonzero(outcomes[w] != OK)]
    kept = [(w, i) for w, i in failures if w > burn_in]
    expected = {}
    for w, i in kept:
        later = [firms[k, i] for k in range(w, weeks) if firms[k, i] >= 0][:occasions]
        f = firms[w - 1, i]
        if f in later:
            expected[(w, i)] = True
        elif len(later) == occasions:
            expected[(w, i)] = False
    fails = events[events["outcome"] != OK]
    got = {(int(r.week), int(r.customer)): bool(r.bought_again) for r in fails.itertuples()}
    assert got == expected
    assert len(got) > 100 and 0 < np.mean(list(got.values())) < 1
    # nth_failure counts from week 1, burn-in included
    for r in fails.head(200).itertuples():
        f = firms[r.week - 1, r.customer]
        assert r.nth_failure == int(
            ((outcomes[: r.week, r.customer] != OK) & (firms[: r.week, r.customer] == f)).sum()
        )
    controls = events[events["outcome"] == OK]
    assert len(controls) > 0 and (controls["nth_failure"] == 0).all()


# -- the problem-size mechanism -------------------------------------------------------------------


def _size_k(penalty: float, half: float, exponent: float = 1.0) -> tuple[float, ...]:
    values = {
        "problem_size_penalty": penalty,
        "problem_size_dollars": half,
        "problem_size_exponent": exponent,
    }
    return pack(ComplaintCoefficients(**values), ComplaintCoefficients)


@settings(max_examples=80, deadline=None)
@given(
    cost=st.floats(0, 1e6),
    bigger=st.floats(0, 1e6),
    penalty=st.floats(0, 1),
    half=st.floats(0.01, 1e6),
    exponent=st.floats(0.25, 6.0),
)
def test_problem_size_sting_is_zero_when_off_and_grows_with_cost(cost, bigger, penalty, half, exponent):
    assert problem_size_sting(cost, SILENT, _size_k(0.0, half, exponent)) == 0.0
    k = _size_k(penalty, half, exponent)
    sting = problem_size_sting(cost, SILENT, k)
    assert 0.0 <= sting <= penalty
    lo, hi = sorted((cost, bigger))
    assert problem_size_sting(lo, SILENT, k) <= problem_size_sting(hi, SILENT, k) + 1e-15
    assert math.isclose(problem_size_sting(half, SILENT, k), penalty / 2, abs_tol=1e-12)
    # The numba kernels inline the same formula: the same bits.
    assert formulas.problem_size_sting(cost, SILENT, k) == sting


@settings(max_examples=80, deadline=None)
@given(cost=st.floats(0, 1e6), penalty=st.floats(0, 1), half=st.floats(0.01, 1e6))
def test_exponent_1_is_the_first_curve_bit_for_bit(cost, penalty, half):
    """The default exponent leaves every output as it was before the exponent existed."""
    expected = penalty * cost / (cost + half)
    assert (
        np.float64(problem_size_sting(cost, SILENT, _size_k(penalty, half))).tobytes()
        == np.float64(expected).tobytes()
    )


@settings(max_examples=80, deadline=None)
@given(
    ratio=st.floats(1e-3, 1e3),
    penalty=st.floats(0.01, 1),
    half=st.floats(1.0, 1e4),
    exponent=st.floats(1.0, 6.0),
)
def test_a_steeper_curve_spares_problems_under_the_half_point_and_stings_those_over_it(
    ratio, penalty, half, exponent
):
    """The zone of tolerance: with an exponent above 1 a problem under problem_size_dollars stings
    less than on the gentle curve, one over it more."""
    cost = ratio * half
    gentle = problem_size_sting(cost, SILENT, _size_k(penalty, half, 1.0))
    steep = problem_size_sting(cost, SILENT, _size_k(penalty, half, exponent))
    if ratio < 1.0:
        assert steep <= gentle + 1e-12
    else:
        assert steep >= gentle - 1e-12


def test_problem_size_is_off_by_default():
    """With the default penalty (0) the half-size dollars cannot change any result."""
    runs = []
    for dollars in (100.0, 7.0):
        model = LoyaltyModel(
            "fear_culture",
            rng=2,
            overrides={"market.customers": 800, "behaviour.problem_size_dollars": dollars},
        )
        model.run(30)
        runs.append(model.firm_weekly())
    assert runs[0].equals(runs[1])


def test_problem_size_penalty_is_the_same_in_both_engines_and_hurts_big_problems():
    overrides = {
        "market.customers": 300,
        "behaviour.problem_size_penalty": 0.8,
        "behaviour.problem_size_dollars": 20.0,
    }
    ref, fast = run_both("fear_culture", 40, overrides, seed=4)
    assert_same_run(ref, fast)
    off = LoyaltyModel("fear_culture", rng=4, overrides={"market.customers": 300})
    off.run(40)
    on_att = fast.state.attachment.mean()
    assert on_att < off.state.attachment.mean()


def test_engines_agree_with_a_steep_problem_size_curve():
    overrides = {
        "market.customers": 300,
        "behaviour.problem_size_penalty": 0.8,
        "behaviour.problem_size_dollars": 40.0,
        "behaviour.problem_size_exponent": 3.0,
    }
    ref, fast = run_both("fear_culture", 40, overrides, seed=4)
    assert_same_run(ref, fast)
    gentle = LoyaltyModel(
        "fear_culture", rng=4, overrides={**overrides, "behaviour.problem_size_exponent": 1.0}
    )
    gentle.run(40)
    assert not np.array_equal(gentle.state.attachment, fast.state.attachment)  # the exponent acted


def test_size_penalty_lowers_attachment_after_a_big_silent_failure():
    """Same customers, same luck (common random numbers): in the first week, every customer with
    a silent failure ends less attached with the penalty on, more so for costlier problems."""
    # a cold start (no market warm-up): "the first week" is the first week the customers live
    base = {"market.customers": 3000, "market.warmup_weeks": 0}
    models = [
        LoyaltyModel("discount_chain", rng=9, overrides={**base, "behaviour.problem_size_penalty": p})
        for p in (0.0, 0.6)
    ]
    for m in models:
        m.step()
    visits = models[0].week_visits()
    silent = np.flatnonzero(visits.outcome == SILENT)
    assert len(silent) > 20
    f = visits.firm[silent].astype(int)
    drop = models[0].state.attachment[silent, f] - models[1].state.attachment[silent, f]
    assert (drop > -1e-7).all() and drop.mean() > 0
    cost = visits.problem_cost[silent]
    assert np.corrcoef(cost, drop)[0, 1] > 0
    assert (np.array(models[1].week_visits().outcome) == np.array(visits.outcome)).all()


def test_a_steep_size_curve_spares_small_silent_failures_and_stings_big_ones():
    """Same customers, same luck: in the first week, a silent failure under problem_size_dollars
    costs less attachment on the steep curve (exponent 3) than on the gentle one, one over it more."""
    base = {
        "market.customers": 6000,
        "market.warmup_weeks": 0,
        # under silent_failure_value (0.1): the silent visit's value is never clipped at 0
        "behaviour.problem_size_penalty": 0.09,
        "behaviour.problem_size_dollars": 30.0,
    }
    models = [
        LoyaltyModel("discount_chain", rng=9, overrides={**base, "behaviour.problem_size_exponent": n})
        for n in (1.0, 3.0)
    ]
    for m in models:
        m.step()
    visits = models[0].week_visits()
    assert (np.array(models[1].week_visits().outcome) == np.array(visits.outcome)).all()
    silent = np.flatnonzero(visits.outcome == SILENT)
    f = visits.firm[silent].astype(int)
    gain = models[1].state.attachment[silent, f] - models[0].state.attachment[silent, f]
    cost = visits.problem_cost[silent]
    small, big = cost < 15.0, cost > 60.0
    assert small.sum() >= 20 and big.sum() >= 20
    assert (gain[small] > -1e-7).all() and gain[small].mean() > 0
    assert (gain[big] < 1e-7).all() and gain[big].mean() < 0


# -- experiment files -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["complaint_repurchase", "recovery_paradox"])
def test_experiment_files_load(key):
    loaded = load_validation(key, quick=True)
    assert loaded.key == key
    assert loaded.path == validation_dir() / f"{key}.toml"
    assert loaded.scenario().market.customers > 0


@pytest.mark.parametrize(
    "key, bad, path",
    [
        ("complaint_repurchase", "small_problem_dollars = -5.0", "params.small_problem_dollars"),
        ("complaint_repurchase", "occasions = 0", "params.occasions"),
        ("complaint_repurchase", "no_such_knob = 1", "params.no_such_knob"),
        ("recovery_paradox", "strata = 0", "params.strata"),
        ("recovery_paradox", "effect_ratio = 0.5", "params.effect_ratio"),
    ],
)
def test_bad_params_name_file_and_key(tmp_path, key, bad, path):
    text = (validation_dir() / f"{key}.toml").read_text(encoding="utf-8")
    name = bad.split(" = ")[0]
    lines = [line for line in text.splitlines() if not line.startswith(f"{name} =")]
    lines.append(bad)  # [params] is the last table of both files
    target = tmp_path / f"{key}.toml"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationExperimentError) as err:
        load_validation(target)
    message = str(err.value)
    assert str(target) in message and path in message


def test_bands_must_be_ordered():
    with pytest.raises(ValueError, match="small_problem_dollars must be below"):
        complaint_repurchase.Params(small_problem_dollars=200.0, large_problem_dollars=100.0)
    assert recovery_paradox.Params().strata == 5


def test_validate_cli_writes_both_sections(tmp_path):
    out = tmp_path / "validation.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "loyaltysim",
            "validate",
            "--quick",
            "--only",
            "complaint_repurchase",
            "recovery_paradox",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "## Complaint handling and repurchase (TARP)" in text
    assert "## Service recovery paradox" in text
    assert "PARTLY reproduced" in text  # the second-failure part, honestly
    for key in ("complaint_repurchase", "recovery_paradox"):
        assert (Path(tmp_path) / "validation" / f"{key}.png").stat().st_size > 1000
