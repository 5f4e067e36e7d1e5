"""The traffic task callables: operator overrides and a fresh deployment's first scoring."""

from __future__ import annotations

import pytest

from pipelines.domains.traffic.pipeline import current_champions
from pipelines.forecasting.loop import NoChampionYet
from pipelines.lake.storage import Lake
from pipelines.orchestration.traffic import traffic_params


def test_empty_overrides_keep_the_defaults_and_bad_ones_are_named() -> None:
    params = traffic_params({"sensors": [], "alerts": {"threshold_kmh": 45}, "plan": None})
    assert (params.sensors, params.alerts.threshold_kmh, params.plan.folds) == ((), 45, 4)
    assert traffic_params(None) == traffic_params({})
    with pytest.raises(ValueError, match=r"unknown traffic parameters \['horizon'\]"):
        traffic_params({"horizon": 15})


def test_scoring_before_any_training_says_what_to_do(settings) -> None:
    with pytest.raises(NoChampionYet, match=r"no model has been trained yet .*: trigger the traffic_model_training DAG"):
        current_champions(Lake(settings), "speed_kmh")
