"""Start the SalesLens server warm: ``python -m components.server [streamlit options]``.

``streamlit run app.py`` imports the app's modules and reads the bundled sample only when the first browser
connects, so the first visitor waits for pandas, the translation catalogues and the sample (about 1.3 s on a
2-core machine). This launcher does that work before the server starts listening (the way a web server preloads
its application), then hands over to Streamlit's own command line with the same options; it is what ``make run``
uses. Keras, JAX and TensorFlow are not imported here: they load when a page trains.
"""

from __future__ import annotations

import logging
import sys
import time
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


def main(argv: list[str] | None = None) -> int:
    seconds = warm_up()
    print(f"SalesLens: first page warmed up in {seconds:.1f} s", file=sys.stderr, flush=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
