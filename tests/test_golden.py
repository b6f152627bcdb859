"""Golden outputs: every shipped scenario on both engines gives, value for value, the weekly tables
recorded in ``tests/golden/data``, and every validation finding at --quick size the same figures
(see ``tests/golden/record.py``, which also re-records them when a change is meant to move
numbers).

A finding's detail table is compared to 1e-9 relative: findings fit regressions with LAPACK, whose
last bits differ between NumPy builds (the attitude-patronage coefficients differ in their last
bits between NumPy 2.4 and 2.5), while the model's own numbers are the same on every build. The
BG/NBD parameters of the buy-till-you-die finding are maximum-likelihood estimates found by
L-BFGS-B, which stops once the likelihood no longer improves by its tolerance: where it stops moves
with the CPU's floating-point kernels (OpenBLAS and libm pick code by CPU; on an Intel Xeon with
AVX-512 the estimates differ from the AMD EPYC's recorded ones by up to 2.4e-5 relative, with the
cohort's data - customers, repeats, holdout purchases - bit for bit the same, 2026-12-06), so those
columns are compared at 1e-4 and the data columns at 1e-9."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from loyaltysim.scenario import shipped_scenarios
from loyaltysim.validation.registry import FINDINGS
from tests.golden.record import (
    RUNS,
    _stringify_columns,
    finding_paths,
    finding_tables,
    scenario_path,
    scenario_table,
)

pytestmark = pytest.mark.slow

#: Columns of a finding's table that an optimiser estimates (compared at FITTED_RTOL, see above).
FITTED_COLUMNS = {
    "buy_till_you_die": (
        *("r", "alpha", "a", "b", "se_r", "se_alpha", "se_a", "se_b"),
        *("r/alpha", "a/(a+b)", "holdout forecast"),
    ),
}
FITTED_RTOL = 1e-4


@pytest.mark.parametrize("engine", list(RUNS))
@pytest.mark.parametrize("name", list(shipped_scenarios()))
def test_scenario_matches_golden(name: str, engine: str) -> None:
    expected = pd.read_parquet(scenario_path(name, engine))
    pd.testing.assert_frame_equal(scenario_table(name, engine), expected, check_exact=True)


@pytest.mark.parametrize("key", list(FINDINGS))
def test_finding_matches_golden(key: str) -> None:
    table_path, json_path = finding_paths(key)
    table, simulated = finding_tables(key)
    assert simulated == json.loads(json_path.read_text())
    if table is None:
        assert not table_path.exists()
    else:
        table, expected = _stringify_columns(table), pd.read_parquet(table_path)
        fitted = list(FITTED_COLUMNS.get(key, ()))
        assert set(fitted) <= set(expected.columns), "a fitted column was renamed"
        pd.testing.assert_frame_equal(
            table.drop(columns=fitted),
            expected.drop(columns=fitted),
            check_exact=False,
            rtol=1e-9,
            atol=1e-12,
        )
        pd.testing.assert_frame_equal(
            table[fitted], expected[fitted], check_exact=False, rtol=FITTED_RTOL, atol=1e-12
        )
