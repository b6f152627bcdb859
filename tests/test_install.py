"""The core wheel, installed without extras into a fresh virtual environment, runs `loyaltysim
run` and `loyaltysim sweep` from outside the repository; what needs an extra says how to get it.

Builds the wheel and installs its dependencies from PyPI: about a minute, so marked ``install``
(still part of ``make test``; deselect with ``-m "not install"`` when iterating).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.install

#: Extras' modules that must be absent from a core install.
EXTRA_MODULES = (
    "solara",
    "ipyvuetify",
    "altair",
    "dask",
    "distributed",
    "pymc_marketing",
    "lifetimes",
    "ema_workbench",
)

TINY_EXPERIMENT = """\
name = "tiny"
scenario = "corner_pharmacy"
replications = 1
[set]
"market.customers" = 120
"market.weeks" = 20
[parameters."firms.pharmacy.culture.trust"]
values = [0.2, 0.8]
[outputs]
firms = ["all"]
metrics = ["customer_base", "loyalty_rate"]
final_weeks = 4
"""


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 600):
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """(bin directory, a working directory outside the repository, environment)."""
    base = tmp_path_factory.mktemp("core-install")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["NUMBA_CACHE_DIR"] = str(base / "numba-cache")
    wheels = base / "wheels"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", wheels, ROOT],
        cwd=base,
        env=env,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("loyaltysim-*.whl")
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / ("Scripts" if os.name == "nt" else "bin")
    installed = _run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], cwd=base, env=env, timeout=900
    )
    assert installed.returncode == 0, installed.stderr
    work = base / "work"
    work.mkdir()
    return bin_dir, work, env


def test_core_install_has_no_extras(core_venv):
    bin_dir, work, env = core_venv
    probe = _run(
        [
            bin_dir / "python",
            "-c",
            "import importlib.util, loyaltysim; "
            f"print([m for m in {EXTRA_MODULES!r} if importlib.util.find_spec(m)]); "
            "print(loyaltysim.__file__)",
        ],
        cwd=work,
        env=env,
    )
    assert probe.returncode == 0, probe.stderr
    present, location = probe.stdout.splitlines()
    assert present == "[]"
    assert str(ROOT) not in location and "site-packages" in location


def test_core_install_runs_a_scenario_outside_the_repository(core_venv):
    bin_dir, work, env = core_venv
    run = _run(
        [
            bin_dir / "loyaltysim",
            "run",
            "corner_pharmacy",
            "--customers",
            "150",
            "--weeks",
            "20",
            "--out",
            "run",
            "--quiet",
        ],
        cwd=work,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    weekly = (work / "run" / "firm_weekly.csv").read_text(encoding="utf-8").splitlines()
    assert weekly[0].startswith("week,firm") and len(weekly) > 20


def test_core_install_runs_a_sweep_outside_the_repository(core_venv):
    bin_dir, work, env = core_venv
    (work / "tiny.toml").write_text(TINY_EXPERIMENT, encoding="utf-8")
    sweep = _run(
        [bin_dir / "loyaltysim", "sweep", "tiny.toml", "--out", "sweep", "--workers", "1", "--quiet"],
        cwd=work,
        env=env,
    )
    assert sweep.returncode == 0, sweep.stderr
    assert len(list((work / "sweep" / "runs").glob("*.parquet"))) == 2
    check = _run(
        [
            bin_dir / "python",
            "-c",
            "from loyaltysim.sweep import load_results; "
            "df = load_results('sweep'); print(sorted(set(df['firm'])))",
        ],
        cwd=work,
        env=env,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "['pharmacy', 'supermarket']"


def test_core_install_ships_the_cdnow_data(core_venv):
    bin_dir, work, env = core_venv
    check = _run(
        [
            bin_dir / "python",
            "-c",
            "from loyaltysim import btyd; print(len(btyd.cdnow_summary()), "
            "btyd.cdnow_transactions()['customer_id'].nunique())",
        ],
        cwd=work,
        env=env,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.split() == ["2357", "2357"]


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (["ui", "corner_pharmacy"], "ui"),
        (["sweep", "tiny.toml", "--out", "sweep-dask", "--cluster", "local", "--quiet"], "cluster"),
    ],
)
def test_commands_needing_an_extra_say_which_to_install(core_venv, command, extra):
    bin_dir, work, env = core_venv
    (work / "tiny.toml").write_text(TINY_EXPERIMENT, encoding="utf-8")
    proc = _run([bin_dir / "loyaltysim", *command], cwd=work, env=env, timeout=120)
    assert proc.returncode == 1
    assert f"pip install 'loyaltysim[{extra}]'" in proc.stderr
    assert "Traceback" not in proc.stderr
