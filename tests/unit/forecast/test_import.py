"""Importing the engine must stay light: no Keras, JAX or TensorFlow until a network is built."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_import_ml_forecast_does_not_import_keras():
    code = (
        "import json, sys; import ml.forecast; from ml.forecast import run_forecast, NeuralForecaster; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'keras', 'jax', 'jaxlib', 'tensorflow', 'statsmodels', 'streamlit', 'sklearn'})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_no_module_under_ml_imports_streamlit_or_keras_at_top_level():
    for path in (ROOT / "ml" / "forecast").glob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text, path
        if path.name != "network.py":
            assert "\nimport keras" not in text and "\nfrom keras" not in text, path
