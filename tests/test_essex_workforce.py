"""patchplan.essex.workforce: carers and shifts by the generator's rules, for a provider or a patch."""

from __future__ import annotations

import itertools

import numpy as np

from patchplan.core.model import DAY_MIN, Branch, Location
from patchplan.essex.drafts import ProviderDraft
from patchplan.essex.workforce import (
    COVERABLE,
    DAY_SHIFTS,
    HOURS_CLASSES,
    SLOTS,
    WEEKEND,
    Workforce,
    _slot_minutes,
    _spread,
    add_call,
    task_workforce,
)
from patchplan.geo import geography as geo

#: Colchester town centre (urban) as a branch.
BRANCH = Branch(id="B1", provider_id="P1", name="P1", location=Location(51.889, 0.901, True), district_id="E07000071")


def _peak(hours: float) -> np.ndarray:
    """``hours`` of care every day, spread over the morning 07:00-10:30."""
    peak = np.zeros((7, SLOTS))
    for day in range(7):
        add_call(peak, day, 7 * 60, 210, hours)
    return peak


def test_more_peak_demand_needs_more_carers() -> None:
    """Day carers grow with the busiest band; never fewer than two (an hour a day, weekends too, takes
    a few: nobody works seven days)."""
    small = task_workforce(np.random.default_rng(0), "P1", BRANCH, _peak(1.0), 0.0, id_prefix="t")[0]
    big = task_workforce(np.random.default_rng(0), "P1", BRANCH, _peak(60.0), 0.0, id_prefix="t")[0]
    assert 2 <= len(small) <= 10 < len(big)


def _lines(carers, shifts) -> dict[str, list]:
    mine: dict[str, list] = {c.id: [] for c in carers}
    for s in shifts:
        mine[s.carer_id].append(s)
    return mine


def test_rota_lines_are_known_day_shifts_on_whole_days() -> None:
    """Every day carer works the same day shift (one of DAY_SHIFTS, a split shift being two) on each
    of their working days, on two to seven days; no two of a carer's shifts overlap and between two
    working days there are at least 11 hours (reg. 10)."""
    carers, shifts = task_workforce(np.random.default_rng(1), "P1", BRANCH, _peak(20.0), 0.0, id_prefix="t")
    patterns = set(DAY_SHIFTS.values())
    for cid, mine in _lines(carers, shifts).items():
        days = sorted({s.day for s in mine})
        assert 2 <= len(days) <= 7, cid
        for d in days:
            today = tuple(sorted((s.start - d * DAY_MIN, s.end - d * DAY_MIN) for s in mine if s.day == d))
            assert today in patterns, (cid, today)
        mine.sort(key=lambda s: s.start)
        for a, b in itertools.pairwise(mine):
            assert b.start >= a.end
            if b.day > a.day:
                assert b.start - a.end >= 11 * 60


def _county_rota(seed: int = 7):
    """A large draw: enough demand in every part of the day for the mix to show."""
    peak = np.zeros((7, SLOTS))
    for day in range(7):
        for start, length, carers in ((7 * 60, 180, 40), (12 * 60, 90, 30), (16 * 60, 120, 20), (19 * 60, 150, 35)):
            add_call(peak, day, start, length, carers)
    return task_workforce(np.random.default_rng(seed), "P1", BRANCH, peak, 0.0, id_prefix="t")


def test_the_mix_follows_the_published_shares() -> None:
    """Split shifts, part-timers, alternate weekends and zero-hours contracts are all there, near
    the published shares (Skills for Care: 47/38/15 full/part/no set hours, 43% zero-hours)."""
    carers, shifts = _county_rota()
    lines = _lines(carers, shifts)
    split = sum(1 for mine in lines.values() if len({s.day for s in mine}) < len(mine))
    assert 0.15 < split / len(carers) < 0.75
    zero = sum(c.contracted_hours_week == 0 for c in carers) / len(carers)
    assert 0.3 < zero < 0.6
    weekend = [cid for cid, mine in lines.items() if {s.day for s in mine} & set(WEEKEND)]
    weekday_only = [cid for cid, mine in lines.items() if not {s.day for s in mine} & set(WEEKEND)]
    assert weekend and weekday_only
    days = [len({s.day for s in mine}) for mine in lines.values()]
    assert min(days) <= 3 and max(days) >= 5
    assert set(HOURS_CLASSES) == {"full_time", "part_time", "no_set_hours"}


