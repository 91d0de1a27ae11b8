"""The bad-input corpus: every problem is reported with file, row, column,
value and what was expected, all in one pass, exit code 2, no traceback.

Each folder in ``tests/data/bad/`` holds only the files that differ from
``tests/data/tiny/`` plus a ``case.toml``::

    why = "one line: what is wrong"
    expect = ["substrings", "that must all appear in the error"]
    file = "visits.csv"       # optional: where the first problem is
    row = 4                   # optional
    column = "duration_min"   # optional
    count = 1                 # optional: how many problems are reported
    delete = ["visits.csv"]   # optional: files of tiny to remove

A case may instead run a command (every other way in: options, params,
events, rosters, GeoJSON, feeds, benchmark files)::

    argv = ["replan", "{scenario}", "{roster}", "--events", "{case}/events.csv", "--now", "..."]
    exit = 2                  # optional (default 2): the exit code expected

``{scenario}`` is tiny with the case's scenario tables laid over it,
``{roster}`` a roster of tiny (tests/data/tiny_roster), ``{case}`` the case
folder (its other files are read from there), ``{tmp}`` an empty folder.
"""

from __future__ import annotations

import shutil
import tomllib
import warnings
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import patchplan as pp
from patchplan.cli.app import app

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
BAD = DATA / "bad"
CASES = sorted(p for p in BAD.iterdir() if p.is_dir())
CASE_KEYS = {"why", "expect", "file", "row", "column", "count", "delete", "argv", "exit"}
ROSTER = DATA / "tiny_roster"

#: A wide terminal, so rich does not wrap messages in the middle of a value.
runner = CliRunner(env={"COLUMNS": "2000"})


def _case(folder: Path) -> dict[str, Any]:
    return tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))


def _build(folder: Path, target: Path) -> Path:
    """tiny, with the case's files (and folders) laid over it and its deletions made.

    A command case lays over only the files tiny has (its other files are read from the case folder)."""
    shutil.copytree(TINY, target)
    command = "argv" in _case(folder)
    for f in folder.iterdir():
        if command and not (TINY / f.name).exists() and f.name != "scenario.toml":
            continue
        if f.is_dir():  # e.g. status_quo/
            shutil.copytree(f, target / f.name, dirs_exist_ok=True)
        elif f.is_symlink():  # a case about links: lay the link itself over tiny's file
            (target / f.name).unlink(missing_ok=True)
            (target / f.name).symlink_to(f.readlink())
        elif f.name != "case.toml":
            shutil.copyfile(f, target / f.name)
    for name in _case(folder).get("delete", []):
        (target / name).unlink()
    return target


def test_corpus_is_well_formed() -> None:
    """At least 30 cases; each has a one-line why, expectations, and only
    files that really differ from tiny (or deletions of tiny's files)."""
    assert len(CASES) >= 30
    for folder in CASES:
        case = _case(folder)
        assert set(case) <= CASE_KEYS, (folder.name, set(case) - CASE_KEYS)
        assert case["why"] and "\n" not in case["why"], folder.name
        assert case["expect"] and all(isinstance(e, str) and e for e in case["expect"]), folder.name
        overlay = [f for f in folder.iterdir() if f.name != "case.toml"]
        assert overlay or case.get("delete") or "argv" in case, f"{folder.name} changes nothing"
        for f in overlay:
            if (TINY / f.name).is_file() and not f.is_symlink():
                assert f.read_bytes() != (TINY / f.name).read_bytes(), f"{folder.name}/{f.name} equals tiny's"
        for name in case.get("delete", []):
            assert (TINY / name).is_file(), f"{folder.name} deletes {name}, which tiny does not have"


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_bad_input_is_reported(folder: Path, tmp_path: Path) -> None:
    """The API raises InputError naming every expected substring (first
    problem at the case's file/row/column, problem count as given), and
    `patchplan validate` exits 2 with the same text and no traceback."""
    case = _case(folder)
    scenario = _build(folder, tmp_path / folder.name)
    if "argv" in case:
        _check_command(case, folder, scenario, tmp_path)
        return

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pp.DataQualityWarning)
        with pytest.raises(pp.InputError) as info:
            pp.read_scenario(scenario)
    text = str(info.value)
    for expected in case["expect"]:
        assert expected in text, f"{expected!r} not in:\n{text}"
    problems = info.value.problems
    first = problems[0]
    for key in ("file", "row", "column"):
        if key in case:
            assert getattr(first, key) == case[key], f"first problem's {key}: {first}"
    if "count" in case:
        assert len(problems) == case["count"], text
    for p in problems:  # every problem says where it is
        assert p.file, p

    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    for expected in case["expect"]:
        assert expected in result.output, f"{expected!r} not in:\n{result.output}"


