"""Memory of the app server while a browser uploads the near-cap zip (issue 16): peak RSS of the server's process
tree (the Streamlit server and the parse worker it starts), what the server holds afterwards, and whether another
browser is still served during and after the upload.

    .venv/bin/python bench/memory.py --mib 1000     # once: writes bench/out/near_cap_1000.zip (or near_cap.zip)
    .venv/bin/python bench/app_upload_memory.py [--zip bench/out/near_cap.zip]

Needs Debian's Chromium (/usr/bin/chromium) and Playwright, as the e2e tests do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.memory import tree_rss  # noqa: E402
from tests.e2e.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    start_server,
    stop_server,
    wait_healthy,
    warm_up,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", type=Path, default=None)
    parser.add_argument("--after", type=float, default=20.0, help="seconds to keep sampling after the answer")
    args = parser.parse_args()
    path = args.zip or next((p for p in sorted((ROOT / "bench" / "out").glob("near_cap*.zip"))), None)
    if path is None or not path.exists():
        sys.exit("no near-cap zip: run bench/memory.py first")
    from playwright.sync_api import sync_playwright

    workspace = Path(tempfile.mkdtemp(prefix="saleslens-bench-"))
    proc, url = start_server({"SALESLENS_WORKSPACE": str(workspace)}, log=workspace / "server.log")
    wait_healthy(url)
    peak = {"tree": 0, "largest": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            total, largest = tree_rss(proc.pid)
            peak["tree"], peak["largest"] = max(peak["tree"], total), max(peak["largest"], largest)
            time.sleep(0.02)

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            warm_up(browser, url)
            before = tree_rss(proc.pid)[0]
            threading.Thread(target=sample, daemon=True).start()
            page = browser.new_context().new_page()
            page.goto(f"{url}/")
            page.get_by_test_id("stFileUploaderDropzoneInput").wait_for(state="attached", timeout=60_000)
            started = time.monotonic()
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
            other = browser.new_context().new_page()  # someone else opens the app meanwhile
            t0 = time.monotonic()
            other.goto(f"{url}/explore")
            other.get_by_test_id("stSidebar").get_by_text("Currency", exact=True).wait_for(timeout=120_000)
            other_seconds = time.monotonic() - t0
            page.get_by_test_id("stAlert").first.wait_for(timeout=600_000)  # the answer: a refusal or the report
            answer = page.get_by_test_id("stAlert").first.inner_text()
            answered = time.monotonic() - started
            time.sleep(args.after)
            after = tree_rss(proc.pid)[0]
            t0 = time.monotonic()
            other.reload()
            other.get_by_test_id("stSidebar").get_by_text("Currency", exact=True).wait_for(timeout=120_000)
            reload_seconds = time.monotonic() - t0
            browser.close()
    finally:
        stop.set()
        stop_server(proc)
    mib = 2**20
    print(f"file {path.name} ({path.stat().st_size / mib:.1f} MiB zip)")
    print(f"server tree before {before / mib:.0f} MiB, peak {peak['tree'] / mib:.0f} MiB (largest process "
          f"{peak['largest'] / mib:.0f} MiB), {args.after:.0f} s after the answer {after / mib:.0f} MiB")
    print(f"answer after {answered:.1f} s: {answer.splitlines()[0] if answer else '(none)'}")
    print(f"another browser: first page {other_seconds:.1f} s during the upload, reload {reload_seconds:.1f} s after")


if __name__ == "__main__":
    main()
