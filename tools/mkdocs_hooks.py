"""MkDocs hooks: the site's home page is the README, and links to files outside docs/ still work.

* ``index.md`` is generated from ``README.md`` (unless docs/ has its own index.md).
* A relative link, in the README or a docs/ page, to a file of the repository outside docs/
  (``benchmarks/RESULTS.md``, ``examples/clv_fit.ipynb``) is rewritten to a copy of that file
  published under ``repo/`` in the site; a link into docs/ from the README loses its ``docs/``.
* A link to a file that does not exist is left alone, so MkDocs reports it and ``--strict``
  fails the build.
* Source citations written back to back, ``[A][E]``, are Markdown's reference-link syntax; they
  are escaped so they stay text (as GitHub shows them) instead of unresolved cross-references.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

#: ``[text](target)`` and ``![alt](target)``; target without spaces, optional "title".
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?((?:\s+\"[^\"]*\")?\))")

#: ``[A][E]``: two citation letters (see docs/parameters.md), not a reference link.
CITATIONS = re.compile(r"\[([A-Z])\]\[([A-Z])\]")

REPO_PREFIX = "repo"


def _root(config: Any) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def _docs(config: Any) -> Path:
    return Path(config["docs_dir"]).resolve()


def _is_relative(target: str) -> bool:
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith("/")


def _source_dir(page_src: str, config: Any) -> Path:
    """Where the page's markdown lives in the repository (index.md from README: the root; a
    published copy under ``repo/``: its own folder in the repository)."""
    if page_src == "index.md" and not (_docs(config) / "index.md").is_file():
        return _root(config)
    if page_src.startswith(f"{REPO_PREFIX}/"):
        return (_root(config) / page_src[len(REPO_PREFIX) + 1 :]).parent
    return (_docs(config) / page_src).parent


def _outside_targets(text: str, base: Path, config: Any) -> set[Path]:
    root, docs = _root(config), _docs(config)
    found = set()
    for match in LINK.finditer(text):
        target = match.group(2)
        if not _is_relative(target):
            continue
        path = (base / target).resolve()
        if path.is_file() and root in path.parents and docs not in path.parents:
            found.add(path)
    return found


def on_files(files: Files, config: Any) -> Files:
    root, docs = _root(config), _docs(config)
    readme = (root / "README.md").read_text(encoding="utf-8")
    if files.get_file_from_path("index.md") is None:
        files.append(File.generated(config, "index.md", content=readme))
    needed = _outside_targets(readme, root, config)
    for page in docs.rglob("*.md"):
        needed |= _outside_targets(page.read_text(encoding="utf-8"), page.parent, config)
    # Published Markdown files link on (CONTRIBUTING.md -> CHANGELOG.md): publish those too.
    todo = [path for path in needed if path.suffix == ".md"]
    while todo:
        page = todo.pop()
        for path in _outside_targets(page.read_text(encoding="utf-8"), page.parent, config):
            if path not in needed:
                needed.add(path)
                if path.suffix == ".md":
                    todo.append(path)
    for path in sorted(needed):
        rel = path.relative_to(root).as_posix()
        files.append(File.generated(config, f"{REPO_PREFIX}/{rel}", abs_src_path=str(path)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    root, docs = _root(config), _docs(config)
    base = _source_dir(page.file.src_uri, config)
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        if not _is_relative(target):
            return match.group(0)
        path = (base / target).resolve()
        if docs in path.parents:
            site_path = path.relative_to(docs).as_posix()
        elif path.is_file() and root in path.parents:
            site_path = f"{REPO_PREFIX}/{path.relative_to(root).as_posix()}"
        else:
            return match.group(0)  # missing: MkDocs reports the broken link
        new = posixpath.relpath(site_path, page_dir or ".")
        return f"{match.group(1)}{new}{match.group(3) or ''}{match.group(4)}"

    markdown = CITATIONS.sub(r"[\1]\\[\2]", markdown)
    return LINK.sub(rewrite, markdown)
