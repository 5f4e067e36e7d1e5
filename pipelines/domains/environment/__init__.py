"""Environment: air quality (HJ 633-2012 AQI), later water and noise."""
