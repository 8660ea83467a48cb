"""The data generator gives the same bytes on every processor: other OpenBLAS kernels, numpy without AVX-512."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Prints one hash per generated frame (+ truth). The configurations are small ones the tests use (~1 s in all).
HASH_SCRIPT = """
import hashlib, json
import pandas as pd
from data.generate import generate
for kwargs in ({"seed": 11, "start": "2024-01-01", "end": "2024-03-31", "n_customers": 400},
               {"seed": 1, "start": "2024-01-01", "end": "2024-12-31", "n_products": 20, "volume": 0.5,
                "n_customers": 400}):
    frame, truth = generate(**kwargs)
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update(json.dumps(truth, sort_keys=True).encode())
    print(digest.hexdigest())
"""

# numpy picks its SIMD code at run time: with AVX-512, exp/power use other code (last-bit differences) and
# argpartition another selection algorithm (another order). NPY_DISABLE_CPU_FEATURES makes this machine act like
# one without it (numpy 2.4's names; a name numpy does not dispatch is ignored with an ImportWarning).
NO_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"
SETTINGS = {
    "default": {},
    "Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "Sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "numpy without AVX-512": {"NPY_DISABLE_CPU_FEATURES": NO_AVX512},
}


def _hashes(extra_env: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")}
    env.update(extra_env)
    out = subprocess.run([sys.executable, "-c", HASH_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@pytest.mark.slow
def test_generated_frames_are_identical_under_other_blas_kernels_and_simd_levels():
    results = {name: _hashes(env) for name, env in SETTINGS.items()}
    assert len(results["default"]) == 2
    assert all(hashes == results["default"] for hashes in results.values()), results


@pytest.mark.slow
def test_the_bundled_sample_is_what_the_generator_writes(tmp_path):
    from data.generate import write

    csv_path, truth_path = write(tmp_path)
    for made, bundled in ((csv_path, ROOT / "data" / "sample_sales.csv.gz"), (truth_path, ROOT / "data" / "sample_truth.json")):
        assert hashlib.sha256(made.read_bytes()).hexdigest() == hashlib.sha256(bundled.read_bytes()).hexdigest(), made.name
