"""call_patterns.csv: read and expanded with visits.csv's overrides and one-offs, written back exactly."""

from __future__ import annotations

import dataclasses
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import patchplan as pp
from patchplan.core.patterns import expand, scenario_for_week

HEADER = (
    "package_id,weekdays,time,duration_min,tolerance_min,earliest,latest,carers_required,skills,label,"
    "every_n_weeks,first_week,from,until,except_dates"
)


def _with_patterns(folder: Path, *rows: str) -> Path:
    (folder / "call_patterns.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return folder


def test_generated_folder_keeps_patterns_and_only_what_differs(maldon: pp.Scenario, tmp_path: Path) -> None:
    """A generated scenario is written as its call patterns and an empty visits.csv (no overrides),
    and reads back equal."""
    folder = pp.write_scenario(maldon, tmp_path / "s")
    patterns = pd.read_csv(folder / "call_patterns.csv", dtype=str, keep_default_na=False)
    assert len(patterns) == len(maldon.patterns)
    assert set(patterns["first_week"]) == {maldon.start.isoformat()}
    assert pd.read_csv(folder / "visits.csv").empty
    assert pp.read_scenario(folder) == maldon


def test_overrides_cancellations_and_one_offs_round_trip(maldon: pp.Scenario, tmp_path: Path) -> None:
    """A changed patterned visit and a one-off are written to visits.csv; a patterned visit the
    scenario lacks becomes an except date of its pattern; reading gives the same visits."""
    changed, dropped = maldon.visits[3], maldon.visits[10]
    longer = dataclasses.replace(changed, duration_min=changed.duration_min + 15, late=changed.late - 15)
    extra = dataclasses.replace(changed, id="ONE-OFF-1", day=5, early=5 * 1440 + 600, late=5 * 1440 + 660, target=None)
    s = maldon.replace(
        visits=tuple(longer if v.id == changed.id else v for v in maldon.visits if v.id != dropped.id) + (extra,),
        status_quo=None,
    )
    folder = pp.write_scenario(s, tmp_path / "s")
    dated = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    assert list(dated["id"]) == [changed.id, "ONE-OFF-1"]
    patterns = pd.read_csv(folder / "call_patterns.csv", dtype=str, keep_default_na=False)
    assert list(patterns["except_dates"]).count(s.date(dropped.day).isoformat()) == 1
    back = pp.read_scenario(folder)
    assert back.visits == s.visits
    assert back.visit(changed.id).duration_min == changed.duration_min + 15


def test_patterns_expand_beside_dated_visits(tiny_dir: Path) -> None:
    """tiny (Monday 2026-11-30) with a daily 18:00 tea call of PK1: expanded first, then the dated
    visits; window 17:00-19:30 (start by 19:00), tolerance 30 by default."""
    s = pp.read_scenario(_with_patterns(tiny_dir, "PK1,daily,18:00,30,,,,1,,tea,,,,,"))
    assert [v.id for v in s.visits] == ["PK1-01", "V1", "V2", "V3", "V4"]
    v = s.visit("PK1-01")
    assert (v.client_id, v.early, v.late, v.target, v.tolerance_min, v.label) == ("C1", 1020, 1140, 1080, 30, "tea")
    assert len(s.patterns) == 1 and s.patterns[0].first_week is None


def test_a_dated_visit_overrides_the_patterned_one(tiny_dir: Path) -> None:
    """visits.csv row with the id PK1-01 replaces the patterned visit in place (18:30-19:30, fixed)."""
    _with_patterns(tiny_dir, "PK1,daily,18:00,30,,,,1,,tea,,,,,")
    with (tiny_dir / "visits.csv").open("a", encoding="utf-8") as f:
        f.write("PK1-01,PK1,C1,2026-11-30,18:30,19:00,30,,0,1,,tea\n")
    s = pp.read_scenario(tiny_dir)
    assert [v.id for v in s.visits] == ["PK1-01", "V1", "V2", "V3", "V4"]
    assert s.visit("PK1-01").fixed and s.visit("PK1-01").early == 18 * 60 + 30


def test_a_cancelled_date_has_no_visit(tiny_dir: Path) -> None:
    """except_dates cancels one call: it gives no visit, with a warning that the row gives none."""
    _with_patterns(tiny_dir, "PK1,daily,18:00,30,,,,1,,tea,,,,,2026-11-30", "PK3,Mon,19:00,30,,,,1,,bed,,,,,")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = pp.read_scenario(tiny_dir)
    assert [v.id for v in s.visits] == ["PK3-01", "V1", "V2", "V3", "V4"]
    assert any("1 row(s) give no visit in the horizon" in str(w.message) and "row 2" in str(w.message) for w in caught)


def test_patterns_without_visits_csv(tiny_dir: Path) -> None:
    """With call_patterns.csv, visits.csv may be left out; without either, the error names both."""
    (tiny_dir / "visits.csv").unlink()
    s = pp.read_scenario(_with_patterns(tiny_dir, "PK2,daily,08:30,45,,,,2,moving_handling,morning,,,,,"))
    assert [v.id for v in s.visits] == ["PK2-01"]
    (tiny_dir / "call_patterns.csv").unlink()
    with pytest.raises(pp.InputError, match=r"call_patterns\.csv"):
        pp.read_scenario(tiny_dir)


@pytest.mark.filterwarnings("ignore:.*no carer on shift")  # tiny's carers work its first day only
def test_fortnightly_and_first_week_through_the_file(tiny_dir: Path, tmp_path: Path) -> None:
    """A 28-day horizon: a fortnightly Wednesday call anchored on the second week runs on days 9 and 23,
    ids PK1-01 and PK1-01-w2; written and read back unchanged."""
    toml = (tiny_dir / "scenario.toml").read_text(encoding="utf-8").replace("days = 1", "days = 28")
    (tiny_dir / "scenario.toml").write_text(toml, encoding="utf-8")
    s = pp.read_scenario(_with_patterns(tiny_dir, "PK1,Wed,18:00,30,,,,1,,tea,2,2026-12-07,,,"))
    patterned = [(v.id, v.day) for v in s.visits if v.package_id == "PK1" and v.id.startswith("PK1-")]
    assert patterned == [("PK1-01", 9), ("PK1-01-w2", 23)]
    assert pp.read_scenario(pp.write_scenario(s, tmp_path / "back")) == s


def test_parquet_patterns_round_trip(maldon: pp.Scenario, tmp_path: Path) -> None:
    """call_patterns.parquet reads like its CSV."""
    folder = pp.write_scenario(maldon, tmp_path / "p", fmt="parquet")
    assert (folder / "call_patterns.parquet").is_file()
    assert pp.read_scenario(folder).visits == tuple(expand(maldon.patterns, maldon.start, 7))


def test_dated_only_folders_still_read(tiny_dir: Path, tmp_path: Path) -> None:
    """A folder without call_patterns.csv is read and written as before (all visits dated)."""
    s = pp.read_scenario(tiny_dir)
    assert not s.patterns
    out = pp.write_scenario(s, tmp_path / "t")
    assert not (out / "call_patterns.csv").exists()
    shutil.rmtree(tiny_dir)
    assert len(pd.read_csv(out / "visits.csv")) == len(s.visits) == 4


def test_four_week_scenario_round_trips(maldon: pp.Scenario, tmp_path: Path) -> None:
    """Four weeks from the generated one (scenario_for_week(s, 0, weeks=4)) are written as the same
    patterns (no visit dated) and read back equal: the folder a template run plans week after week."""
    four = scenario_for_week(maldon, 0, weeks=4)
    folder = pp.write_scenario(four, tmp_path / "four")
    assert pd.read_csv(folder / "visits.csv").empty
    assert pp.read_scenario(folder) == four


def test_scenario_essex_weeks_writes_a_longer_horizon(tmp_path: Path) -> None:
    """`scenario essex --weeks 2`: a 14-day folder whose second week is the first's patterns and rota
    again (ids `-w1`); --weeks 0 is refused with exit 2."""
    from typer.testing import CliRunner

    from patchplan.cli.app import app

    runner = CliRunner(env={"COLUMNS": "2000"})
    args = ["scenario", "essex", "--district", "Maldon", "--scale", "0.05", "--seed", "2", "--json"]
    result = runner.invoke(app, [*args, "--weeks", "2", "--out", str(tmp_path / "two")])
    assert result.exit_code == 0, result.output
    s = pp.read_scenario(tmp_path / "two")
    assert s.days == 14 and s.status_quo is not None
    first = [v.id for v in s.visits if v.day < 7]
    assert sorted(v.id for v in s.visits if v.day >= 7) == sorted(f"{i}-w1" for i in first)
    assert {sh.day - 7 for sh in s.shifts if sh.day >= 7} == {sh.day for sh in s.shifts if sh.day < 7}
    bad = runner.invoke(app, [*args, "--weeks", "0", "--out", str(tmp_path / "none")])
    assert bad.exit_code == 2 and "--weeks" in bad.output


def test_a_live_in_package_has_no_call_patterns(tiny_dir: Path) -> None:
    """A pattern of a live-in package is refused on its own row (not on the package's)."""
    packages = tiny_dir / "packages.csv"
    packages.write_text(packages.read_text(encoding="utf-8").replace("PK3,C3,personal_care", "PK3,C3,live_in"))
    _with_patterns(tiny_dir, "PK1,daily,18:00,30,,,,1,,tea,,,,,", "PK3,daily,19:00,30,,,,1,,bed,,,,,")
    (tiny_dir / "visits.csv").write_text(
        "\n".join(line for line in (tiny_dir / "visits.csv").read_text().splitlines() if ",PK3," not in line) + "\n"
    )
    with pytest.raises(pp.InputError) as info:
        pp.read_scenario(tiny_dir)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("call_patterns.csv", 3, "package_id", "PK3")
    assert "live-in" in problem.message


def test_a_row_pasted_twice_warns(tiny_dir: Path) -> None:
    """Two identical rows give two visits (legal) and a warning naming both rows."""
    _with_patterns(tiny_dir, *["PK1,daily,18:00,30,,,,1,,tea,,,,,"] * 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = pp.read_scenario(tiny_dir)
    assert [v.id for v in s.visits if v.id.startswith("PK1-")] == ["PK1-01", "PK1-02"]
    assert any(
        "repeat an earlier row exactly" in str(w.message) and "row 3, as row 2" in str(w.message) for w in caught
    )
