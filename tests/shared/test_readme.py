"""The README's map of the code and the docs pages name only what exists, and the map names
every package, so that neither drifts from the tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAPPED_FOLDERS = ("services", "shared")
UNMAPPED = {"versions", "__pycache__"}
# A word of the map that names a file or folder: ``web.py``, ``api/``, ``shared/documents.py``.
MAP_PATH = re.compile(r"^[\w.-]+(?:/[\w.-]+)*(?:\.py|\.sh|/)$")
# A name in backquotes in a docs page that is a module or folder of the repository.
DOCS_PATH = re.compile(r"`([\w.-]+(?:/[\w.-]+)*(?:\.py|/))`")
DOCS_LINK = re.compile(r"\]\((docs/[^)#]+\.md)(?:#[^)]*)?\)")


def code_map(readme: str) -> list[tuple[str, list[str]]]:
    """The map's entries: each line's path, with the files and folders its text names."""
    section = readme.split("## Map of the code", 1)[1]
    block = section.split("```", 2)[1]
    entries: list[tuple[str, list[str]]] = []
    for line in block.splitlines()[1:]:
        words = [w.strip("(),;:") for w in line.split()]
        if not words:
            continue
        if not line.startswith(" "):
            entries.append((words.pop(0), []))
        entries[-1][1].extend(w for w in words if MAP_PATH.match(w))
    return entries


def missing_from_map(entries: list[tuple[str, list[str]]], root: Path) -> list[str]:
    """Each path the map names that is not in the tree under ``root``: a line's own path from
    the root, a name in its text from that line's folder (or the root)."""
    missing = [path for path, _ in entries if not (root / path).exists()]
    for path, named in entries:
        missing += [
            f"{path}: {name}"
            for name in named
            if not (root / path / name).exists() and not (root / name).exists()
        ]
    return missing


def packages(root: Path) -> set[str]:
    """Every package under the mapped folders, as the map writes folders."""
    found = set()
    for top in MAPPED_FOLDERS:
        for init in (root / top).rglob("__init__.py"):
            folder = init.parent.relative_to(root)
            if not UNMAPPED & set(folder.parts):
                found.add(f"{folder.as_posix()}/")
    return found


def docs_paths_missing(root: Path) -> list[str]:
    """Each module or folder a docs page names in backquotes that does not exist, from the
    root or from a folder the same page names."""
    missing = []
    for page in sorted((root / "docs").glob("*.md")):
        named = DOCS_PATH.findall(page.read_text())
        folders = [root] + [root / n for n in named if n.endswith("/") and (root / n).is_dir()]
        missing += [
            f"{page.name}: {name}"
            for name in named
            if not any((folder / name).exists() for folder in folders)
        ]
    return missing


@pytest.fixture(scope="module")
def readme() -> str:
    return (ROOT / "README.md").read_text()


def test_every_path_the_map_names_exists(readme):
    assert missing_from_map(code_map(readme), ROOT) == []


def test_the_map_names_every_package(readme):
    mapped = {path for path, _ in code_map(readme)}
    assert sorted(packages(ROOT) - mapped) == []


def test_the_map_check_finds_a_path_that_is_not_there(readme, tmp_path):
    bogus = readme.replace("services/calendar/pages/ ", "services/calendar/views/ ", 1).replace(
        "cache.py,", "caching.py,", 1
    )
    assert missing_from_map(code_map(bogus), ROOT) == [
        "services/calendar/views/",
        "services/calendar/: caching.py",
    ]


def test_every_docs_page_the_readme_links_to_exists(readme):
    linked = DOCS_LINK.findall(readme)
    assert linked
    assert [link for link in linked if not (ROOT / link).is_file()] == []


def test_every_module_a_docs_page_names_exists():
    assert docs_paths_missing(ROOT) == []


def test_the_docs_check_finds_a_module_that_is_not_there(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "links.py").touch()
    (tmp_path / "docs" / "page.md").write_text(
        "Built by `shared/links.py`, checked by `shared/checks.py` and `ghost/`.\n"
    )
    assert docs_paths_missing(tmp_path) == ["page.md: shared/checks.py", "page.md: ghost/"]
