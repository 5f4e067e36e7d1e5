"""Air quality a day ahead on slices of the real Beijing data: train, forecast and warn, then score live."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.environment import forecast_jobs
from pipelines.forecasting import registry
from pipelines.lake.catalog.environment import AIR_AQI_FORECAST, AIR_POLLUTION_WARNINGS
from pipelines.lake.catalog.forecasting import MODEL_LIVE_SCORES
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from tests.conftest import air_marts_lake

pytestmark = pytest.mark.slow
HOURS = 24 * 60  # March and April 2013: polluted days included
PARAMS = forecast_jobs.AirForecastParams.from_dict(
    {
        "horizons_h": [1, 6],
        "learned_params": {"gradient_boosting": {"max_iter": 40}},
        "plan": {"test_fraction": 0.2, "folds": 2},
        "champion_rule": {"margin_pct": 0.0, "window_days": 3, "min_points": 1, "drift_factor": 100.0},
    }
)


def test_train_forecast_warn_and_score_live(settings, dask_client) -> None:
    lake = air_marts_lake(settings, ("Dingling", "Huairou"), HOURS, dask_client)

    trained = forecast_jobs.train(settings, "r1", dask_client, PARAMS, as_of="2013-04-21T15:00:00Z")
    board = lake.read(MODEL_LEADERBOARD)
    assert len(board) == 2 * 4 and set(board["domain"]) == {"environment"} and set(board["measure"]) == {"aqi"}
    assert board.groupby("horizon_min")["rank"].apply(sorted).tolist() == [[1, 2, 3, 4]] * 2
    six = board[board["horizon_min"] == 360].set_index("model")
    assert six.loc[six["is_champion"]].index[0] == trained["champions"]["6"]
    assert six["mae"].min() < six.loc["persistence", "mae"]  # a model beats persistence 6 h ahead
    assert all(uri.endswith(".skops") and lake.exists(uri) for uri in board["model_uri"])
    assert registry.card_of(lake, board["model_uri"].iloc[0]).signature.series == ("Dingling", "Huairou")

    assert board["train_until_utc"].unique().tolist() == [pd.Timestamp("2013-04-21T15:00:00Z")]

    # a replay: forecast from the 48 hours ending two days later, knowing only the hours up to then
    as_of = "2013-04-23T15:00:00+00:00"
    scored = forecast_jobs.score(settings, "r2", dask_client, dataclasses.replace(PARAMS, score_hours=48), as_of=as_of)
    rows = lake.read(AIR_AQI_FORECAST)
    assert scored["forecast_rows"] == len(rows) == 48 * 2 * 2 * 4  # origins x stations x horizons x models
    assert rows["origin_ts_utc"].max() == pd.Timestamp(as_of)
    known = rows["target_ts_utc"] <= pd.Timestamp(as_of)
    assert rows.loc[known, "actual"].notna().all() and rows.loc[~known, "actual"].isna().all()  # nothing from after

    assert (rows.groupby(["horizon_min", "model"])["is_champion"].nunique() == 1).all()
    widths = board.set_index(["horizon_min", "model"])["interval_halfwidth"]
    np.testing.assert_allclose(
        (rows["upper"] - rows["predicted"]).to_numpy(), [widths[(h, m)] for h, m in zip(rows["horizon_min"], rows["model"])]
    )
    warnings = lake.read(AIR_POLLUTION_WARNINGS) if lake.has(AIR_POLLUTION_WARNINGS) else pd.DataFrame()
    assert scored["warnings"] == len(warnings)
    champion_rows = rows[rows["is_champion"]]
    assert len(warnings) == champion_rows[champion_rows["upper"] >= 201].drop_duplicates(["station", "target_ts_utc"]).shape[0]

    # the next hour's run replaces only its own origin's forecasts: the day's other hours stay
    later = "2013-04-23T16:00:00+00:00"
    hourly = forecast_jobs.score(settings, "r2b", dask_client, dataclasses.replace(PARAMS, score_hours=1), as_of=later)
    assert hourly["forecast_rows"] == 1 * 2 * 2 * 4 and hourly["origins"] == [later, later]
    after = lake.read(AIR_AQI_FORECAST)
    assert len(after) == len(rows) + 16 and after["origin_ts_utc"].nunique() == 49
    assert len(lake.read(AIR_POLLUTION_WARNINGS)) == len(warnings) + hourly["warnings"]

    result = forecast_jobs.live_score(settings, "r3", PARAMS, as_of="2013-04-25T17:00:00Z")
    scores = lake.read(MODEL_LIVE_SCORES)
    assert set(scores["domain"]) == {"environment"} and result["days"] == sorted({d.isoformat() for d in scores["day"]})
    assert (scores["points"] > 0).all() and len(scores[["model", "horizon_min"]].drop_duplicates()) == 8
    live_board = lake.read(MODEL_LEADERBOARD).set_index(["horizon_min", "model"])
    assert live_board["live_mae"].notna().all() and live_board["champion_now"].sum() == 2
