"""CityLake: the importable library behind the DAGs (everything that is not Airflow wiring)."""

__version__ = "0.1.0"
