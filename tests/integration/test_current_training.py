"""Which training is current: the latest cut-off, then the latest trained (a retraining on the same data with new
code or parameters takes over, whatever its id)."""

from __future__ import annotations

import pandas as pd

from pipelines.forecasting import loop
from pipelines.lake.catalog.traffic import MODEL_LEADERBOARD
from pipelines.lake.storage import Lake

DOMAIN = loop.Domain("energy", "energy_load_forecast_training", "energy_load_forecast_scoring")
UNTIL = pd.Timestamp("2024-07-13 15:00", tz="UTC")


def training(lake: Lake, training_id: str, trained_at: str, until: pd.Timestamp = UNTIL) -> None:
    board = pd.DataFrame(
        {
            "horizon_min": [60],
            "model": ["day_type_profile"],
            "mae": [1.0],
            "rmse": [1.2],
            "mape_pct": [5.0],
            "scored_points": [24],
            "interval_halfwidth": [2.0],
            "rank": [1],
            "is_champion": [True],
            "gain_vs_best_baseline_pct": [0.0],
        }
    )
    rows = loop.leaderboard_rows(
        board,
        DOMAIN,
        training_id=training_id,
        measure="load:x",
        unit="kW",
        train_until_utc=until,
        test_from_utc=until - pd.Timedelta(days=2),
        test_to_utc=until,
        folds=1,
        model_uri=f"_meta/models/{training_id}.skops",
        params_json="{}",
        input_version=1,
        run_id="r",
    )
    rows = rows.assign(trained_at_utc=pd.Timestamp(trained_at, tz="UTC"))
    lake.publish(MODEL_LEADERBOARD, rows, {"training_id": [training_id]}, "r", training_id)


def test_the_later_training_on_the_same_data_is_current_whatever_its_id(settings) -> None:
    lake = Lake(settings)
    lake.ensure_exists()
    training(lake, "20240713T1500Z-ffffffff", "2026-12-01 10:00")
    training(lake, "20240713T1500Z-00000000", "2026-12-02 10:00")  # retrained a day later: sorts first by id
    assert loop.current_candidates(lake, DOMAIN, "load:x")["training_id"].unique().tolist() == ["20240713T1500Z-00000000"]
    training(lake, "20240714T1500Z-aaaaaaaa", "2026-12-01 09:00", UNTIL + pd.Timedelta(days=1))  # later data wins
    assert loop.current_candidates(lake, DOMAIN, "load:x")["training_id"].unique().tolist() == ["20240714T1500Z-aaaaaaaa"]
    # a replay as of the first cut-off sees only what was trained on data up to it
    assert loop.current_candidates(lake, DOMAIN, "load:x", UNTIL)["training_id"].iloc[0] == "20240713T1500Z-00000000"
