"""Optional extras: a missing one is named with its pip command, in Python and on the command line."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaltysim import extras


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("solara", "ui"),
        ("solara.lab", "ui"),
        ("ipyvuetify", "ui"),
        ("dask.distributed", "cluster"),
        ("distributed", "cluster"),
        ("pymc_marketing.clv", "clv"),
        ("pytensor", "clv"),
        ("ema_workbench", "ema"),
        ("numpy", None),
        ("loyaltysim.ui.server", None),
        (None, None),
    ],
)
def test_modules_map_to_their_extra(module, extra):
    assert extras.extra_for_module(module) == extra


@given(st.sampled_from(sorted(extras.EXTRAS)))
def test_the_message_names_the_extra_and_the_missing_package(extra):
    module = extras.EXTRAS[extra][0]
    message = extras.missing_extra_message(ModuleNotFoundError("x", name=f"{module}.sub"))
    assert f"pip install 'loyaltysim[{extra}]'" in message and f"'{module}'" in message


def test_other_missing_modules_are_not_blamed_on_an_extra():
    assert extras.missing_extra_message(ModuleNotFoundError("x", name="no_such_thing")) is None


def test_require_raises_with_the_install_command_when_a_module_is_absent(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a)
    )
    with pytest.raises(extras.MissingExtraError, match=r"pip install 'loyaltysim\[cluster\]'"):
        extras.require("cluster")
    with pytest.raises(ValueError, match="unknown extra 'gui'"):
        extras.require("gui")


def test_require_passes_when_the_extra_is_installed():
    if importlib.util.find_spec("solara") is None:
        pytest.skip("the ui extra is not installed here")
    extras.require("ui")


BLOCK_AND_RUN = """
import sys
for name in list(sys.modules):
    if name.split('.')[0] in {blocked!r}:
        del sys.modules[name]
for name in {blocked!r}:
    sys.modules[name] = None  # import raises ModuleNotFoundError, as when not installed
from loyaltysim.cli import main
sys.exit(main({argv!r}))
"""


@pytest.mark.parametrize(
    ("blocked", "argv", "extra"),
    [
        (["solara"], ["ui", "corner_pharmacy"], "ui"),
    ],
)
def test_cli_turns_a_missing_extra_into_its_install_command(blocked, argv, extra):
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_RUN.format(blocked=blocked, argv=argv)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert f"pip install 'loyaltysim[{extra}]'" in proc.stderr
    assert "Traceback" not in proc.stderr
