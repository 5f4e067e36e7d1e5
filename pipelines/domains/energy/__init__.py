"""Energy and water utilities: meters, load, anomalies."""
