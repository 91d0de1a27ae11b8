"""patchplan.essex.workforce: carers and shifts by the generator's rules, for a provider or a patch."""

from __future__ import annotations

import numpy as np

from patchplan.core.model import BAND_NAMES, DAY_MIN, Branch, Location
from patchplan.essex.drafts import ProviderDraft
from patchplan.essex.workforce import SHIFT_TYPES, Workforce, task_workforce
from patchplan.geo import geography as geo

#: Colchester town centre (urban) as a branch.
BRANCH = Branch(id="B1", provider_id="P1", name="P1", location=Location(51.889, 0.901, True), district_id="E07000071")


def _peak(hours: float) -> np.ndarray:
    """``hours`` of care in the morning band every day."""
    peak = np.zeros((7, len(BAND_NAMES)))
    peak[:, BAND_NAMES.index("morning")] = hours
    return peak


def test_more_peak_demand_needs_more_carers() -> None:
    """Day carers grow with the busiest band; never fewer than two."""
    small = task_workforce(np.random.default_rng(0), "P1", BRANCH, _peak(1.0), 0.0, id_prefix="t")[0]
    big = task_workforce(np.random.default_rng(0), "P1", BRANCH, _peak(60.0), 0.0, id_prefix="t")[0]
    assert len(small) == 2 < len(big)


def test_shifts_five_days_in_seven_on_known_shift_types() -> None:
    """Every day carer works five days, each shift one of the day shift types."""
    carers, shifts = task_workforce(np.random.default_rng(1), "P1", BRANCH, _peak(20.0), 0.0, id_prefix="t")
    starts_ends = {(t[1], t[2]) for t in SHIFT_TYPES}
    for c in carers:
        mine = [s for s in shifts if s.carer_id == c.id]
        assert len(mine) == 5
        assert all((s.start - s.day * DAY_MIN, s.end - s.day * DAY_MIN) in starts_ends for s in mine)


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
    """What the shifts can deliver (60% of paid time) is added to the draft's band capacity."""
    wf = Workforce(geo.essex(), np.random.default_rng(4))
    draft = ProviderDraft("P1", "", 1, 25.0, [BRANCH.district_id])
    carers, shifts = wf.staff(draft, BRANCH, _peak(10.0), 0.0)
    paid_h = sum(min(s.end - s.start, s.max_work_min or 10**9) for s in shifts) / 60
    assert abs(sum(draft.capacity.values()) - 0.6 * paid_h) < 1e-6
    assert carers[0].id == "K00001"


def test_same_seed_same_workforce() -> None:
    """The workforce is a function of the seed."""
    a = task_workforce(np.random.default_rng(5), "P1", BRANCH, _peak(8.0), 1.0, id_prefix="t")
    b = task_workforce(np.random.default_rng(5), "P1", BRANCH, _peak(8.0), 1.0, id_prefix="t")
    assert a == b
