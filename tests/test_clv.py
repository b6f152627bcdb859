"""Customer lifetime value: the README's per-firm PyMC-Marketing recipe runs on a real export and
agrees with loyaltysim.btyd; the shipped CDNOW data is the published sample."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loyaltysim import btyd
from loyaltysim.simulate import simulate
from loyaltysim.transactions import TransactionRecorder, write_transactions

ROOT = Path(__file__).resolve().parents[1]
HAS_PYMC_MARKETING = importlib.util.find_spec("pymc_marketing") is not None
needs_clv = pytest.mark.skipif(
    not HAS_PYMC_MARKETING, reason="pymc-marketing is not installed: pip install 'loyaltysim[clv]'"
)


def readme_recipe() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- BEGIN transactions-export -->", 1)[1].split(
        "<!-- END transactions-export -->", 1
    )[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A real export: 78 weeks of the pharmacy and the brand (the supermarket opens later)."""
    recorder = TransactionRecorder()
    simulate("pharmacy_vs_brand", customers=400, weeks=78, seed=3, on_week=recorder.record)
    frame = recorder.frame()
    path = write_transactions(frame, tmp_path_factory.mktemp("clv") / "tx.parquet")
    return path, frame


@pytest.mark.parametrize("name", sorted(btyd.CDNOW_FILES))
def test_shipped_cdnow_files_are_the_published_ones(name):
    data = gzip.decompress(btyd.cdnow_data_file(name).read_bytes())
    assert hashlib.sha256(data).hexdigest() == btyd.CDNOW_FILES[name]


def test_shipped_cdnow_files_equal_lifetimes_copies_when_installed():
    """lifetimes (a test dependency) ships the same bytes; without it there is nothing to compare."""
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution("lifetimes")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("lifetimes is not installed")
    for name in btyd.CDNOW_FILES:
        theirs = Path(str(dist.locate_file(f"lifetimes/datasets/{name}"))).read_bytes()
        assert gzip.decompress(btyd.cdnow_data_file(name).read_bytes()) == theirs, name


def test_unknown_cdnow_file_is_refused_with_the_names_shipped():
    with pytest.raises(FileNotFoundError, match=r"CDNOW_sample\.txt"):
        btyd.cdnow_data_file("CDNOW_master.txt")


def test_export_has_purchases_at_more_than_one_firm(export):
    """The recipe's point (one model per firm) needs an export with several firms."""
    _, frame = export
    assert frame["firm"].nunique(dropna=True) >= 2


@needs_clv
def test_readme_recipe_fits_every_firm_and_agrees_with_btyd(export):
    path, frame = export
    code = readme_recipe().replace('"runs/tx.parquet"', repr(str(path)))
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README.md", "exec"), namespace)
    fits = namespace["fits"]
    firms = sorted(frame["firm"].astype(str).unique())
    assert sorted(fits) == firms
    for firm in firms:
        bgnbd, spend = fits[firm]
        summary = bgnbd.fit_summary()
        r, alpha = float(summary["r"]), float(summary["alpha"])
        rfm = namespace["clv"].utils.rfm_summary(
            frame[frame["firm"] == firm], "customer_id", "date", "amount", time_unit="W"
        )
        mle = btyd.fit_bgnbd(rfm["frequency"], rfm["recency"], rfm["T"]).params
        # The purchase rate while alive (r / alpha per week) is what the data pin down; the
        # dropout parameters a, b are weakly identified and pulled by PyMC-Marketing's priors.
        assert r / alpha == pytest.approx(mle["r"] / mle["alpha"], rel=0.05), firm
        spend_summary = spend.fit_summary()
        assert np.isfinite(spend_summary.to_numpy(dtype=float)).all()
        repeat = rfm[rfm["frequency"] > 0]
        expected_spend = spend.expected_customer_spend(repeat)
        mean_spend = float(expected_spend.mean())
        assert 0.5 * repeat["monetary_value"].mean() < mean_spend < 2 * repeat["monetary_value"].mean()
