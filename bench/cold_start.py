"""Cold start: seconds from the server answering /_stcore/health to the first page being interactive.

    .venv/bin/python bench/cold_start.py            # 5 fresh servers, medians
    .venv/bin/python bench/cold_start.py --runs 3 --json bench/out/cold_start.json

Each run starts a fresh ``streamlit run app.py`` (headless, no file watcher), waits for the health endpoint, then opens
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
import statistics
import sys
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


def one_run(browser) -> dict:
    proc, url = start_server()
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
            "heavy_libraries": heavy,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for i in range(args.runs):
            run = one_run(browser)
            runs.append(run)
            print(f"run {i + 1}: server start {run['server_start_s']:.2f} s, healthy -> frontend {run['healthy_to_frontend_s']:.2f} s -> "
                  f"title {run['healthy_to_title_s']:.2f} s -> interactive {run['healthy_to_interactive_s']:.2f} s, "
                  f"heavy libraries loaded: {', '.join(run['heavy_libraries']) or 'none'}")
        browser.close()
    median = statistics.median(r["healthy_to_interactive_s"] for r in runs)
    result = {
        "median_healthy_to_interactive_s": round(median, 2),
        "max_healthy_to_interactive_s": round(max(r["healthy_to_interactive_s"] for r in runs), 2),
        "median_server_start_s": round(statistics.median(r["server_start_s"] for r in runs), 2),
        "heavy_libraries_loaded": sorted({name for r in runs for name in r["heavy_libraries"]}),
        "target_met": median <= 3.0,
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
