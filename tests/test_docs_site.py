"""The documentation site (mkdocs.yml) builds with --strict: no warnings, the README as its home
page, every docs/*.md page without editing a nav, the API from the docstrings; a broken link or
anchor fails the build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")

ROOT = Path(__file__).resolve().parents[1]

#: What the site is built from (a copy of these makes a site we can break on purpose).
SOURCES = (
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    "mkdocs.yml",
    "tools",
    "docs",
    "benchmarks",
    "examples",
)


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(root / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The site's sources copied, with the package linked, to be changed by a test."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / name)
    (root / "loyaltysim").symlink_to(ROOT / "loyaltysim", target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = build(ROOT, out)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr
    return out


def test_home_page_is_the_readme_with_its_links_rewritten(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Retention is not loyalty." in home
    assert 'href="parameters/"' in home  # README's docs/parameters.md
    assert 'href="repo/benchmarks/RESULTS/"' in home  # a file outside docs/, published
    assert 'href="docs/parameters.md"' not in home
    assert (site / "repo" / "examples" / "clv_fit.ipynb").is_file()


def test_every_docs_page_is_built(site):
    for page in (ROOT / "docs").glob("*.md"):
        assert (site / page.stem / "index.html").is_file(), page.name


def test_api_reference_comes_from_the_docstrings(site):
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "LoyaltyModel" in api and "Named <code>spec</code> because" in api
    assert "replicate" in api and "fit_bgnbd" in api


def test_a_new_docs_page_is_picked_up_without_editing_the_config(copy, tmp_path):
    assert not (copy / "docs" / "a_new_page.md").exists()
    (copy / "docs" / "a_new_page.md").write_text(
        "# A new page\n\nSee [the parameters](parameters.md).\n", encoding="utf-8"
    )
    proc = build(copy, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "site" / "a_new_page" / "index.html").read_text(encoding="utf-8")
    assert "See <a" in page and "parameters/" in page
    assert 'href="a_new_page/"' in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[gone](nowhere.md)", "nowhere.md"),
        ("[gone](../benchmarks/NOWHERE.md)", "NOWHERE.md"),
        ("[no such heading](parameters.md#no-such-heading)", "no-such-heading"),
    ],
)
def test_a_broken_link_fails_the_build(copy, tmp_path, text, complaint):
    (copy / "docs" / "broken.md").write_text(f"# Broken\n\n{text}\n", encoding="utf-8")
    proc = build(copy, tmp_path / "site")
    assert proc.returncode != 0
    assert complaint in proc.stderr
