"""The lake page (Browse > Lake) for Airflow's plugins folder: a thin file over pipelines/orchestration/lake_page.py.

Where the citylake package is installed, its `airflow.plugins` entry point registers the plugin, and this file
steps aside so that Airflow does not load it twice; where only the folders are deployed, this file registers it.
"""

from pipelines.orchestration.lake_page import LakePagePlugin, registered_by_entry_point

if registered_by_entry_point():
    del LakePagePlugin
