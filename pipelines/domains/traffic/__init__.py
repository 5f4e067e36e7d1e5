"""Smart traffic: gap-filled readings, speed forecasts 15/30/60 minutes ahead, a live model leaderboard,
congestion early warnings and the factors behind the forecasts."""
