"""Invalid feed YAML, shown where an Airflow operator looks: this DAG file fails to import naming each file, key and
problem (the feeds_clean DAG file builds DAGs for the valid feeds only). With every feed valid it defines no DAG."""

from __future__ import annotations

from pipelines.orchestration.feed_dags import raise_feed_config_errors

raise_feed_config_errors()