def _capacity(shifts) -> np.ndarray:
    """Care hours the shifts deliver by weekday x half hour (60% of shift time)."""
    out = np.zeros((7, SLOTS))
    for s in shifts:
        a, b = s.start - s.day * DAY_MIN, s.end - s.day * DAY_MIN
        out[s.day % 7] += _slot_minutes(a, b) / 60 * 0.6
    return out


def test_every_day_and_half_hour_is_covered() -> None:
    """What the rota can deliver (60% of shift time) covers the demand of every day and half hour
    between 07:00 and 22:00, weekends included, once each call may move an hour either way (its
    window); so a lunch call at 12:30 is met by carers on shift around 12:30, not by morning runs."""
    wf = Workforce(geo.essex(), np.random.default_rng(9))
    draft = ProviderDraft("P1", "", 1, 25.0, [BRANCH.district_id])
    need = np.zeros((7, SLOTS))
    for day in range(7):
        add_call(need, day, 7 * 60, 120, 12)
        add_call(need, day, 12 * 60 + 30, 30, 6)
        add_call(need, day, 21 * 60, 60, 4)
    _, shifts = wf.staff(draft, BRANCH, need, 0.0)
    want = _spread(need) * COVERABLE
    assert (_capacity(shifts) >= want - 1e-9).all()
    lunch = slice(12 * 2, 14 * 2)
    assert (_capacity([s for s in shifts if s.end - s.day * DAY_MIN <= 11 * 60])[:, lunch] == 0).all()


def test_guaranteed_hours_never_exceed_the_rota() -> None:
    """A carer's contracted hours are at most what their rota line gives them to work."""
    carers, shifts = _county_rota(11)
    for cid, mine in _lines(carers, shifts).items():
        c = next(x for x in carers if x.id == cid)
        assert c.contracted_hours_week <= sum(s.end - s.start for s in mine) / 60


def test_night_carers_cover_the_busiest_night_with_cover() -> None:
    """Three night visits at once: ceil(3 x 7/5 x 1.1) = 5 night carers on 21:00-09:00 shifts."""
    carers, shifts = task_workforce(np.random.default_rng(2), "P1", BRANCH, _peak(0.0), 3.0, id_prefix="t")
    assert len(carers) == 5
    assert all(s.end - s.start == 12 * 60 for s in shifts)


def test_task_ids_and_local_homes() -> None:
    """Task carers are named after the task; with home areas given they live there."""
    g = geo.essex()
    patch = [a.id for a in g.areas if a.district_id == "E07000071"][:3]
    carers, _ = task_workforce(
        np.random.default_rng(3), "P1", BRANCH, _peak(5.0), 0.0, id_prefix="P1@x", home_area_ids=patch
    )
    assert [c.id for c in carers[:2]] == ["P1@x-K0001", "P1@x-K0002"]
    homes = {(a.centroid.lat, a.centroid.lon) for a in g.areas if a.id in patch}
    postcodes = set()
    for a in patch:
        pcs = g.postcodes_in(a)
        postcodes |= {(float(r.lat), float(r.lon)) for r in pcs.itertuples()}
    assert all((c.home.lat, c.home.lon) in homes | postcodes for c in carers)


def test_shifts_add_to_the_providers_capacity() -> None:
    """The draft's band capacity is what the rota delivers in the half hours where there is demand
    of the kind it was sized for: at least all of that demand, less than all of the shift time."""
    wf = Workforce(geo.essex(), np.random.default_rng(4))
    draft = ProviderDraft("P1", "", 1, 25.0, [BRANCH.district_id])
    need = _peak(10.0)
    carers, shifts = wf.staff(draft, BRANCH, need, 0.0)
    want = _spread(need) * COVERABLE
    usable = np.where(want > 0, _capacity(shifts), 0.0)
    assert abs(sum(draft.capacity.values()) - usable.sum()) < 1e-6
    assert usable.sum() >= want.sum() - 1e-6
    assert sum(draft.capacity.values()) < 0.6 * sum(s.end - s.start for s in shifts) / 60
    assert carers[0].id == "K00001"


def test_same_seed_same_workforce() -> None:
    """The workforce is a function of the seed."""
    a = task_workforce(np.random.default_rng(5), "P1", BRANCH, _peak(8.0), 1.0, id_prefix="t")
    b = task_workforce(np.random.default_rng(5), "P1", BRANCH, _peak(8.0), 1.0, id_prefix="t")
    assert a == b
