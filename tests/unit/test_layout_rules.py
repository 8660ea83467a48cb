"""The UI layering stays true: components/<screen>/ imports only components/common, components/state and the
engine (never another screen's folder), components/common imports no screen at all, and no module imports a
components/ or pages/ module inside a function (the way an import cycle is dodged instead of fixed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ROOT / "components"
SCREENS = ("data", "explore", "forecast", "recommend", "pricing", "runs")
SHARED = ("common", "state")


def imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) of every import in ``tree``; relative imports resolved from ``package``."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                # ``from components import x``: x may be a module of its own (components.x)
                found.extend((child.lineno, f"{base}.{alias.name}" if base in ("components", *(
                    f"components.{f}" for f in (*SCREENS, *SHARED))) else base, in_function) for alias in child.names)
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(tree, False)
    return found


def folder_of(module: str) -> str | None:
    """The components/ folder a dotted module name belongs to (``components.forecast.training`` -> forecast)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "components" and len(parts) > 1 else None


def ui_files() -> list[Path]:
    return sorted([*COMPONENTS.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"])


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])


def layer_offences(path: Path) -> list[str]:
    """What in ``path`` breaks the layering, as "file:line module" strings."""
    rel = path.relative_to(ROOT)
    own = rel.parts[1] if rel.parts[0] == "components" and len(rel.parts) > 2 else None
    offences = []
    for line, module, in_function in imported_modules(ast.parse(path.read_text(encoding="utf-8")), package_of(path)):
        target = folder_of(module)
        where = f"{rel}:{line} {module}"
        if in_function and (target is not None or module == "components" or module.startswith("pages")):
            offences.append(where + " (imported inside a function)")
        if own in SCREENS and target in SCREENS and target != own:
            offences.append(where + f" (the {own} screen imports the {target} screen)")
        if own == "common" and target in SCREENS:
            offences.append(where + " (the common layer imports a screen)")
        if rel.parts[0] == "components" and module.startswith("pages"):
            offences.append(where + " (a component imports a page)")
    return offences


def test_the_tree_has_one_folder_per_screen_and_nothing_loose():
    folders = sorted(p.name for p in COMPONENTS.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == sorted((*SCREENS, *SHARED))
    loose = sorted(p.name for p in COMPONENTS.glob("*.py") if p.name != "__init__.py")
    assert loose == [], f"modules outside a screen or common folder: {loose}"


def test_no_screen_imports_another_and_no_import_hides_in_a_function():
    offences = [o for path in ui_files() for o in layer_offences(path)]
    assert offences == [], "\n".join(offences)


@pytest.mark.parametrize(("source", "expected"), [
    ("from components.pricing.charts import plot_demand_curve\n", "the forecast screen imports the pricing screen"),
    ("from components.pricing import charts\n", "the forecast screen imports the pricing screen"),
    ("from ..runs.views import show_import\n", "the forecast screen imports the runs screen"),
    ("def f():\n    from components.common.workspace import workspace\n", "imported inside a function"),
    ("def f():\n    import components.forecast.charts\n", "imported inside a function"),
])
def test_the_check_catches_what_it_forbids(monkeypatch, source, expected):
    fake = ROOT / "components" / "forecast" / "_probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert any(expected in o for o in layer_offences(fake)), layer_offences(fake)


def test_the_check_allows_the_common_layer_the_state_and_the_engine(monkeypatch):
    fake = ROOT / "components" / "forecast" / "_probe.py"
    source = ("from components import state\nfrom components.common.jobs import start_job\n"
              "from components.forecast.charts import plot_forecast\nfrom ml.forecast import ForecastConfig\n"
              "def f():\n    from ml.workspace import get_workspace\n")
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert layer_offences(fake) == []
