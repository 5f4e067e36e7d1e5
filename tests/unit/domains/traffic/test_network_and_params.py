"""The road network in panel order, and the typed parameters an operator can override."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.traffic.network import Network, network_for
from pipelines.domains.traffic.params import TrafficParams


def test_links_are_placed_by_graph_index_and_unknown_sensors_have_none() -> None:
    sensors = pd.DataFrame({"sensor_id": ["10", "20", "30"], "graph_index": [2, 0, 1]})
    links = pd.DataFrame({"from_index": [2, 0, 1, 2], "to_index": [0, 1, 1, 1], "weight": [0.5, 0.9, 1.0, 0.0]})
    network = network_for(("20", "10", "99"), sensors, links)  # panel order; sensor 30 is not in the panel, 99 not in the graph
    np.testing.assert_array_equal(network.weights, [[0, 0, 0], [0.5, 0, 0], [0, 0, 0]])
    assert network.directed
    np.testing.assert_array_equal(network.upstream_mix(), [[0, 1, 0], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(network.downstream_mix(), [[0, 0, 0], [1, 0, 0], [0, 0, 0]])


def test_closest_sensors_by_weight_padded_with_the_sensor_itself() -> None:
    network = Network(np.array([[0, 0.2, 0.7], [0.2, 0, 0], [0.7, 0, 0]]))
    assert not network.directed
    assert network.closest(4).tolist() == [[2, 1, 0, 0], [0, 1, 1, 1], [0, 2, 2, 2]]


def test_params_from_json_with_overrides_and_clear_errors() -> None:
    params = TrafficParams.from_dict({"sensors": ["a"], "alerts": {"threshold_kmh": 50}, "plan": {"folds": 2}, "step": "5min"})
    assert (params.sensors, params.alerts.threshold_kmh, params.plan.folds, params.horizon_steps(60)) == (("a",), 50, 2, 12)
    native = TrafficParams(measure="volume_veh_h")  # no step: the readings' native one
    assert native.on_step(pd.Timedelta("15min")).horizon_steps(60) == 4
    with pytest.raises(ValueError, match="horizon 15 min is not a positive multiple of the 60min step of volume_veh_h"):
        native.on_step(pd.Timedelta("1h"))
    with pytest.raises(ValueError, match="unknown traffic measure 'flow'; known: speed_kmh, volume_veh_h, occupancy_pct"):
        TrafficParams(measure="flow")
    assert json.loads(params.to_json())["alerts"]["threshold_kmh"] == 50
    with pytest.raises(ValueError, match=r"unknown traffic parameters \['speed_limit'\]"):
        TrafficParams.from_dict({"speed_limit": 3})
    with pytest.raises(ValueError, match="horizon 7 min is not a positive multiple of the 5min step of speed_kmh"):
        TrafficParams(horizons_min=(7,), step="5min")
    with pytest.raises(ValueError, match="needs the last_value and historical_average baselines"):
        TrafficParams(models=("gradient_boosting", "last_value"))


def test_a_measure_a_department_adds_by_yaml_is_a_traffic_measure(tmp_path, monkeypatch) -> None:
    from pipelines.domains.traffic.alerts import ALERT_RULES
    from pipelines.domains.traffic.measures import get_measure, measures

    (tmp_path / "headways.yaml").write_text(
        "extends: traffic_readings\ncolumns:\n  - {name: headway_s, type: float, unit: s, description: mean gap between vehicles}\n"
    )
    monkeypatch.setenv("CITYLAKE_DATASETS_DIR", str(tmp_path))
    assert list(measures()) == ["speed_kmh", "volume_veh_h", "occupancy_pct", "headway_s"]
    headway = get_measure("headway_s")
    assert (headway.labelled("MAE"), headway.zero_is_missing) == ("MAE of headway s (s)", False)
    assert TrafficParams(measure="headway_s").measure == "headway_s" and "headway_s" not in ALERT_RULES  # forecasts, no alerts
