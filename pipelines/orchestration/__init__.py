"""The seam between Airflow and the library: assets, connections, and the callables tasks run."""
