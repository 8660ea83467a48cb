"""Every session-state and widget key is defined in components.state: no page or component spells one out."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LITERAL_KEY = re.compile(r"""\bkey\s*=\s*f?["']|session_state\s*\[\s*f?["']|session_state\.(?:get|pop|setdefault)\(\s*f?["']""")


def _ui_files() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    files += [p for p in sorted((ROOT / "components").rglob("*.py")) if "state" not in p.relative_to(ROOT / "components").parts[:1]]
    return files


def test_no_literal_keys_outside_the_state_package():
    offenders = []
    for path in _ui_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _LITERAL_KEY.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "keys belong in components/state:\n" + "\n".join(offenders)


def test_key_values_are_unique():
    constants: list[str] = []
    for path in sorted((ROOT / "components" / "state").glob("*.py")):
        constants += re.findall(r"""^[A-Z][A-Z0-9_]*\s*=\s*["']([^"']+)["']""", path.read_text(encoding="utf-8"), flags=re.M)
    assert constants, "the scan found no keys at all"
    duplicated = [value for value, n in Counter(constants).items() if n > 1]
    assert duplicated == []
