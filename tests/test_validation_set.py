"""``loyaltysim validate --set KEY=VALUE``: the findings (and the plausibility check) run with a
candidate set of coefficients - e.g. one from ``loyaltysim calibrate`` - and the report says so.
A bad key is refused before anything runs; the defaults' report cannot be overwritten with it."""

from __future__ import annotations

from loyaltysim.cli import main
from loyaltysim.validation.plausibility import measure
from loyaltysim.validation.runner import run_finding

FINDING = "attitude_patronage"  # a finding that takes seconds at --quick
KEY, VALUE = "customers.emotion_weight.mean", 12.0  # the default is 4: attachment weighs more


def test_a_bad_key_is_refused_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "v.md"
    code = main(["validate", "--quick", "--only", FINDING, "--set", "behaviour.nope=1", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "behaviour.nope" in err and "Allowed at behaviour" in err and "recovery_bonus" in err
    assert not out.exists() and not (tmp_path / "v").exists()


def test_set_needs_a_report_of_its_own(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # even here, docs/validation.md is the defaults' report
    assert main(["validate", "--quick", "--only", FINDING, "--set", f"{KEY}={VALUE}"]) == 2
    assert "--out" in capsys.readouterr().err
    assert not (tmp_path / "docs").exists()
    code = main(
        ["validate", "--quick", "--only", FINDING, "--set", f"{KEY}={VALUE}", "--out", "docs/validation.md"]
    )
    assert code == 2 and not (tmp_path / "docs").exists()


def test_the_findings_run_with_the_set_keys_and_the_report_says_so(tmp_path):
    default = run_finding(FINDING, quick=True)
    changed = run_finding(FINDING, quick=True, overrides={KEY: VALUE})
    assert [c.simulated for c in changed.comparisons] != [c.simulated for c in default.comparisons]
    assert changed.settings["overrides"][KEY] == VALUE  # the report's settings show it per finding
    out = tmp_path / "candidate.md"
    assert main(["validate", "--quick", "--only", FINDING, "--set", f"{KEY}={VALUE}", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert f"**Not the model's defaults**: every run of this report set `{KEY} = 12.0`" in text
    assert f"| `{KEY}` | 12.0 |" in text  # the coefficient table lists the value used
    for c in changed.comparisons:
        assert c.simulated in text  # the same numbers as the API's run with the key set


def test_the_plausibility_runs_take_the_set_keys_too():
    plain = measure("corner_pharmacy", customers=300, seeds=(1,))
    changed = measure("corner_pharmacy", customers=300, seeds=(1,), overrides={KEY: VALUE})
    assert not plain.values["value"].equals(changed.values["value"])
    assert changed.customers == 300  # the check's own size still wins
