"""Every source the code cites resolves in docs/sources.md, and every design citation in
docs/design.md: the parameters' ``source`` strings, the seed letters [A]-[E] and the
"Author (& Author | et al.) Year" citations in the package's docstrings and comments."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loyaltysim.paramdoc import leaf_rows

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
DESIGN = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
HEADINGS = {line.lstrip("#").strip() for line in SOURCES.splitlines() if line.startswith("####")}

#: "Author Year", "Author & Author Year", "Author, Author & Author Year", "Author et al. Year".
AUTHOR_YEAR = re.compile(
    r"\b([A-Z][A-Za-z'\-]+(?:(?:, | & )[A-Z][A-Za-z'\-]+)*(?: et al\.)?) ((?:19|20)\d\d)\b"
)
#: Words before a year that make a date, not a citation ("Sept 1997", the CDNOW data's span).
MONTHS = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")


def cited_in(text: str) -> set[str]:
    return {f"{m.group(1)} {m.group(2)}" for m in AUTHOR_YEAR.finditer(text) if not MONTHS.match(m.group(1))}


def _resolves(citation: str) -> bool:
    """A citation resolves when sources.md quotes it as written (abbreviations such as "FHL
    2005" are spelled out there), or a reference heading names its first author and year."""
    if citation in SOURCES:
        return True
    first_author, year = citation.split()[0].rstrip(","), citation.split()[-1]
    return any(
        h.startswith(citation) or (h.split()[0].rstrip(",") == first_author and year in h) for h in HEADINGS
    )


PACKAGE_CITATIONS = sorted(
    {c for path in (ROOT / "loyaltysim").rglob("*.py") for c in cited_in(path.read_text(encoding="utf-8"))}
)


def test_the_citation_finder_finds_citations():
    assert cited_in("as Maxham & Netemeyer 2002 find, and East et al. 2005") == {
        "Maxham & Netemeyer 2002",
        "East et al. 2005",
    }
    assert not _resolves("Nobody & Nowhere 1999")


@pytest.mark.parametrize("citation", PACKAGE_CITATIONS)
def test_every_author_year_citation_in_the_code_is_in_sources(citation):
    assert _resolves(citation), f"{citation} is cited in loyaltysim/ but not in docs/sources.md"


@pytest.mark.parametrize("row", [r for r in leaf_rows() if "Source:" in r.description], ids=lambda r: r.key)
def test_every_parameter_source_resolves(row):
    source = row.description.rsplit("Source: ", 1)[1].rstrip(".")
    for letter in re.findall(r"\[([A-E])\]", source):
        assert f'<a id="seed-{letter.lower()}"></a>' in SOURCES
    for citation in cited_in(source):
        assert _resolves(citation), f"{row.key}: {citation} is not in docs/sources.md"
    rest = re.sub(r"\[[A-E]\]", "", AUTHOR_YEAR.sub("", source)).strip(" ;,")
    if rest:  # a named benchmark or convention: its name appears in sources.md
        head = rest.split("(")[0].split(":")[0].strip(" ;,")
        assert head.lower() in SOURCES.lower(), f"{row.key}: {head!r} is not in docs/sources.md"


def test_seed_letters_in_the_code_are_documented():
    letters = {
        m
        for path in (ROOT / "loyaltysim").rglob("*.py")
        for m in re.findall(r"\[([A-Z])\]", path.read_text(encoding="utf-8"))
    }
    assert letters <= set("ABCDE"), letters
    for letter in letters:
        assert f'<a id="seed-{letter.lower()}"></a>' in SOURCES


def test_design_citations_in_the_code_name_sections_that_exist():
    cited = {
        m
        for path in (ROOT / "loyaltysim").rglob("*.py")
        for m in re.findall(r"docs/design\.md section (\d+(?:\.\d+)?)", path.read_text(encoding="utf-8"))
    }
    assert cited, "the code cites docs/design.md sections"
    headings = re.findall(r"^#+ (\d+(?:\.\d+)?)[. ]", DESIGN, flags=re.M)
    assert cited <= set(headings), cited - set(headings)
    assert "DESIGN.md" not in "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "loyaltysim").rglob("*.py")
    )
