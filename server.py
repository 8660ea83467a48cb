"""Start the SalesLens server warm: ``python -m server [streamlit options]``.

It sits beside app.py, the script it launches, rather than among the widgets in components/ or in ml/ (the engine
never imports Streamlit, and the warm-up imports the app's first page).

``streamlit run app.py`` imports the app's modules and reads the bundled sample only when the first browser
connects, so the first visitor waits for pandas, the translation catalogues and the sample (about 1.3 s on a
2-core machine). This launcher does that work before the server starts listening (the way a web server preloads
its application), then hands over to Streamlit's own command line with the same options; it is what ``make run``
uses. Keras, JAX and TensorFlow are not imported before the server listens: the first page never waits for them.
Once the server answers its health check, a background thread fixes the training backend (SALESLENS_BACKEND, see
ml/keras_runtime.py) and imports it once in a throwaway low-priority process, so the first training's worker does not
read it cold from disk (TensorFlow takes ~8 s to import on a 2-core machine). ``SALESLENS_PRELOAD_BACKEND=0`` turns that off.

Where it listens: on 127.0.0.1 only unless told otherwise (``--server.address`` or ``STREAMLIT_SERVER_ADDRESS``), the
same default as ``.streamlit/config.toml``, so a server without sign-in is never reachable from the network by
accident. With sign-in configured (an ``[auth]`` section in secrets.toml), it listens on every interface by default:
then only the people on the allow-list get in (docs/deployment.md).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
_log = logging.getLogger(__name__)


def warm_up() -> float:
    """Import what the first page needs and parse the sample into the workspace cache; returns the seconds spent.
    Never fails: anything that goes wrong here is simply done again by the first page."""
    started = time.perf_counter()
    try:
        import components.common.datasets
        import components.common.locale
        import components.common.workspace  # noqa: F401  (restores a returning browser's work)
        import components.data.reports
        import components.state
        from ml.i18n import LANGUAGES, format_number, translate

        for language in LANGUAGES:  # catalogues and Babel's locale data
            translate("data.title", language)
            format_number(1234.5, 1, language=language)
        if components.common.datasets.SAMPLE_PATH.exists():
            components.common.datasets.sample_dataset()
    except Exception:  # a broken sample or workspace is reported by the page, with its own message
        _log.warning("warm-up skipped", exc_info=True)
    return time.perf_counter() - started


LOOPBACK = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"  # noqa: S104  (only with sign-in configured: see the module docstring)


def _option_given(args: list[str], name: str) -> list[str]:
    """The values of ``--name value`` / ``--name=value`` in ``args``."""
    values = []
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            values.append(args[i + 1])
        elif arg.startswith(name + "="):
            values.append(arg.split("=", 1)[1])
    return values


def secrets_files(args: list[str]) -> list[Path]:
    """Where Streamlit will look for secrets.toml: ``--secrets.files``, else its environment variable, else the
    user's and the working folder's ``.streamlit/secrets.toml``."""
    given = _option_given(args, "--secrets.files") or [
        p for p in os.environ.get("STREAMLIT_SECRETS_FILES", "").split(",") if p.strip()]
    if given:
        return [Path(p.strip()).expanduser() for p in given]
    return [Path("~/.streamlit/secrets.toml").expanduser(), Path.cwd() / ".streamlit" / "secrets.toml"]


def auth_configured(args: list[str]) -> bool:
    """True when one of the secrets files has an ``[auth]`` section (sign-in with st.login)."""
    for path in secrets_files(args):
        try:
            with path.open("rb") as fh:
                if isinstance(tomllib.load(fh).get("auth"), dict):
                    return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def address_args(args: list[str]) -> list[str]:
    """``--server.address`` to add: none when one was given (option or environment), else loopback only, or every
    interface when sign-in is configured."""
    if _option_given(args, "--server.address") or os.environ.get("STREAMLIT_SERVER_ADDRESS"):
        return []
    return ["--server.address", ALL_INTERFACES if auth_configured(args) else LOOPBACK]


def preload_backend() -> str | None:
    """Warm the training backend for the job workers: fix the backend choice for this server (workers inherit it)
    and import Keras with the forecasting network once in a throwaway process, so the first training's worker reads
    the libraries from the page cache rather than the disk. Nothing stays in the server's memory (trainings run in
    worker processes, ml/jobs.py). Returns the backend, None when that failed (the first training then reports why,
    with its own message)."""
    try:
        from ml.keras_runtime import select_backend

        backend = select_backend()
        subprocess.run([sys.executable, "-c", "import ml.forecast.network"], cwd=APP.parent, env=dict(os.environ),
                       capture_output=True, timeout=300, check=True)
        return backend
    except Exception:
        _log.warning("backend preload skipped", exc_info=True)
        return None


def server_port(argv: list[str]) -> int:
    """The port ``streamlit run`` will listen on (its option, else its environment variable, else 8501)."""
    value = os.environ.get("STREAMLIT_SERVER_PORT", "8501")
    for i, arg in enumerate(argv):
        if arg == "--server.port" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--server.port="):
            value = arg.split("=", 1)[1]
    return int(value) if value.isdigit() else 8501  # a bad value: Streamlit itself reports it


def _preload_when_healthy(port: int, timeout: float = 120.0) -> None:
    """Wait until the server answers, then preload the backend with this thread at a lower CPU priority."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # Linux: this thread only
    except (AttributeError, OSError):
        pass
    backend = preload_backend()
    if backend:
        print(f"SalesLens: {backend} backend warmed for training", file=sys.stderr, flush=True)


def declare_navigation_pages() -> None:
    """Tell Streamlit before its first script run that app.py declares its pages with ``st.navigation``.

    Streamlit 1.67 decides once per process whether a ``pages/`` folder beside the entry script means an old-style
    (v1) multipage app: ``PagesManager.uses_pages_directory`` starts as "the folder exists" and only ``st.navigation``
    sets it to False. The server's very first script run therefore runs the v1 fallback, whose pages are the files'
    names (``explore_page``), so a deep link (``/explore``) as the first visit after a start showed "Page not found"
    (Streamlit issue #9624). Setting the flag first makes that run the same as every later one."""
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except (ImportError, AttributeError):  # a Streamlit without the flag has no v1 fallback to avoid
        pass


def main(argv: list[str] | None = None) -> int:
    seconds = warm_up()
    print(f"SalesLens: first page warmed up in {seconds:.1f} s", file=sys.stderr, flush=True)
    declare_navigation_pages()
    from streamlit.web import cli

    options = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get("SALESLENS_PRELOAD_BACKEND", "1") != "0":
        port = server_port(options)
        threading.Thread(target=_preload_when_healthy, args=(port,), name="saleslens-preload", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *options, *address_args(options)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
