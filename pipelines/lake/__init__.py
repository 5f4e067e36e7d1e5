"""The lake: zones and paths, the catalog of its tables, storage and the Lake interface, Delta publishing, run records."""
