"""Rules of the code base that a reviewer would otherwise have to remember."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("bot", "core", "handlers", "conversations", "services", "storage")
FOLDERS += ("tests", "benchmarks", "alembic")
# `# type: ignore[code]  # why`: the code names what is silenced, the comment says why it is right here.
EXPLAINED = re.compile(r"# type: ignore\[[\w, -]+\]  # \S")


def test_every_type_ignore_names_its_error_and_says_why() -> None:
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in FOLDERS
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "# type: ignore" in line and not EXPLAINED.search(line) and path.name != "test_code_rules.py"
    ]
    assert unexplained == []
