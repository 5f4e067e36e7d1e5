"""The model registry: models round-trip without pickle, and a model is refused for data it was not trained on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipelines.domains.traffic.models import make_forecaster
from pipelines.forecasting import registry
from pipelines.forecasting.registry import ModelCard, ModelMismatch, Signature, UntrustedModel
from pipelines.lake.storage import Lake
from tests.unit.domains.traffic.synthetic_series import series

SENSORS = ("717447", "717490")


def card(model: str, **signature) -> ModelCard:
    values = {"measure": "speed_kmh", "unit": "km/h", "step_min": 5, "horizon_min": 15, "series": SENSORS, **signature}
    return ModelCard(model, Signature(**values), "t1", "2012-03-04T07:55:00+00:00", {"/lake/curated/traffic_readings_clean": 3})


@pytest.mark.parametrize("model", ["historical_average", "linear_ridge", "gradient_boosting"])
def test_a_stored_model_forecasts_exactly_as_the_fitted_one(settings, model: str) -> None:
    lake = Lake(settings)
    data = series(days=3, sensors=2)
    fitted = make_forecaster(model, {"gradient_boosting": {"max_iter": 20}}).fit(data, 3)
    uri = registry.save(
        lake, f"{settings.lake_uri}/_meta/models/test/t1", card(model, features=fitted.input_names), fitted.state()
    )
    assert uri.endswith(f"/h0015_{model}.skops")

    stored, state = registry.load(lake, uri, Signature("speed_kmh", "km/h", 5, 15, SENSORS, None))
    restored = make_forecaster(model, {"gradient_boosting": {"max_iter": 20}}).restore(state)
    origins = np.arange(600, 700)
    np.testing.assert_array_equal(restored.predict(data, origins, 3), fitted.predict(data, origins, 3))
    assert stored.training_id == "t1" and stored.signature.features == fitted.input_names


def test_a_model_is_refused_for_other_series_another_step_or_horizon_naming_the_difference(settings) -> None:
    lake = Lake(settings)
    fitted = make_forecaster("historical_average").fit(series(days=1, sensors=2), 3)
    uri = registry.save(lake, f"{settings.lake_uri}/_meta/models/test/t1", card("historical_average"), fitted.state())
    asked = Signature("speed_kmh", "km/h", 5, 15, SENSORS, None)
    with pytest.raises(ModelMismatch, match=r"series: 2 trained, 3 asked; unknown to the model: \['999'\]: retrain it"):
        registry.load(lake, uri, dataclasses.replace(asked, series=(*SENSORS, "999")))
    with pytest.raises(ModelMismatch, match=r"step_min: trained for 5, asked for 15; horizon_min: trained for 15, asked for 60"):
        registry.load(lake, uri, dataclasses.replace(asked, step_min=15, horizon_min=60))
    with pytest.raises(ModelMismatch, match=r"series: 2 trained, 2 asked; same set, another order"):
        registry.load(lake, uri, dataclasses.replace(asked, series=SENSORS[::-1]))
    assert registry.load(lake, uri, asked)[0].model == "historical_average"  # the right data is accepted


def test_a_learned_model_given_other_inputs_refuses_to_predict(settings) -> None:
    data = series(days=3, sensors=2)
    fitted = make_forecaster("linear_ridge").fit(data, 3)
    fitted.feature_names = (*fitted.feature_names[:-1], "an_input_it_never_saw")
    with pytest.raises(ModelMismatch, match="differing: an_input_it_never_saw, usual_now: retrain it"):
        fitted.predict(data, np.arange(600, 610), 3)


def test_a_pickle_or_a_file_needing_unknown_types_is_never_loaded(settings) -> None:
    import operator

    import skops.io as sio

    lake = Lake(settings)
    asked = Signature("speed_kmh", "km/h", 5, 15, SENSORS, None)
    with pytest.raises(UntrustedModel, match="models are never loaded from pickles"):
        registry.load(lake, f"{settings.lake_uri}/_meta/models/test/t1/h0015_x.pkl", asked)
    folder = f"{settings.lake_uri}/_meta/models/test/t1"
    uri = registry.save(lake, folder, card("last_value"), {"hook": operator.attrgetter("__class__")})
    with pytest.raises(UntrustedModel, match=r"outside the registry's allowlist, refused: operator\.attrgetter"):
        registry.load(lake, uri, asked)
    assert "operator.attrgetter" in sio.get_untrusted_types(data=lake.read_bytes(uri))
