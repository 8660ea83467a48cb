"""Cold start: seconds from the server answering /_stcore/health to the first page being interactive.

    .venv/bin/python bench/cold_start.py            # 5 rounds, medians
    .venv/bin/python bench/cold_start.py --runs 3 --fresh-workspace --json bench/out/cold_start.json

Each round starts two fresh servers, one after the other: ``python -m server`` (what ``make run`` uses:
warms the first page's modules and the parsed sample before listening) and plain ``streamlit run app.py``. For each it
waits for the health endpoint, then opens
the root URL in Debian's Chromium (Playwright) and waits until the Data page's title, the sidebar's dataset status (the
bundled sample loaded) and the upload widget are on screen. It also reads the server's memory map to check that no
TensorFlow, JAX or XLA library was loaded to draw the first page. Target: interactive within 3 s of healthy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, wait_healthy  # noqa: E402

HEAVY_LIBRARIES = ("tensorflow", "xla_extension", "jaxlib", "libjax")


def heavy_libraries_loaded(pid: int) -> list[str]:
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return []
    return sorted({name for name in HEAVY_LIBRARIES if name in maps})


def one_run(browser, workspace: Path, warm: bool = True) -> dict:
    proc, url = start_server({"SALESLENS_WORKSPACE": str(workspace)}, warm=warm)
    try:
        started = time.monotonic()
        healthy = wait_healthy(url)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = context.new_page()
        page.goto(f"{url}/")
        page.get_by_test_id("stApp").wait_for(timeout=60_000)
        frontend = time.monotonic()
        page.get_by_role("heading", name="Data").first.wait_for(timeout=60_000)
        heading = time.monotonic()
        page.get_by_test_id("stSidebar").get_by_text("sample_sales").first.wait_for(timeout=60_000)
        page.get_by_test_id("stFileUploader").first.wait_for(timeout=60_000)
        interactive = time.monotonic()
        heavy = heavy_libraries_loaded(proc.pid)
        context.close()
        return {
            "server_start_s": healthy - started,
            "healthy_to_frontend_s": frontend - healthy,  # Streamlit's JavaScript loaded, before the script ran
            "healthy_to_title_s": heading - healthy,
            "healthy_to_interactive_s": interactive - healthy,
            "start_to_interactive_s": interactive - started,
            "heavy_libraries": heavy,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


def summarise(runs: list[dict]) -> dict:
    def med(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    return {
        "median_server_start_s": med("server_start_s"),
        "median_healthy_to_interactive_s": med("healthy_to_interactive_s"),
        "max_healthy_to_interactive_s": round(max(r["healthy_to_interactive_s"] for r in runs), 2),
        "median_start_to_interactive_s": med("start_to_interactive_s"),
        "heavy_libraries_loaded": sorted({name for r in runs for name in r["heavy_libraries"]}),
        "target_met": med("healthy_to_interactive_s") <= 3.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (each: one warm and one plain server)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--fresh-workspace", action="store_true",
                        help="a new empty workspace per server (a very first start: nothing cached); default: one "
                             "workspace for all, filled by a first unmeasured start (a restarted server)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[dict]] = {"warm": [], "plain": []}
    scratch = Path(tempfile.mkdtemp(prefix="saleslens-cold-"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        if not args.fresh_workspace:
            one_run(browser, scratch / "shared")  # fills the workspace cache, not measured
        for i in range(args.runs):
            for kind in ("warm", "plain"):
                run = one_run(browser, scratch / (f"{kind}-{i}" if args.fresh_workspace else "shared"), kind == "warm")
                runs[kind].append(run)
                print(f"round {i + 1} {kind:5}: server start {run['server_start_s']:.2f} s, healthy -> frontend "
                      f"{run['healthy_to_frontend_s']:.2f} s -> title {run['healthy_to_title_s']:.2f} s -> interactive "
                      f"{run['healthy_to_interactive_s']:.2f} s, heavy libraries loaded: "
                      f"{', '.join(run['heavy_libraries']) or 'none'}", flush=True)
        browser.close()
    shutil.rmtree(scratch, ignore_errors=True)
    result = {
        "warm (python -m server)": summarise(runs["warm"]),
        "plain (streamlit run app.py)": summarise(runs["plain"]),
        "workspace": "fresh per server (first start)" if args.fresh_workspace else "kept between servers (restart)",
        "command": f"{os.path.relpath(sys.executable, ROOT)} {' '.join(sys.argv)}",
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}",
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**result, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
