"""`citylake sources draft`: a first YAML for a file never seen, which a person finishes and `sources check` tries."""

from __future__ import annotations

import yaml

from pipelines.config import load_settings
from pipelines.lake.catalog import clean_dataset
from pipelines.sources.check import check_report
from pipelines.sources.draft import draft_feed, draft_yaml
from pipelines.sources.spec import parse_feed

# loop detectors of another city: US-style dates, units in the header, Illinois state-plane coordinates in feet
SAMPLE = """Sensor ID,Timestamp,Volume [veh/h],Occupancy (%),Speed (mph),Y,X
A1,01/05/2024 08:00,1200,12.5,55.2,1860000.5,1176352.1
A2,01/05/2024 08:00,900,8.1,61.0,1861000.0,1177000.9
A3,01/05/2024 08:05,1010,9.0,58.4,1862000.2,1178000.0
"""

EXPECTED = """# Draft feed for loops.csv by `citylake sources draft`: finish every TODO, save as sources/loops.yaml,
# then try it: citylake sources check loops loops.csv
name: loops
department: TODO
description: TODO what the file holds
origin: TODO who delivers it, and its licence
dataset: traffic_readings
suite: traffic_readings
landing_pattern: "loops*.csv"
format: {type: csv}
encoding: auto
time:
  column: Timestamp
  format: "%d/%m/%Y %H:%M"
  # TODO day and month could be either way round in the sample: check the format
  timezone: TODO the zone of the department's clock (an IANA name such as Asia/Shanghai)
columns:
  sensor_id: {source: 'Sensor ID'}
  speed_kmh: {source: 'Speed (mph)', unit: mph}
  volume_veh_h: {source: 'Volume [veh/h]', unit: veh/h}
  occupancy_pct: {source: 'Occupancy (%)', unit: '%'}
coordinates: {latitude: 'Y', longitude: 'X', crs: TODO an EPSG code: the values are projected (metres or feet), not degrees}
geo: {boundary: TODO [min_lat, min_lon, max_lat, max_lon]}
# unique in the sample, a key candidate: Sensor ID
"""


def test_the_draft_guesses_format_time_units_coordinates_key_and_mapping(tmp_path) -> None:
    sample = tmp_path / "loops.csv"
    sample.write_text(SAMPLE)
    dataset = clean_dataset("traffic_readings")
    assert draft_yaml(draft_feed(sample, dataset), dataset) == EXPECTED


def test_the_finished_draft_goes_in_by_yaml_alone(tmp_path) -> None:
    sample = tmp_path / "loops.csv"
    sample.write_text(SAMPLE)
    finished = (
        EXPECTED.replace("department: TODO", "department: traffic")
        .replace("description: TODO what the file holds", "description: Loop detectors")
        .replace("origin: TODO who delivers it, and its licence", "origin: test")
        .replace('format: "%d/%m/%Y %H:%M"', 'format: "%m/%d/%Y %H:%M"')
        .replace(
            "timezone: TODO the zone of the department's clock (an IANA name such as Asia/Shanghai)", "timezone: America/Chicago"
        )
        .replace("crs: TODO an EPSG code: the values are projected (metres or feet), not degrees", "crs: 'EPSG:3435'")
        .replace("geo: {boundary: TODO [min_lat, min_lon, max_lat, max_lon]}", "geo: {boundary: [41.6, -87.9, 42.1, -87.5]}")
    )
    left = [line for line in finished.splitlines() if "TODO" in line and not line.lstrip().startswith("#")]
    assert left == []  # what is left are comments: columns it may leave unmapped
    spec = parse_feed(yaml.safe_load(finished), "sources/loops.yaml")
    report = check_report(spec, sample, load_settings()).splitlines()
    assert report[1] == "rows in 3: clean 3, quarantined 0, deduplicated 0; encoding utf-8"
