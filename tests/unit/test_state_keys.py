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


def test_no_session_state_outside_the_state_package():
    """Pages and components read and write state through components.state (typed slots, widget helpers)."""
    offenders = []
    for path in _ui_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "session_state" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "use the accessors of components.state:\n" + "\n".join(offenders)


def test_the_persistent_keys_are_declared_keys_and_hold_no_app_state():
    from components import state

    declared = {value for name, value in vars(state).items() if name.isupper() and isinstance(value, str)}
    config_keys = {k for k in state.PERSISTENT_KEYS if k not in declared}
    assert all(k.startswith("forecast_") for k in config_keys), "a persistent key that is no constant"
    slots = {slot.key for slot in vars(state).values() if isinstance(slot, state.Slot)}
    assert slots and not slots & state.PERSISTENT_KEYS  # app state is never forgotten: nothing to re-assign
    buttons = {state.EXPLORE_RESET, state.FORECAST_TRAIN, state.FORECAST_STOP, state.RECOMMEND_RUN_BUTTON,
               state.RUNS_IMPORT_UPLOAD, state.RUNS_EXPORT, state.FORECAST_RESULT_CHART, state.PRICING_DOWNLOAD_CSV}
    assert not buttons & state.PERSISTENT_KEYS
    assert state.is_persistent(state.pricing_floor_key("P1")) and not state.is_persistent(state.mapping_widget_key("date"))
    assert state.is_persistent(state.EXPLORE_TOP_N) and not state.is_persistent(state.DATA_DAY_FIRST)
