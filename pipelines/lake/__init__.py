"""The lake: zones and paths, storage, Delta publishing, run records."""
