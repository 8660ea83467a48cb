import tomllib
from pathlib import Path

from ml.limits import LIMITS

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_upload_cap_matches_the_ingest_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == LIMITS.max_upload_mb
