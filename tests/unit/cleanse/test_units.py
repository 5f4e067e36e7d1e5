"""Units by pint: any dimensionally valid conversion as departments write units; the rest refused by dimension."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.cleanse.units import UnitError, can_convert, check_conversion, convert, dimension


@pytest.mark.parametrize(
    "source, target, values, expected",
    [
        ("mph", "km/h", [0, 10, 65], [0, 16.09344, 104.60736]),
        ("knots", "km/h", [10], [18.52]),
        ("ug/m3", "mg/m3", [1500], [1.5]),
        ("F", "C", [32, 212, -40], [0, 100, -40]),
        ("K", "C", [273.15], [0]),
        ("GW", "MW", [1.25], [1250]),
        ("MWh", "kWh", [0.5], [500]),
        ("Wh", "kWh", [250], [0.25]),
        ("m3/h", "l/s", [3.6], [1]),
        ("l/min", "l/s", [60], [1]),
        ("Pa", "hPa", [101325], [1013.25]),
        ("in", "mm", [1], [25.4]),
        ("%", "fraction", [45], [0.45]),
        ("veh/min", "veh/h", [2], [120]),
        ("mg/L", "ug/m3", [1], [1e6]),
    ],
)
def test_conversions_as_departments_write_units(source: str, target: str, values: list[float], expected: list[float]) -> None:
    assert np.allclose(convert(np.asarray(values, dtype="float64"), source, target), expected)
    assert can_convert(source, target)


def test_an_incompatible_unit_is_refused_with_both_dimensions() -> None:
    with pytest.raises(
        UnitError,
        match=r"^cannot convert 'kWh' \(\[mass\] \* \[length\] \*\* 2 / \[time\] \*\* 2\) to 'kW' "
        r"\(\[mass\] \* \[length\] \*\* 2 / \[time\] \*\* 3\): not the same dimension$",
    ):
        check_conversion("kWh", "kW")
    with pytest.raises(UnitError, match=r"^cannot convert 'veh/h' \(\[vehicle\] / \[time\]\) to 'km/h'"):
        check_conversion("veh/h", "km/h")
    with pytest.raises(UnitError, match=r"^unknown unit 'furlongs per blink'"):
        check_conversion("furlongs per blink", "km/h")
    assert not can_convert("dB", "km/h")


def test_dimensions_and_identity() -> None:
    assert (dimension("dB"), dimension("veh/h"), dimension("C")) == ("dimensionless", "[vehicle] / [time]", "[temperature]")
    values = np.array([1.0, np.nan])
    assert convert(values, "km/h", "km/h") is values
    assert np.isnan(convert(values, "mph", "km/h")[1])


def test_a_count_per_interval_is_a_flow() -> None:
    np.testing.assert_allclose(convert(np.array([410.0, 0.0]), "veh/15min", "veh/h"), [1640.0, 0.0])
    np.testing.assert_allclose(convert(np.array([100.0]), "veh/(5 min)", "veh/h"), [1200.0])
    np.testing.assert_allclose(convert(np.array([1200.0]), "veh/h", "veh/5min"), [100.0])
    assert dimension("veh/15min") == "[vehicle] / [time]"
    with pytest.raises(UnitError, match=r"cannot convert 'veh' \(\[vehicle\]\) to 'veh/h' \(\[vehicle\] / \[time\]\)"):
        check_conversion("veh", "veh/h")
