"""patchplan.essex.workforce: carers and shifts by the generator's rules, for a provider or a patch."""

from __future__ import annotations

import itertools

import numpy as np

from patchplan.core.model import DAY_MIN, Branch, Location
from patchplan.essex.drafts import ProviderDraft
from patchplan.essex.workforce import (
    DAY_SHIFTS,
    HOURS_CLASSES,
    MAX_HOURS_WEEK,
    SLOTS,
    WEEKEND,
    Workforce,
    _gap_lines,
    _slot_minutes,
    add_call,
    sized_need,
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
    carers, shifts = _county_rota(1)
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
        assert sum(s.end - s.start for s in mine) <= MAX_HOURS_WEEK * 60, cid


def _county_need() -> np.ndarray:
    """Enough demand in every part of the day, every day, for the mix to show."""
    peak = np.zeros((7, SLOTS))
    for day in range(7):
        for start, length, carers in ((7 * 60, 180, 40), (12 * 60, 90, 30), (16 * 60, 120, 20), (19 * 60, 150, 35)):
            add_call(peak, day, start, length, carers)
    return peak


def _county_rota(seed: int = 7):
    """A large draw (:func:`_county_need`)."""
    return task_workforce(np.random.default_rng(seed), "P1", BRANCH, _county_need(), 0.0, id_prefix="t")


def _county_workforce(seed: int = 7) -> tuple[Workforce, list, list]:
    """The same draw, keeping the :class:`Workforce` (its runs and hours classes)."""
    wf = Workforce(geo.essex(), np.random.default_rng(seed))
    carers, shifts = wf.staff(ProviderDraft("P1", "", 1, 25.0, [BRANCH.district_id]), BRANCH, _county_need(), 0.0)
    return wf, carers, shifts


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


def test_the_hours_classes_hold_the_published_shares() -> None:
    """Whatever runs the demand keeps, the day carers' hours classes land within two points of
    Skills for Care's 47/38/15, over one provider and over two hired one after the other (the
    shares steer across a workforce), and zero-hours contracts near the published 43%."""
    wf, carers, _ = _county_workforce()
    mixes = [wf.mix()]
    wf.staff(ProviderDraft("P2", "", 1, 25.0, [BRANCH.district_id]), BRANCH, _peak(15.0), 0.0)
    mixes.append(wf.mix())
    assert sum(mixes[1][c] for c in HOURS_CLASSES) == sum(len(ids) for _, ids in wf.runs)
    for counts in mixes:
        total = sum(counts[c] for c in HOURS_CLASSES)
        for cls, (share, _, _) in HOURS_CLASSES.items():
            assert abs(counts[cls] / total - share) <= 0.02, (cls, counts)
    zero = sum(c.contracted_hours_week == 0 for c in carers) / len(carers)
    assert abs(zero - 0.43) <= 0.06


def test_every_main_lines_days_off_are_covered_by_its_partner() -> None:
    """A run of two carers works one day shift; the partner works exactly the main carer's days off
    (together all seven days, no day twice) and lives in the main carer's area. A full-timer works
    five days (Monday to Friday, or their weekend on with three weekdays), their partner is on part
    time or no set hours; most day carers are in such a run."""
    wf, carers, shifts = _county_workforce()
    lines = _lines(carers, shifts)
    paired = 0
    for run, ids in wf.runs:
        worked = [{s.day for s in lines[cid]} for cid in ids]
        assert [set(line.days) for line in run.lines] == worked
        for cid, line in zip(ids, run.lines, strict=True):
            first = min(s.day for s in lines[cid])
            today = tuple(
                sorted((s.start - first * DAY_MIN, s.end - first * DAY_MIN) for s in lines[cid] if s.day == first)
            )
            assert today == DAY_SHIFTS[line.shift] == DAY_SHIFTS[run.shift]
        if len(ids) == 1:
            continue
        paired += 2
        main, partner = worked
        assert main.isdisjoint(partner) and main | partner == set(range(7)), (run, worked)
        assert wf._area_of[ids[0]] == wf._area_of[ids[1]]
        if run.lines[0].hours_class == "full_time":
            assert len(main) == 5 and (main == {0, 1, 2, 3, 4} or set(WEEKEND) <= main)
            assert run.lines[1].hours_class in ("part_time", "no_set_hours")
    assert paired / len(carers) > 0.6
    assert paired == wf.mix()["partnered"]


def _fits(shift: str, calls: list[tuple[int, int]]) -> bool:
    """Can one carer on ``shift`` do these calls (preferred start, minutes) in order, each starting
    within an hour of its time, inside the shift's parts (travel ignored)?"""
    at = 0
    for preferred, minutes in calls:
        starts = [
            max(preferred - 60, a, at)
            for a, b in DAY_SHIFTS[shift]
            if max(preferred - 60, a, at) <= min(preferred + 60, b - minutes)
        ]
        if not starts:
            return False
        at = min(starts) + minutes
    return True


def test_a_long_split_run_takes_a_clients_whole_day() -> None:
    """Morning, lunch, tea and bed calls fit one long-split carer's day, so the run's two carers
    can see a four-call client all week; a split shift cannot do the lunch, and the late long split
    takes the 21:30 bed call the early one cannot. Hand-checkable: 08:00 45 min, 12:30, 17:30 and
    20:30 or 21:30, 30 min each."""
    day = [(8 * 60, 45), (12 * 60 + 30, 30), (17 * 60 + 30, 30), (20 * 60 + 30, 30)]
    late = day[:3] + [(21 * 60 + 30, 30)]
    assert _fits("long_split", day) and _fits("long_split_late", day)
    assert not _fits("split", day)
    assert _fits("long_split_late", late) and not _fits("long_split", late)
    assert _fits("split", [day[0], day[3]])


def test_gap_lines_stay_within_48_hours() -> None:
    """A bank carer made for a gap works at most six days and at most 48 hours."""
    gap = np.ones((7, SLOTS))
    for line in _gap_lines(gap):
        assert len(line.days) <= 6 and line.hours_week <= MAX_HOURS_WEEK, line


def _capacity(shifts) -> np.ndarray:
    """Care hours the shifts deliver by weekday x half hour (60% of shift time)."""
    out = np.zeros((7, SLOTS))
    for s in shifts:
        a, b = s.start - s.day * DAY_MIN, s.end - s.day * DAY_MIN
        out[s.day % 7] += _slot_minutes(a, b) / 60 * 0.6
    return out


def test_every_day_and_half_hour_is_covered() -> None:
    """What the rota can deliver (60% of shift time) covers the demand of every day and half hour
    between 07:00 and 22:30, weekends included, once each call's need is shared over the half hours
    it can be booked in (sized_need); so a lunch call at 12:30 is met by carers on shift around
    12:30, not by morning runs."""
    wf = Workforce(geo.essex(), np.random.default_rng(9))
    draft = ProviderDraft("P1", "", 1, 25.0, [BRANCH.district_id])
    need = np.zeros((7, SLOTS))
    for day in range(7):
        add_call(need, day, 7 * 60, 120, 12)
        add_call(need, day, 12 * 60 + 30, 30, 6)
        add_call(need, day, 21 * 60, 60, 4)
    _, shifts = wf.staff(draft, BRANCH, need, 0.0)
    want = sized_need(need)
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
    want = sized_need(need)
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
