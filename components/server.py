"""Start the SalesLens server warm: ``python -m components.server [streamlit options]``.

``streamlit run app.py`` imports the app's modules and reads the bundled sample only when the first browser
connects, so the first visitor waits for pandas, the translation catalogues and the sample (about 1.3 s on a
2-core machine). This launcher does that work before the server starts listening (the way a web server preloads
its application), then hands over to Streamlit's own command line with the same options; it is what ``make run``
uses. Keras, JAX and TensorFlow are not imported here: they load when a page trains.

Where it listens: on 127.0.0.1 only unless told otherwise (``--server.address`` or ``STREAMLIT_SERVER_ADDRESS``), the
same default as ``.streamlit/config.toml``, so a server without sign-in is never reachable from the network by
accident. With sign-in configured (an ``[auth]`` section in secrets.toml), it listens on every interface by default:
then only the people on the allow-list get in (docs/deployment.md).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import tomllib
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
_log = logging.getLogger(__name__)


def warm_up() -> float:
    """Import what the first page needs and parse the sample into the workspace cache; returns the seconds spent.
    Never fails: anything that goes wrong here is simply done again by the first page."""
    started = time.perf_counter()
    try:
        import components.datasets
        import components.locale
        import components.reports
        import components.state
        import components.workspace  # noqa: F401  (restores a returning browser's work)
        from ml.i18n import LANGUAGES, format_number, translate

        for language in LANGUAGES:  # catalogues and Babel's locale data
            translate("data.title", language)
            format_number(1234.5, 1, language=language)
        if components.datasets.SAMPLE_PATH.exists():
            components.datasets.sample_dataset()
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


def main(argv: list[str] | None = None) -> int:
    seconds = warm_up()
    print(f"SalesLens: first page warmed up in {seconds:.1f} s", file=sys.stderr, flush=True)
    from streamlit.web import cli

    args = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", "run", str(APP), *args, *address_args(args)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
