"""
Property tests (hypothesis, fixed seed, a few seconds): the fleet file readers on generated
stops CSVs and fleet TOMLs give validated plan inputs (``resolve_inputs``) or a
FleetInputError (UnknownVehicleError for a vehicle name not in the catalogue). Never a
TypeError, a KeyError or a crash from deep inside.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

import ecoroute
from ecoroute.fleet import Depot, VehicleType
from ecoroute.fleet.files import read_fleet, read_stops
from ecoroute.fleet.model import FleetInputs, resolve_inputs

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings(derandomize=True, max_examples=80, deadline=None)

NETWORK = ecoroute.RoadNetwork.from_arrays(
    [0, 1, 1, 2], [1, 0, 2, 1], [100.0, 100.0, 120.0, 120.0], [36.0, 36.0, 30.0, 30.0],
    [60.0, 60.0, 60.001], [24.0, 24.0018, 24.0018], node_id=[10, 11, 12],
)  # fmt: skip
ACCEPTED = (ecoroute.FleetInputError, ecoroute.UnknownVehicleError)

#: Bad cells per column. (An empty id is one too: see test_an_empty_stop_id_is_refused.)
BAD_CELLS = {
    "id": ["s0"],  # a repeat of the first stop's id
    "lat": ["abc", "91", "nan", "1e400"],
    "lon": ["-181", "inf", "x"],
    "node": ["99", "abc", "-1"],
    "demand_kg": ["-5", "heavy", "inf"],  # ("nan" is pandas' missing value: the default)
    "service_s": ["-1", "x"],
    "tw_start": ["25:99", "x"],
    "optional": ["maybe"],
    "prize": ["-3", "x"],
}


@st.composite
def stops_csvs(draw):
    """A valid stops table, or one with a single bad cell (or an unknown column); and which."""
    by_node = draw(st.booleans())
    columns = ["id", *(["node"] if by_node else ["lat", "lon"])]
    columns += draw(st.lists(st.sampled_from(["demand_kg", "service_s", "tw", "optional",
                                              "prize"]), max_size=5, unique=True))  # fmt: skip
    count = draw(st.integers(1, 4))
    rows = []
    for k in range(count):
        row = {"id": f"s{k}", "node": str(draw(st.sampled_from([10, 11, 12]))),
               "lat": str(60.0 + 0.0005 * k), "lon": "24.001",
               "demand_kg": str(draw(st.integers(0, 500))), "service_s": draw(st.sampled_from(["", "60"])),
               "optional": draw(st.sampled_from(["", "true", "false"])), "prize": "10"}  # fmt: skip
        row["tw_start"], row["tw_end"] = draw(st.sampled_from([("", ""), ("08:00", "17:00")]))
        rows.append(row)
    header = [c for c in columns if c != "tw"] + (["tw_start", "tw_end"] if "tw" in columns else [])
    defect = None
    if draw(st.integers(0, 2)) == 0:
        candidates = [c for c in header if c in BAD_CELLS and not (c == "id" and count < 2)]
        column = draw(st.sampled_from([*candidates, "colour"]))
        if column == "colour":
            header.append("colour")
            for row in rows:
                row["colour"] = "red"
        else:
            k = (
                draw(st.integers(1, count - 1))
                if column == "id"
                else draw(st.integers(0, count - 1))
            )
            rows[k][column] = draw(st.sampled_from(BAD_CELLS[column]))
        defect = column
    text = ",".join(header) + "\n" + "".join(",".join(r[c] for c in header) + "\n" for r in rows)
    return text, defect, count


def _check(outcome):
    assert isinstance(outcome, FleetInputs | BaseException)
    if isinstance(outcome, BaseException):
        assert isinstance(outcome, ACCEPTED), f"{type(outcome).__name__}: {outcome}"
        assert str(outcome)


def _resolve(depots, stops, fleet):
    try:
        return resolve_inputs(NETWORK, depots, stops, fleet)
    except ACCEPTED as error:
        return error


@FUZZ
@given(stops_csvs())
def test_stops_csv_is_plan_input_or_fleet_input_error(example):
    text, defect, count = example
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stops.csv"
        path.write_text(text)
        try:
            stops = read_stops(path)
            outcome = _resolve([Depot("D", node=10)], stops, [VehicleType("van_diesel", count=2)])
        except ACCEPTED as error:
            outcome = error
    _check(outcome)
    if defect is None:
        assert isinstance(outcome, FleetInputs), f"valid stops refused: {outcome}"
        assert [s.id for s in outcome.stops] == [f"s{k}" for k in range(count)]
    else:
        assert isinstance(outcome, ACCEPTED), f"a bad {defect} was accepted"


#: (good values, bad values) per [[vehicles]] key, as TOML text.
VEHICLE_KEYS = {
    "count": (["1", "3"], ["0", "-1", '"two"', "1.5", "true"]),
    "capacity_kg": (["500", "1575"], ["-1", "99999", '"lots"', "nan"]),
    "fixed_cost": (["0", "40"], ["-5", '"x"']),
    "cost_per_km": (["0.5"], ["inf", "-1"]),
    "max_duration": (['"09:00"', "3600"], ['"x"', "-1"]),
    "shift": (['["07:00", "17:00"]'], ['["07:00"]', '"all day"', '["17:00", "07:00"]']),
    "start_depot": (['"D1"'], ['"D9"', "3"]),
    "matrix_payload_kg": (["100"], ["-1", "1e9"]),
    # payload_kg = -5 and name = "" or 4 are defects too: see the regression tests below.
    "model": (["{ payload_kg = 100 }"], ["{ wings = 2 }", "7"]),
    "vehicle": (['"van_diesel"'], ['"spaceship"', "5", '""']),
    "colour": ([], ['"red"']),
}
DEPOT_KEYS = {
    "open": (['"06:00"', "0"], ['"x"', "-5", '"30:61"']),
    "close": (['"20:00"', "86400"], ['"05:00"', '"y"']),
    "lat": (["60.0"], ["95", '"north"']),
    "id": (['"D1"'], ['""', "3"]),
}


@st.composite
def fleet_tomls(draw):
    """A valid fleet file (one depot, one or two vehicle types), or one with a single bad value."""
    depot = {"id": '"D1"', "lat": "60.0", "lon": "24.0"}
    for key, (good, _) in DEPOT_KEYS.items():
        if draw(st.booleans()):
            depot[key] = draw(st.sampled_from(good))
    types = []
    for k in range(draw(st.integers(1, 2))):
        vehicle = {"vehicle": '"van_diesel"', "name": f'"van-{k}"', "count": "2"}
        for key, (good, _) in VEHICLE_KEYS.items():
            if good and key not in ("vehicle", "name") and draw(st.integers(0, 2)) == 0:
                vehicle[key] = draw(st.sampled_from(good))
        types.append(vehicle)
    defect = None
    if draw(st.integers(0, 2)) == 0:
        if draw(st.booleans()):
            key = draw(st.sampled_from(list(DEPOT_KEYS)))
            depot[key] = draw(st.sampled_from(DEPOT_KEYS[key][1]))
        else:
            key = draw(st.sampled_from(list(VEHICLE_KEYS)))
            types[-1][key] = draw(st.sampled_from(VEHICLE_KEYS[key][1]))
        defect = key
    lines = ["[[depots]]", *(f"{k} = {v}" for k, v in depot.items())]
    for vehicle in types:
        model = vehicle.pop("model", None)
        lines += ["[[vehicles]]", *(f"{k} = {v}" for k, v in vehicle.items())]
        if model is not None:
            lines.append(f"model = {model}")
    return "\n".join(lines) + "\n", defect


@FUZZ
@given(fleet_tomls())
def test_fleet_toml_is_plan_input_or_fleet_input_error(example):
    text, defect = example
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fleet.toml"
        path.write_text(text)
        try:
            fleet_file = read_fleet(path)
            outcome = _resolve(fleet_file.depots, [], fleet_file.fleet)
        except ACCEPTED as error:
            outcome = error
    _check(outcome)
    if defect is None:
        assert isinstance(outcome, FleetInputs), f"a valid fleet file refused: {outcome}"
    else:
        assert isinstance(outcome, ACCEPTED), f"a bad {defect} was accepted:\n{text}"


def test_an_empty_stop_id_is_refused(tmp_path):
    path = tmp_path / "stops.csv"
    path.write_text("id,lat,lon\ns0,60.0,24.001\n,60.0005,24.001\n")
    with pytest.raises(ecoroute.FleetInputError, match="row 2"):
        read_stops(path)


def test_a_fractional_stop_node_is_refused(tmp_path):
    path = tmp_path / "stops.csv"
    path.write_text("id,node\ns0,10.5\n")
    with pytest.raises(ecoroute.FleetInputError, match="node"):
        read_stops(path)


def test_an_out_of_range_model_override_is_a_fleet_input_error(tmp_path):
    path = tmp_path / "fleet.toml"
    path.write_text('[[depots]]\nid = "D1"\nlat = 60.0\nlon = 24.0\n[[vehicles]]\n'
                    'vehicle = "van_diesel"\nmodel = { payload_kg = -5 }\n')  # fmt: skip
    with pytest.raises(ecoroute.FleetInputError, match=r"vehicles\[0\]\.model"):
        read_fleet(path)


@pytest.mark.parametrize("name", ['""', "4"])
def test_a_vehicle_type_name_must_be_a_non_empty_string(tmp_path, name):
    path = tmp_path / "fleet.toml"
    path.write_text('[[depots]]\nid = "D1"\nlat = 60.0\nlon = 24.0\n[[vehicles]]\n'
                    f'vehicle = "van_diesel"\nname = {name}\n')  # fmt: skip
    fleet_file = read_fleet(path)
    with pytest.raises(ecoroute.FleetInputError, match="name"):
        resolve_inputs(NETWORK, fleet_file.depots, [], fleet_file.fleet)
