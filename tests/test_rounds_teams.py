"""rounds.teams: a client's carers so far become their team; in team mode
the one neighbourhood team allowed to serve them."""

from __future__ import annotations

import dataclasses

import pytest
from builders import carer, plane, visit

import patchplan as pp
from patchplan.core.model import Round, Stop
from patchplan.rounds.teams import _Teams


def _scenario(history: tuple[tuple[str, int], ...] = ()) -> pp.Scenario:
    s = plane(
        {"a": (0, 10), "b": (40, 40)},
        [visit("V1", "a", "08:00", "09:00"), visit("V2", "b", "08:00", "09:00")],
        [carer("k1", at=(0, 11)), carer("k2", at=(0, 12)), carer("k3", at=(40, 41))],
    )
    return s.replace(clients=tuple(dataclasses.replace(c, history=history) if c.id == "a" else c for c in s.clients))


def test_no_team_without_continuity_and_a_team_from_what_is_recorded() -> None:
    s = _scenario()
    assert _Teams(s, s.carers, pp.RoundsParams()).preferred(s.visit("V1")) is None
    teams = _Teams(s, s.carers, pp.RoundsParams(team_cap=2))
    assert teams.preferred(s.visit("V1")) is None  # nobody has seen the client yet
    teams.record(
        Round(
            carer_id="k2",
            day=0,
            stops=(Stop(visit_id="V1", arrival=490, start=490, end=520, travel_min=10, travel_m=10),),
            leave=480,
            back=530,
        )
    )
    assert teams.preferred(s.visit("V1")) == {"k2"} and not teams.full("a")
    teams.record(
        Round(
            carer_id="k1",
            day=0,
            stops=(Stop(visit_id="V1", arrival=490, start=490, end=520, travel_min=10, travel_m=10),),
            leave=480,
            back=530,
        )
    )
    assert teams.full("a")  # two carers: the cap of 2 is reached


def test_known_carers_start_the_team_only_when_asked() -> None:
    s = _scenario(history=(("k3", 5),))
    assert _Teams(s, s.carers, pp.RoundsParams(team_cap=3)).preferred(s.visit("V1")) is None
    assert _Teams(s, s.carers, pp.RoundsParams(team_cap=3, prefer_known=True)).preferred(s.visit("V1")) == {"k3"}


def test_team_mode_gives_each_client_the_nearest_team_or_the_one_that_knows_them() -> None:
    s = _scenario()
    s = s.replace(carers=tuple(dataclasses.replace(c, team_id="north" if c.id != "k3" else "south") for c in s.carers))
    teams = _Teams(s, s.carers, pp.RoundsParams(teams_mode=True))
    assert teams.required(s.visit("V1")) == {"k1", "k2"}  # client a lives by k1 and k2
    assert teams.required(s.visit("V2")) == {"k3"}
    known = s.replace(
        clients=tuple(dataclasses.replace(c, history=(("k3", 9),)) if c.id == "a" else c for c in s.clients)
    )
    assert _Teams(known, known.carers, pp.RoundsParams(teams_mode=True)).required(known.visit("V1")) == {"k3"}


def test_team_mode_without_teams_is_bad_input() -> None:
    s = _scenario()
    with pytest.raises(pp.InputError, match="teams mode needs carers with a team"):
        _Teams(s, s.carers, pp.RoundsParams(teams_mode=True))
