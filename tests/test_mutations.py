"""Random damage to a valid scenario folder never crashes the reader.

Whatever is done to tests/data/tiny (cells deleted or replaced, rows
duplicated or dropped, columns dropped or renamed, files truncated or
overwritten with random bytes), ``read_scenario`` either returns a
Scenario or raises an InputError whose problems say where they are.
"""

from __future__ import annotations

import csv
import io
import shutil
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patchplan as pp
from patchplan.core.errors import MAX_PROBLEMS

TINY = Path(__file__).parent / "data" / "tiny"
FILES = sorted(p.name for p in TINY.iterdir() if p.is_file())
TABLES = [f for f in FILES if f.endswith(".csv")]

CELL_KINDS = ("delete_cell", "replace_cell", "duplicate_row", "drop_row", "drop_column", "swap_headers")
BYTE_KINDS = ("truncate", "random_bytes")
TOML_KEYS = ("name", "start", "days", "seed", "geography", "travel", "generator")

#: Replacement cells: text of any kind, numbers that are odd for a column,
#: spreadsheet noise, and the empty cell.
cells = st.one_of(
    st.just(""),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "nan",
            "NULL",
            "-0",
            "1e999",
            "00:00",
            "24:00",
            "47:59",
            "99:99",
            "99999:00",
            "2026-11-30",
            "1900-01-01",
            "spot",
            "K1",
            "P1",
            "C1",
            "PK1",
            "V1",
            "B1",
            " ",
            "\t",
            '"',
            ",",
            "\n",
        ]
    ),
)

#: TOML values, legal and not, for a key of scenario.toml.
toml_values = st.one_of(
    st.sampled_from(
        [
            '"essex"',
            '"custom"',
            '"planar"',
            '"mars"',
            "2026-11-30",
            "2026-11-30T08:00:00",
            "08:00:00",
            "0",
            "-1",
            "7",
            "400",
            "1.5",
            "true",
            '""',
            "[]",
            "[1, 2]",
            "{}",
            "{ car = { urban_kmh = 0 } }",
            '{ car = { circuity = "x" } }',
            "{ boat = {} }",
            "{ walk = 3 }",
            "inf",
            "nan",
            "9999-12-31",
            "0001-01-01",
            "366",
            "367",
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.text(max_size=8).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
)

mutations = st.one_of(
    st.tuples(st.just("set_toml"), st.just("scenario.toml"), st.sampled_from(TOML_KEYS), st.just(0), toml_values),
    st.tuples(
        st.sampled_from(CELL_KINDS), st.sampled_from(TABLES), st.integers(0, 10**6), st.integers(0, 10**6), cells
    ),
    st.tuples(
        st.sampled_from(BYTE_KINDS),
        st.sampled_from(FILES),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
        st.binary(max_size=40),
    ),
)


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _mutate(folder: Path, kind: str, name: str, a: int | str, b: int, extra: object) -> None:
    """Apply one mutation to one file of ``folder`` (in place)."""
    path = folder / name
    if not path.exists():
        return
    if kind == "set_toml":
        lines = [
            line
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
            if not line.startswith(f"{a} ")
        ]
        path.write_text("\n".join([f"{a} = {extra}", *lines]) + "\n", encoding="utf-8")
        return
    assert isinstance(a, int)
    if kind in BYTE_KINDS:
        data = path.read_bytes()
        if kind == "truncate":
            path.write_bytes(data[: a % (len(data) + 1)])
        else:
            assert isinstance(extra, bytes)
            at = a % (len(data) + 1)
            path.write_bytes(data[:at] + extra + data[at + b % 8 :])
        return
    try:
        rows = _rows(path)
    except (UnicodeDecodeError, csv.Error):  # already damaged at the byte level
        return
    if not rows:
        return
    r = a % len(rows)
    width = max(len(row) for row in rows) or 1
    c = b % width
    if kind == "delete_cell" and c < len(rows[r]):
        del rows[r][c]
    elif kind == "replace_cell" and c < len(rows[r]):
        rows[r][c] = str(extra)
    elif kind == "duplicate_row":
        rows.insert(r, list(rows[r]))
    elif kind == "drop_row":
        del rows[r]
    elif kind == "drop_column":
        rows = [[cell for i, cell in enumerate(row) if i != c] for row in rows]
    elif kind == "swap_headers" and len(rows[0]) > 1:
        d = (c + 1 + a % (len(rows[0]) - 1)) % len(rows[0])
        rows[0][c], rows[0][d] = rows[0][d], rows[0][c]
    _write_rows(path, rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(mutations, min_size=1, max_size=3))
def test_mutated_folder_reads_or_raises_input_error(
    changes: list[tuple[str, str, int, int, object]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """1-3 random mutations: the result is a Scenario or an InputError
    (never another exception); every problem names its file, the count
    respects the cap, and the only warnings are DataQualityWarnings."""
    folder = tmp_path_factory.mktemp("mutant") / "tiny"
    shutil.copytree(TINY, folder)
    for change in changes:
        _mutate(folder, *change)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scenario = pp.read_scenario(folder)
        except pp.InputError as exc:
            assert exc.problems
            assert len(exc.problems) <= MAX_PROBLEMS
            assert all(p.file and str(p) for p in exc.problems), str(exc)
        else:
            assert isinstance(scenario, pp.Scenario)
            # What was read is what the folder says: it survives a round trip.
            again = pp.read_scenario(pp.write_scenario(scenario, tmp_path_factory.mktemp("again")))
            assert again.replace(settings=()) == scenario.replace(settings=())
            assert repr(again.settings) == repr(scenario.settings)  # a setting may be nan
    others = [w for w in caught if not issubclass(w.category, pp.DataQualityWarning)]
    assert not others, [str(w.message) for w in others]
