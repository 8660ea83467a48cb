"""Bundles: save -> load predicts identically; tampered or oversized bundles are refused."""

import io
import json
import zipfile

import numpy as np
import pytest

from ml.forecast import NeuralForecaster, export_bundle, import_bundle, load_bundle, save_bundle
from ml.forecast.bundle import JSON_NAME
from ml.schema import DataError
from tests.unit.forecast.conftest import SMALL, make_series

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained():
    df = make_series(160)
    return df, NeuralForecaster(SMALL.replace(epochs=3, model_type="gru", holiday=True)).fit(df)


def test_save_load_gives_identical_predictions(tmp_path, trained):
    df, forecaster = trained
    save_bundle(forecaster, tmp_path, metrics={"network": {"mase": 0.9}})
    doc = json.loads((tmp_path / JSON_NAME).read_text())
    assert doc["config"]["model_type"] == "gru" and doc["fingerprint"] == forecaster.fingerprint_
    assert doc["metrics"] == {"network": {"mase": 0.9}}
    assert not any(p.suffix in (".pkl", ".pickle", ".keras") for p in tmp_path.iterdir())
    loaded = load_bundle(tmp_path)
    np.testing.assert_array_equal(loaded.predict(df).yhat.to_numpy(), forecaster.predict(df).yhat.to_numpy())
    assert loaded.scalers_["s"].to_dict() == forecaster.scalers_["s"].to_dict()


def test_the_bundle_names_the_backend_that_trained_it(tmp_path, trained):
    _, forecaster = trained
    from ml.keras_runtime import loaded_backend

    save_bundle(forecaster, tmp_path)
    assert forecaster.backend_ == loaded_backend()
    assert json.loads((tmp_path / JSON_NAME).read_text())["backend"] == forecaster.backend_
    assert load_bundle(tmp_path).backend_ == forecaster.backend_
    _tamper(tmp_path, lambda d: d.pop("backend"))  # a bundle saved before the backend was recorded: trained on JAX
    assert load_bundle(tmp_path).backend_ == "jax"


def _tamper(directory, change):
    path = directory / JSON_NAME
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["config"].update(model_type="evil_layer"),
        lambda d: d["config"].update(units=-5),
        lambda d: d["config"].update(units=17),  # architecture no longer matches the weights
        lambda d: d.update(format_version=99),
        lambda d: d["models"][0].update(file="../../etc/passwd"),
        lambda d: d["scalers"]["s"].update(scale=-1.0),
        lambda d: d.update(calendar_features=["dow_0"]),
        lambda d: d["models"][0].update(sha256="0" * 64),
        lambda d: d.update(backend="torch"),
    ],
)
def test_tampered_json_refused(tmp_path, trained, change):
    _, forecaster = trained
    save_bundle(forecaster, tmp_path)
    _tamper(tmp_path, change)
    with pytest.raises(DataError) as err:
        load_bundle(tmp_path)
    assert err.value.message_id in ("forecast.error.bundle_invalid", "forecast.error.bundle_version")


def test_tampered_weights_refused(tmp_path, trained):
    _, forecaster = trained
    save_bundle(forecaster, tmp_path)
    weights = next(tmp_path.glob("*.weights.h5"))
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(DataError) as err:
        load_bundle(tmp_path)
    assert err.value.params["reason"] == "weights_checksum"


def test_zip_round_trip_and_caps(trained):
    df, forecaster = trained
    blob = export_bundle(forecaster)
    loaded = import_bundle(blob)
    np.testing.assert_array_equal(loaded.predict(df).yhat.to_numpy(), forecaster.predict(df).yhat.to_numpy())
    with pytest.raises(DataError) as err:
        import_bundle(blob, max_bytes=100)
    assert err.value.message_id == "forecast.error.bundle_too_large"
    with pytest.raises(DataError):
        import_bundle(b"not a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../evil.py", "print('x')")
    with pytest.raises(DataError) as err:
        import_bundle(buffer.getvalue())
    assert err.value.params["reason"] == "zip_member_name"