def _check_command(case: dict[str, Any], folder: Path, scenario: Path, tmp_path: Path) -> None:
    """A command case: the exit code expected, every expected substring, no traceback."""
    (tmp_path / "empty").mkdir()
    places = {"scenario": str(scenario), "roster": str(ROSTER), "case": str(folder), "tmp": str(tmp_path / "empty")}
    argv = [a.format(**places) for a in case["argv"]]
    result = runner.invoke(app, argv)
    assert result.exit_code == case.get("exit", 2), (argv, result.output)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    for expected in case["expect"]:
        assert expected in result.output, f"{expected!r} not in:\n{result.output}"


def test_path_that_does_not_exist(tmp_path: Path) -> None:
    """A missing folder is an InputError in the API and exit code 2 in the CLI."""
    missing = tmp_path / "no" / "such" / "scenario"
    with pytest.raises(pp.InputError, match="no such file or folder"):
        pp.read_scenario(missing)
    result = runner.invoke(app, ["validate", str(missing)])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output
    assert "Traceback" not in result.output


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    """Pointing at a table instead of the folder says what was expected."""
    with pytest.raises(pp.InputError, match="expected a scenario folder"):
        pp.read_scenario(TINY / "visits.csv")


def test_header_only_tables_are_valid(tiny_dir: Path) -> None:
    """A table with a header and no rows is an empty list, not an error."""
    for name in ("client_carers.csv", "provider_capacity.csv"):
        header = (tiny_dir / name).read_text(encoding="utf-8").splitlines()[0]
        (tiny_dir / name).write_text(header + "\n", encoding="utf-8")
    s = pp.read_scenario(tiny_dir)
    assert not s.client("C3").prohibited_carers
    assert all(not p.band_capacity for p in s.providers)


def _warnings_of(folder: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pp.read_scenario(folder)
    return [str(w.message) for w in caught if issubclass(w.category, pp.DataQualityWarning)]


def test_blank_rows_warn_and_keep_row_numbers(tiny_dir: Path) -> None:
    """Empty rows are skipped with a DataQualityWarning, and later rows keep
    the number a spreadsheet shows (the blank row counts)."""
    path = tiny_dir / "visits.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines[:3], "", ",,,,,,,,,,,", *lines[3:]]) + "\n", encoding="utf-8")
    assert any("skipped 2 empty row(s)" in w for w in _warnings_of(tiny_dir))
    path.write_text(path.read_text(encoding="utf-8").replace("13:30,30,12:30", "13:30,half,12:30"), encoding="utf-8")
    with warnings.catch_warnings(), pytest.raises(pp.InputError) as info:
        warnings.simplefilter("ignore", pp.DataQualityWarning)
        pp.read_scenario(tiny_dir)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == ("visits.csv", 6, "duration_min")


def test_files_that_would_be_ignored_warn(tiny_dir: Path) -> None:
    """A misspelt table and a geography table the essex geography does not
    read are not skipped silently."""
    (tiny_dir / "visit.csv").write_text("id\nV9\n", encoding="utf-8")
    (tiny_dir / "districts.csv").write_text("id,name\nX,Y\n", encoding="utf-8")
    found = _warnings_of(tiny_dir)
    assert any("visit.csv" in w and "not scenario tables" in w for w in found)
    assert any("districts.csv" in w and "geography is 'essex'" in w for w in found)


def test_unknown_toml_key_warns(tiny_dir: Path) -> None:
    """A misspelt key in scenario.toml (dayz) is kept but flagged."""
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8") + "dayz = 7\n", encoding="utf-8")
    assert any("'dayz'" in w for w in _warnings_of(tiny_dir))


def test_travel_settings_are_checked(tiny_dir: Path) -> None:
    """[travel] tables name known modes and keys with sensible numbers; each
    bad entry is its own problem."""
    path = tiny_dir / "scenario.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '[travel.car]\nurban_kmh = 0\ncircuity = "x"\n[travel.boat]\nurban_kmh = 9\n',
        encoding="utf-8",
    )
    with pytest.raises(pp.InputError) as info:
        pp.read_scenario(tiny_dir)
    columns = [p.column for p in info.value.problems]
    assert columns == ["travel.car.urban_kmh", "travel.car.circuity", "travel.boat"]


def test_values_are_typed_strictly() -> None:
    """Whole numbers, numbers, dates and times: what a spreadsheet would show."""
    from patchplan.io.folder import _PARSERS
    from patchplan.io.schema import Column

    def parse(kind: str, text: str) -> object:
        return _PARSERS[kind](text, Column("x", kind, ""))

    assert parse("int", "7") == 7 and parse("int", "7.0") == 7
    assert parse("date", "2026-11-30") == parse("date", "2026-11-30T00:00:00")
    assert parse("time", "25:30") == 25 * 60 + 30
    for kind, text in [
        ("int", "7.5"),
        ("int", "9" * 400 + ".0"),
        ("int", "١٢"),
        ("float", "1_000"),
        ("float", "nan"),
        ("float", "1e999"),
        ("date", "20261130"),
        ("date", "2026-W48-1"),
        ("date", "2026-11-30 8am"),
        ("time", "8:00am"),
        ("time", "08:60"),
    ]:
        with pytest.raises(ValueError):
            parse(kind, text)
