"""Load declarations: checked against the catalog, in words; any dataset's loads as long rows in kW."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.domains.energy import loads


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_projects_own_declarations_load() -> None:
    found = {load.dataset: load for load in loads.declared()}
    assert sorted(found) == ["building_meter_readings", "energy_readings"]
    buildings = found["building_meter_readings"]
    assert [(u.name, u.column, u.unit) for u in buildings.utilities] == [
        ("electricity", "electricity_kw", "kW"),
        ("heat", "heat_kw", "kW"),
        ("gas", "gas_m3_h", "m3/h"),
    ]
    assert loads.datasets() == ("building_meter_readings", "energy_readings")


def test_rows_become_kilowatts_per_meter_and_utility(tmp_path: Path) -> None:
    load = loads.parse(
        write(
            tmp_path,
            "b.yaml",
            "dataset: building_meter_readings\nmeter: {column: building_id}\n"
            "utilities:\n  electricity: {column: electricity_kw}\n  gas: {column: gas_m3_h, kwh_per_m3: 10.5}\n"
            "temperature: outdoor_temp_c\n",
        )
    )
    rows = pd.DataFrame(
        {
            "building_id": ["A", "B"],
            "ts_utc": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:00"], utc=True),
            "electricity_kw": [120.0, 80.0],
            "gas_m3_h": [2.0, np.nan],
            "outdoor_temp_c": [3.5, 3.5],
        }
    )
    out = load.long(rows)
    assert out[["meter_id", "utility", "power_kw", "temperature_c", "measure_0"]].values.tolist()[:3] == [
        ["A", "electricity", 120.0, 3.5, 120.0],
        ["B", "electricity", 80.0, 3.5, 80.0],
        ["A", "gas", 21.0, 3.5, 2.0],
    ]
    assert np.isnan(out["power_kw"].iloc[3])  # a missing reading stays missing, not zero


def test_a_region_in_megawatts_and_a_single_meter_by_constant(tmp_path: Path) -> None:
    load = loads.parse(
        write(
            tmp_path,
            "h.yaml",
            "dataset: energy_readings\nmeter: {constant: home}\nutilities:\n  electricity: {column: active_power_kw}\n",
        )
    )
    assert load.columns == ["ts_utc", "active_power_kw"]
    rows = pd.DataFrame({"ts_utc": pd.to_datetime(["2007-01-01"], utc=True), "active_power_kw": [1.5]})
    assert load.long(rows)[["meter_id", "power_kw"]].values.tolist() == [["home", 1.5]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "dataset: building_meter_readings\nmeter: {column: building}\nutilities:\n  gas: {column: gas_m3_h}\n",
            "has no column 'building'",
        ),
        (
            "dataset: building_meter_readings\nmeter: {column: building_id}\nutilities:\n  gas: {column: gas_m3_h}\n",
            "utilities.gas: gas_m3_h is in m3/h, not a kW unit (a volume flow: give kwh_per_m3, the calorific value)",
        ),
        (
            "dataset: building_meter_readings\nmeter: {column: building_id, constant: x}\nutilities:\n  heat: {column: heat_kw}\n",
            "meter: give exactly one of 'column' or 'constant'",
        ),
        ("dataset: no_such_data\nmeter: {constant: x}\nutilities:\n  heat: {column: heat_kw}\n", "dataset: "),
        ("dataset: energy_readings\nmeter: {constant: x}\nutilities: {}\n", "utilities: "),
    ],
)
def test_a_bad_declaration_says_what_to_change(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(loads.LoadConfigError, match=r"b\.yaml") as raised:
        loads.parse(write(tmp_path, "b.yaml", text))
    assert message in str(raised.value)


def test_two_files_for_one_dataset_are_refused(tmp_path: Path) -> None:
    text = "dataset: energy_readings\nmeter: {column: meter_id}\nutilities:\n  electricity: {column: active_power_kw}\n"
    write(tmp_path, "a.yaml", text)
    write(tmp_path, "b.yaml", text)
    with pytest.raises(loads.LoadConfigError, match=r"energy_readings is already declared in .*a\.yaml"):
        loads.declared(tmp_path)
    assert loads.datasets(tmp_path) == ("energy_readings",)
