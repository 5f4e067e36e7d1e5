"""Forecasting as a shared part of CityLake, free of any domain: the masked metrics, the rolling-origin backtest
and its leaderboard, champions, prediction intervals from backtest residuals, live scoring of every candidate
against what happened, the rule that switches champions and warns of drift, and the model registry.

A domain (traffic today) brings its series and its candidate models (`Forecaster`s that fit on the past and
predict from each origin); everything here works on arrays of forecasts and actuals, or on the long forecast rows
the marts keep.
"""
