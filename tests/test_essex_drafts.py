"""patchplan.essex.drafts: a pattern's hours and the band hours it needs agree; its call patterns
expand to the visits the generator made before call patterns."""

from __future__ import annotations

import numpy as np
import pytest

import patchplan as pp
from patchplan.core.model import DAY_MIN, Visit
from patchplan.core.patterns import expand
from patchplan.essex.drafts import DEFAULT_START, Call, Pattern, band_need, call_patterns
from patchplan.essex.generator import _Generator
from patchplan.geo import geography as geo


def test_hours_count_every_carer_on_every_day() -> None:
    """Two 30-minute calls, one a double-up, on five days: 5 x (30 + 60) / 60 = 7.5 h."""
    p = Pattern(
        "personal_care", "older_people", [0, 1, 2, 3, 4], [Call("morning", 8 * 60, 30, 2), Call("bed", 20 * 60, 30)]
    )
    assert p.hours == 7.5
    assert Pattern("live_in", "working_age", [], [], live_in_hours=168.0).hours == 168.0


def test_band_need_adds_up_to_the_hours() -> None:
    """The hours by (weekday, band) sum to the pattern's hours, and only on its weekdays."""
    p = Pattern(
        "personal_care", "older_people", [1, 3], [Call("morning", 8 * 60 + 45, 30), Call("lunch", 12 * 60, 45, 2)]
    )
    need = band_need(p)
    assert sum(need.values()) == pytest.approx(p.hours)
    assert {wd for wd, _ in need} == {1, 3}


def _visits_as_the_generator_made_them(pkg_id: str, client_id: str, p: Pattern) -> list[Visit]:
    """The generator's visits before call patterns (its visits() until this change), kept as the oracle."""
    out = []
    n = 0
    for wd in p.weekdays:
        base = wd * DAY_MIN
        for call in p.calls:
            n += 1
            if call.fixed:
                early, late, tol = call.preferred, call.preferred, 0
            elif call.label == "night":
                early, late, tol = call.preferred - 30, call.preferred + 30, 30
            else:
                early, late, tol = max(6 * 60 + 30, call.preferred - 60), call.preferred + 60, 30
            out.append(
                Visit(
                    id=f"{pkg_id}-{n:02d}",
                    package_id=pkg_id,
                    client_id=client_id,
                    day=wd,
                    early=base + early,
                    late=base + late,
                    duration_min=call.duration,
                    target=base + call.preferred,
                    tolerance_min=tol,
                    carers_required=call.carers,
                    skills=call.skills,
                    label=call.label,
                )
            )
    return out


@pytest.mark.parametrize(("district", "seed"), [("Maldon", 3), ("Colchester", 11)])
def test_call_patterns_expand_to_the_visits_the_generator_made(district: str, seed: int) -> None:
    """Every drawn (and calibrated) pattern of a district, backlog included: its call patterns expand
    to exactly the visits the generator used to build directly (ids, windows, everything)."""
    g = geo.essex()
    chosen = {d.id for d in g.districts if d.name == district}
    gen = _Generator(g, np.random.default_rng(seed), chosen, 0.3, DEFAULT_START)
    demand = gen.demand()
    gen.add_backlog(demand, 40)
    kinds = set()
    for d in demand:
        pkg_id = "PK" + d.client.id[1:]
        patterns = call_patterns(d.pattern, pkg_id, d.client.id, DEFAULT_START)
        assert expand(patterns, DEFAULT_START, 7) == _visits_as_the_generator_made_them(pkg_id, d.client.id, d.pattern)
        kinds |= {("fixed" if c.fixed else c.label, len(d.pattern.weekdays) == 7) for c in d.pattern.calls}
    # the cases that differ were all drawn: fixed-time, night, part-week and daily calls
    assert {"fixed", "night", "morning"} <= {k for k, _ in kinds} and {True, False} <= {w for _, w in kinds}


def test_generated_scenario_keeps_its_patterns(maldon: pp.Scenario) -> None:
    """The scenario carries the call patterns its visits are the expansion of."""
    assert maldon.patterns and maldon.visits == tuple(expand(maldon.patterns, maldon.start, maldon.days))
