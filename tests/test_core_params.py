"""patchplan.core.params: rounds parameters are checked when made and read from TOML with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchplan.core.errors import InputError
from patchplan.core.params import RoundsParams


def test_defaults_put_travel_first() -> None:
    """The defaults are valid; leaving a visit out costs more than a day of travel."""
    p = RoundsParams()
    assert p.drop_penalty > p.travel_weight * 24 * 60
    assert p.replace(team_cap=3).team_cap == 3 and p.team_cap == 0


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"travel_weight": -1}, ("travel_weight", "-1")),  # a negative weight
        ({"time_limit_s": 0}, ("time_limit_s", "0")),  # no time at all
        ({"solution_limit": -5}, ("solution_limit", "-5")),  # a negative budget
    ],
)
def test_bad_values_are_input_errors(changes: dict[str, object], named: tuple[str, str]) -> None:
    """A bad value is an InputError naming the parameter and the value."""
    with pytest.raises(InputError) as caught:
        RoundsParams(**changes)  # type: ignore[arg-type]
    assert all(part in str(caught.value) for part in named)


def test_from_toml_table_or_flat(tmp_path: Path) -> None:
    """A [rounds] table or a flat file of overrides; the rest stays default."""
    table = tmp_path / "a.toml"
    table.write_text("[rounds]\nsolution_limit = 50\nteam_cap = 3\n", encoding="utf-8")
    flat = tmp_path / "b.toml"
    flat.write_text("travel_weight = 7\n", encoding="utf-8")
    assert RoundsParams.from_toml(table) == RoundsParams(solution_limit=50, team_cap=3)
    assert RoundsParams.from_toml(flat).travel_weight == 7


def test_from_toml_errors_name_the_file(tmp_path: Path) -> None:
    """Unknown keys, broken TOML and a missing file are input errors naming the file."""
    unknown = tmp_path / "u.toml"
    unknown.write_text("[rounds]\ntravel_wieght = 7\n", encoding="utf-8")
    broken = tmp_path / "b.toml"
    broken.write_text("[rounds\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        RoundsParams.from_toml(unknown)
    assert "u.toml" in str(caught.value) and "travel_wieght" in str(caught.value)
    with pytest.raises(InputError, match=r"b\.toml: "):
        RoundsParams.from_toml(broken)
    with pytest.raises(InputError, match="nothing.toml"):
        RoundsParams.from_toml(tmp_path / "nothing.toml")


def test_from_toml_wrong_type_is_an_input_error(tmp_path: Path) -> None:
    """A value of the wrong type (text for a weight) is bad input naming the key, not a crash later."""
    wrong = tmp_path / "w.toml"
    wrong.write_text('[rounds]\ntravel_weight = "lots"\n', encoding="utf-8")
    with pytest.raises(InputError, match="travel_weight"):
        RoundsParams.from_toml(wrong)
