"""Scenario folders: reading, writing, exact round trips, formats."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patchplan as pp
from patchplan.io.folder import input_format_markdown


def test_tiny_reads_with_locations_from_postcodes(tiny: pp.Scenario) -> None:
    """Postcodes resolve offline to the Code-Point Open location and area."""
    c1 = tiny.client("C1")
    assert c1.postcode == "CO1 2PU"
    assert (c1.location.lat, c1.location.lon) == (51.883991, 0.924659)
    assert c1.area_id == "E01035163"
    assert c1.district_id == "E07000071"


def test_tiny_visit_times_are_minutes_from_horizon_start(tiny: pp.Scenario) -> None:
    """earliest 07:30 -> 450; latest finish 09:30 with 30 min -> latest start 540."""
    v1 = tiny.visit("V1")
    assert (v1.early, v1.late, v1.target, v1.duration_min) == (450, 540, 480, 30)
    assert tiny.visit("V4").fixed


def test_round_trip_generated(maldon: pp.Scenario, tmp_path: Path) -> None:
    """read_scenario(write_scenario(s)) == s, status quo included."""
    assert pp.read_scenario(pp.write_scenario(maldon, tmp_path / "s")) == maldon


def test_round_trip_parquet(maldon: pp.Scenario, tmp_path: Path) -> None:
    """Parquet tables round-trip exactly too."""
    assert pp.read_scenario(pp.write_scenario(maldon, tmp_path / "s", fmt="parquet")) == maldon


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    district=st.sampled_from(["Maldon", "Harlow", "Brentwood", "Castle Point"]),
    scale=st.floats(0.03, 0.15),
)
def test_round_trip_property(seed: int, district: str, scale: float, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Any generated scenario survives a write and a read unchanged."""
    s = pp.essex(district=district, seed=seed, scale=scale)
    folder = tmp_path_factory.mktemp("rt")
    assert pp.read_scenario(pp.write_scenario(s, folder)) == s


def test_excel_tables_are_read(tiny_dir: Path) -> None:
    """A table saved as .xlsx reads like its CSV."""
    frame = pd.read_csv(tiny_dir / "visits.csv", dtype=str, keep_default_na=False)
    (tiny_dir / "visits.csv").unlink()
    frame.to_excel(tiny_dir / "visits.xlsx", index=False)
    assert pp.read_scenario(tiny_dir).visits == pp.read_scenario(Path(__file__).parent / "data" / "tiny").visits


def test_unknown_column_warns(tiny_dir: Path) -> None:
    """An unexpected column is not silently dropped: it raises a warning."""
    frame = pd.read_csv(tiny_dir / "carers.csv", dtype=str, keep_default_na=False)
    frame["shoe_size"] = "6"
    frame.to_csv(tiny_dir / "carers.csv", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pp.read_scenario(tiny_dir)
    assert any("shoe_size" in str(w.message) for w in caught)


def test_roster_round_trip(maldon: pp.Scenario, tmp_path: Path) -> None:
    """A roster folder reads back equal."""
    assert maldon.status_quo is not None
    folder = pp.write_roster(maldon.status_quo, maldon, tmp_path / "roster")
    assert pp.read_roster(folder, maldon) == maldon.status_quo


def test_hand_made_roster_needs_only_four_columns(tiny: pp.Scenario, tmp_path: Path) -> None:
    """carer, date, visit and start are enough; seq follows start."""
    (tmp_path / "roster.csv").write_text(
        "carer_id,date,visit_id,start\nK1,2026-11-30,V3,12:10\nK1,2026-11-30,V1,08:00\n"
    )
    roster = pp.read_roster(tmp_path / "roster.csv", tiny)
    (rnd,) = roster.rounds
    assert [s.visit_id for s in rnd.stops] == ["V1", "V3"]
    assert rnd.stops[0].end == 480 + 30


def test_docs_match_schema() -> None:
    """docs/input-format.md is generated from the schema and kept in sync."""
    doc = Path(__file__).parents[1] / "docs" / "input-format.md"
    assert doc.read_text(encoding="utf-8") == input_format_markdown()
