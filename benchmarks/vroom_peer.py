"""VROOM as a peer planner for one Essex provider-day (issue 12, part 4).

:func:`vroom_roster` plans one provider-day of a patchplan scenario with VROOM
(``pyvroom``, the ``bench`` extra) and converts the answer into a
:class:`~patchplan.core.model.Roster`, so that the same independent checker
(:func:`patchplan.check.checker.check_and_score`) scores VROOM, patchplan and
the status quo side by side. Nothing here is shared with patchplan's own
model building except the scenario's travel model.

What VROOM is given
-------------------
- **Vehicles**: one per carer shift that day; start and end at the carer's
  home; time window = the shift (VROOM: leave home no earlier than its start,
  back home no later than its end); one VROOM profile per travel mode, with
  the scenario's own (minutes, metres) matrices.
- **Jobs**: one per single-carer visit: time window ``[early, late]`` for the
  start (or, with ``windows="on_time"``, preferred time +- tolerance inside
  it: VROOM has no soft windows), service = ``duration_min``. VROOM starts a job at arrival or at the
  window's opening, whichever is later, as the checker assumes.
- **Skills** (VROOM skills are integers; a job needs all of its skills on the
  vehicle): one integer per care skill; one per carer gender, required by the
  jobs of a client with a gender preference; and, for every client with
  prohibited carers, one "may visit client X" skill held by every vehicle
  except the prohibited carers', required by that client's jobs.
- **WTR breaks**: a shift longer than 6 hours (not a night shift past
  midnight, which the checker exempts) gets 20-minute VROOM breaks whose
  windows guarantee that no stretch of work is over 6 hours, whatever the
  route (see :func:`break_windows`). VROOM takes a break after driving to the
  next place; a break after the last visit is rest at home, outside the
  round, and one before the first visit is moved home too (the carer leaves
  later) when the round is then 6 hours or less. VROOM breaks are mandatory
  on every vehicle it uses, so a round of 6 hours or less, which needs none,
  still has its rest inside the window (free when it falls before or after
  the round, a 20-minute gap otherwise): a small handicap for VROOM.
- **Working limit** (``Shift.max_work_min`` shorter than the shift, e.g. a
  07:00-22:00 split shift with 8 hours of work): VROOM 1.15 has no limit on
  a route's duration, only ``max_travel_time`` (travel alone) and
  ``max_distance``, which are not the rule. The peer therefore solves twice:
  a first pass with the whole shift, then each such shift's time window is
  narrowed to a window of the limit's length placed where the first pass put
  most of that carer's care (or the shift's start, when the first pass did not
  use the carer), and VROOM solves again from scratch. The narrowed window
  keeps the checker's ``shift_work`` rule, at the cost of choosing the window
  before the second search instead of inside it.

Search
------
VROOM's objective: serve the most jobs, then least cost (travel minutes; the
durations matrix is in minutes, so VROOM's "seconds" are our minutes). One
thread by default. The time limit covers everything; inside it, exploration
levels 1, 2, ... run in turn, each from scratch, keeping the best answer
(see :data:`LEVELS` for why not one run at level 5). A run that ends before
its timeout is deterministic; one cut by the timeout depends on the
machine's speed and load (pyvroom has no seed or iteration limit).

What VROOM is not given (left to patchplan)
-------------------------------------------
- **Double-ups** (two carers at the same minute): VROOM has no synchronised
  tasks. They are reported unassigned (``not_routed``) with a reason saying
  so, and counted in the returned dict.
- **Visit links** (min/max gap between two calls by different carers): no
  such constraint in VROOM; both visits of a link are reported unassigned the
  same way (none on the Essex provider-days we ran).
- **Preferred time +- tolerance, continuity, preferred carers, balance**:
  VROOM minimises travel time (its ``cost``) after the number of jobs served;
  the checker still scores on-time share and continuity.
- **Weekly hours**: one day is planned alone; hours on other days are not
  counted (the checker judges the week only over the rounds it is given).

Usage::

    python benchmarks/vroom_peer.py                         # Maldon, seed 1, day 0, 10 s
    python benchmarks/vroom_peer.py --district Colchester --time-limit 30
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from typing import Any

import numpy as np
import vroom

from patchplan.check.checker import WTR_BREAK_MIN, WTR_WORK_MIN, check_and_score
from patchplan.core.model import (
    DAY_MIN,
    MODES,
    Carer,
    Location,
    Reason,
    Roster,
    Round,
    Scenario,
    Shift,
    Stop,
    Unassigned,
    Visit,
)
from patchplan.geo.travel import default_travel

#: VROOM exploration levels (1-5; 5 is its command line's default), tried in
#: turn while time is left, keeping the best answer. One run at a high level
#: with a short timeout is worse than a lower level run to the end: VROOM
#: splits its timeout between the level's many searches and cannot stop its
#: construction heuristics (measured, one thread, Colchester P010 day 1, 452
#: jobs: level 5 with 2 s took 3.4 s for cost 3628, level 1 with 2 s took
#: 2.1 s for 3111; Maldon P003 day 0, 261 jobs: level 1 finishes in 2.9 s at
#: 1866, level 2 in 4.4 s at 1788, level 5 cut at 10 s 1836).
LEVELS = (1, 2, 3, 4, 5)
#: Share of the time limit the first pass gets when working limits need a second.
FIRST_PASS_SHARE = 0.4


def vroom_roster(
    s: Scenario, provider: str, day: int, time_limit_s: float, threads: int = 1, *, windows: str = "full"
) -> tuple[Roster, dict]:
    """Plan one provider-day with VROOM, as a patchplan roster.

    Parameters
    ----------
    s
        The scenario.
    provider
        Provider id; its carers' shifts that day are the vehicles, its placed
        visits that day the jobs (single-carer ones only).
    day
        Day index (0 = the scenario's start).
    time_limit_s
        VROOM's timeout, shared between its passes (see the module docstring).
    threads
        VROOM's ``nb_threads``.
    windows
        ``"full"``: a job's window is the visit's ``[early, late]``;
        ``"on_time"``: its preferred time +- tolerance inside that (the hard
        window patchplan plans to first), for a comparison on punctuality.

    Returns
    -------
    tuple[Roster, dict]
        The roster (every visit of the provider that day is in a round or in
        ``unassigned`` with a reason) and a summary: ``jobs`` (visits given to
        VROOM), ``double_ups_excluded``, ``links_excluded``, ``unassigned``
        (jobs VROOM left out), ``unassigned_total`` (including the excluded
        visits), ``wall_s``, ``vroom_cost`` (VROOM's summary cost: travel
        minutes), ``vroom_duration``, ``vroom_waiting``, ``exploration_level``
        (of the answer kept), ``vroom_runs`` (every VROOM run: level,
        timeout, seconds taken, jobs left out, cost), ``passes``,
        ``narrowed_shifts`` (shifts with a working limit), ``vehicles``,
        ``breaks`` (VROOM breaks in the final pass).

    Raises
    ------
    ValueError
        On an unknown provider, a day outside the scenario, a time limit <= 0
        or an unknown ``windows``.
    """
    started = time.perf_counter()
    if not s.has("provider", provider):
        raise ValueError(f"unknown provider {provider!r}")
    if not 0 <= day < s.days:
        raise ValueError(f"day {day} is outside the scenario's {s.days} days")
    if time_limit_s <= 0:
        raise ValueError(f"time_limit_s={time_limit_s} must be > 0")
    if windows not in ("full", "on_time"):
        raise ValueError(f"windows={windows!r} must be 'full' or 'on_time'")
    day_ = _Day(s, provider, day, on_time=windows == "on_time")
    windows = [(sh.start, sh.end) for _, sh in day_.shifts]
    limited = [k for k, (_, sh) in enumerate(day_.shifts) if sh.work_limit < sh.length]
    passes = 1
    if limited:
        first = day_.solve(windows, time_limit_s * FIRST_PASS_SHARE, threads, LEVELS[0])
        windows = day_.narrowed(windows, limited, first)
        passes = 2
    answer = day_.escalate(windows, started + time_limit_s, threads)
    rounds, left_out = day_.rounds(answer)
    unassigned = day_.excluded + [day_.why_unassigned(v, windows) for v in left_out]
    roster = Roster(
        rounds=tuple(rounds),
        unassigned=tuple(unassigned),
        provider_id=provider,
        meta=(
            ("days", str(day)),
            ("solver", f"vroom (pyvroom {version('pyvroom')})"),
            ("exploration_level", str(answer["level"])),
            ("threads", str(threads)),
            ("time_limit_s", str(time_limit_s)),
            ("passes", str(passes)),
            ("windows", windows),
        ),
    )
    summary = answer["summary"]
    info = {
        "jobs": len(day_.jobs),
        "double_ups_excluded": day_.double_ups,
        "links_excluded": day_.linked,
        "unassigned": len(left_out),
        "unassigned_total": len(unassigned),
        "wall_s": round(time.perf_counter() - started, 3),
        "exploration_level": answer["level"],
        "vroom_runs": day_.runs,
        "vroom_cost": summary["cost"],
        "vroom_duration": summary["duration"],
        "vroom_waiting": summary["waiting_time"],
        "passes": passes,
        "narrowed_shifts": len(limited),
        "vehicles": len(day_.shifts),
        "breaks": sum(len(break_windows(a, b, day_.night[k])) for k, (a, b) in enumerate(windows)),
    }
    return roster, info


def break_windows(start: int, end: int, night: bool = False) -> list[tuple[int, int]]:
    """Windows for the starts of the 20-minute breaks of a vehicle available
    over [start, end], such that any route inside it has no stretch of work
    over 6 hours between breaks (the checker's WTR rule).

    With n breaks starting at b_1 <= ... <= b_n, the stretches are b_1 - leave,
    b_{i+1} - (b_i + 20) and back - (b_n + 20); leave >= start and back <= end,
    so it suffices that b_1 <= start + 360, b_{i+1} - b_i <= 380 and
    b_n >= end - 380. n = ceil((L - 360) / 380) breaks for a window of length
    L leave a slack of 380 (n + 1) - 20 - L minutes, shared equally between
    the n windows: window i is [hi_i - w, hi_i] with hi_1 = start + 360 and
    hi_{i+1} = hi_i - w + 380, so the last opens exactly at end - 380 when
    the slack divides evenly (earlier otherwise: still safe). Night shifts
    (the checker exempts them) and windows up to 6 hours get none.
    """
    length = end - start
    if night or length <= WTR_WORK_MIN:
        return []
    step = WTR_WORK_MIN + WTR_BREAK_MIN
    n = math.ceil((length - WTR_WORK_MIN) / step)
    width = (step * (n + 1) - WTR_BREAK_MIN - length) // n
    out, hi = [], start + WTR_WORK_MIN
    for _ in range(n):
        out.append((max(start, hi - width), hi))
        hi = hi - width + step
    return out


@dataclass(frozen=True, slots=True)
class _Step:
    kind: str
    ident: int
    arrival: int
    start: int
    end: int


class _Day:
    """One provider-day as VROOM input: vehicles, jobs, skills, matrices,
    and the conversion of VROOM's answer back to rounds."""

    def __init__(self, s: Scenario, provider: str, day: int, *, on_time: bool = False) -> None:
        self.s, self.provider, self.day = s, provider, day
        self.carers = s.carers_of(provider)
        self.shifts: list[tuple[Carer, Shift]] = [
            (c, sh) for c in self.carers for sh in s.shifts_of(c.id) if sh.day == day
        ]
        self.night = [sh.end > (sh.day + 1) * DAY_MIN for _, sh in self.shifts]
        visits = sorted(s.visits_of_provider(provider, [day]), key=lambda v: v.id)
        linked = {end for link in s.links for end in (link.first, link.second)}
        self.excluded: list[Unassigned] = []
        self.jobs: list[Visit] = []
        self.double_ups = self.linked = 0
        for v in visits:
            if v.carers_required > 1:
                self.double_ups += 1
                self.excluded.append(
                    Unassigned(
                        visit_id=v.id,
                        reason=Reason.NOT_ROUTED,
                        detail="double-up (two carers at once): outside the VROOM peer's model, not planned",
                    )
                )
            elif v.id in linked:
                self.linked += 1
                self.excluded.append(
                    Unassigned(
                        visit_id=v.id,
                        reason=Reason.NOT_ROUTED,
                        detail="linked visit (gap to another call): VROOM has no such constraint, not planned",
                    )
                )
            else:
                self.jobs.append(v)
        #: Every VROOM run: level, timeout given, seconds taken, left out, cost.
        self.runs: list[dict[str, Any]] = []
        self.window = [_on_time(v) if on_time else (v.early, v.late) for v in self.jobs]
        self._points()
        self._skills()

    # -- input -------------------------------------------------------------------
    def _points(self) -> None:
        """Carers' homes then clients' homes, deduplicated as the engine does,
        and one (minutes, metres) matrix pair per travel mode in use."""
        points: list[Location] = []
        index: dict[tuple[float, float, bool], int] = {}

        def point(loc: Location) -> int:
            key = (loc.lat, loc.lon, loc.urban)
            if key not in index:
                index[key] = len(points)
                points.append(loc)
            return index[key]

        self.home = [point(c.home) for c, _ in self.shifts]
        self.at = [point(self.s.client(v.client_id).location) for v in self.jobs]
        travel = default_travel(dict(self.s.settings))
        self.modes = sorted({c.mode for c, _ in self.shifts}, key=MODES.index)
        self.minutes: dict[str, np.ndarray] = {}
        self.metres: dict[str, np.ndarray] = {}
        for mode in self.modes:
            t, d = travel.matrices(points, mode)
            self.minutes[mode], self.metres[mode] = np.asarray(t, dtype=np.int64), np.asarray(d, dtype=np.int64)

    def _skills(self) -> None:
        """VROOM skill integers: care skills, carer gender, and one "may visit
        client X" skill per client with prohibited carers."""
        codes: dict[str, int] = {}

        def code(name: str) -> int:
            return codes.setdefault(name, len(codes) + 1)

        barred = {}
        for v in self.jobs:
            client = self.s.client(v.client_id)
            if client.prohibited_carers:
                barred[client.id] = client.prohibited_carers
        self.vehicle_skills: list[set[int]] = []
        for c, _ in self.shifts:
            have = {code(f"skill:{k}") for k in c.skills} | {code(f"gender:{c.gender}")}
            have |= {code(f"client:{cid}") for cid, no in sorted(barred.items()) if c.id not in no}
            self.vehicle_skills.append(have)
        self.job_skills: list[set[int]] = []
        for v in self.jobs:
            client = self.s.client(v.client_id)
            need = {code(f"skill:{k}") for k in v.skills}
            if client.gender_preference:
                need.add(code(f"gender:{client.gender_preference}"))
            if client.id in barred:
                need.add(code(f"client:{client.id}"))
            self.job_skills.append(need)

    def problem(self, windows: Sequence[tuple[int, int]]) -> vroom.Input:
        """The VROOM input with these vehicle time windows (one per shift)."""
        inp = vroom.Input()
        for mode in self.modes:
            inp.set_durations_matrix(mode, self.minutes[mode].astype(np.uint32))
            inp.set_distances_matrix(mode, self.metres[mode].astype(np.uint32))
        for k, (c, _) in enumerate(self.shifts):
            a, b = windows[k]
            breaks = [
                vroom.Break(i + 1, time_windows=[w], service=WTR_BREAK_MIN)
                for i, w in enumerate(break_windows(a, b, self.night[k]))
            ]
            inp.add_vehicle(
                vroom.Vehicle(
                    k + 1,
                    start=self.home[k],
                    end=self.home[k],
                    profile=c.mode,
                    skills=self.vehicle_skills[k],
                    time_window=(a, b),
                    breaks=breaks,
                )
            )
        for j, v in enumerate(self.jobs):
            inp.add_job(
                vroom.Job(
                    j + 1,
                    location=self.at[j],
                    default_service=v.duration_min,
                    skills=self.job_skills[j],
                    time_windows=[self.window[j]],
                )
            )
        return inp

    def solve(
        self, windows: Sequence[tuple[int, int]], time_limit_s: float, threads: int, level: int
    ) -> dict[str, Any]:
        """VROOM's answer as its JSON dict (``summary``, ``routes``,
        ``unassigned``) plus the ``level`` it ran at."""
        if not self.jobs or not self.shifts:
            empty = {"cost": 0, "duration": 0, "waiting_time": 0}
            unassigned = [{"id": j + 1} for j in range(len(self.jobs))]
            return {"summary": empty, "routes": [], "unassigned": unassigned, "level": level}
        inp = self.problem(windows)
        t0 = time.perf_counter()
        solution = inp.solve(exploration_level=level, nb_threads=threads, timeout=timedelta(seconds=time_limit_s))
        answer = {**solution.to_dict(), "level": level}
        self.runs.append(
            {
                "level": level,
                "timeout_s": round(time_limit_s, 2),
                "took_s": round(time.perf_counter() - t0, 2),
                "unassigned": len(answer["unassigned"]),
                "cost": answer["summary"]["cost"],
            }
        )
        return answer

    def escalate(self, windows: Sequence[tuple[int, int]], deadline: float, threads: int) -> dict[str, Any]:
        """VROOM at :data:`LEVELS` in turn until the deadline, the best answer
        (fewest jobs left out, then least cost). A level starts only if the
        time left is at least what the previous level took and that one
        finished before its timeout: a higher level searches more, so it
        would only be cut short, and VROOM runs past short timeouts."""
        best: dict[str, Any] | None = None
        for level in LEVELS:
            left = deadline - time.perf_counter()
            if best is not None:
                last = self.runs[-1]
                if last["took_s"] >= last["timeout_s"] or left < last["took_s"]:
                    break
            answer = self.solve(windows, max(0.1, left), threads, level)
            if best is None or _rank(answer) < _rank(best):
                best = answer
        assert best is not None
        return best

    # -- working limits ----------------------------------------------------------------
    def narrowed(
        self, windows: list[tuple[int, int]], limited: Sequence[int], answer: dict[str, Any]
    ) -> list[tuple[int, int]]:
        """Each working-limited shift's window cut to the limit's length,
        placed to keep the most care minutes of its first-pass route (each
        visit counted when it fits the window as a trip from home and back)."""
        out = list(windows)
        steps = {route["vehicle"] - 1: _steps(route) for route in answer["routes"]}
        for k in limited:
            c, sh = self.shifts[k]
            limit = sh.work_limit
            t = self.minutes[c.mode]
            spans = []
            for st in steps.get(k, []):
                if st.kind == "job":
                    j = st.ident - 1
                    spans.append(
                        (st.start - int(t[self.home[k], self.at[j]]), st.end + int(t[self.at[j], self.home[k]]))
                    )
            lo_max = sh.end - limit
            candidates = sorted(
                {sh.start}
                | {min(max(a, sh.start), lo_max) for a, _ in spans}
                | {min(max(b - limit, sh.start), lo_max) for _, b in spans}
            )
            best = max(candidates, key=lambda x: (_kept(spans, x, limit), -x))
            out[k] = (best, best + limit)
        return out

    # -- output --------------------------------------------------------------------------
    def rounds(self, answer: dict[str, Any]) -> tuple[list[Round], list[Visit]]:
        """Rounds of VROOM's routes, and the jobs it left unassigned."""
        out = []
        for route in answer["routes"]:
            k = route["vehicle"] - 1
            rnd = self._round(k, _steps(route))
            if rnd is not None:
                out.append(rnd)
        left = [self.jobs[u["id"] - 1] for u in answer["unassigned"]]
        return out, sorted(left, key=lambda v: v.id)

    def _round(self, k: int, steps: list[_Step]) -> Round | None:
        """One route as a round: a break before the first visit or after the
        last is rest at home, outside the round."""
        c, _ = self.shifts[k]
        t, d = self.minutes[c.mode], self.metres[c.mode]
        jobs = [i for i, st in enumerate(steps) if st.kind == "job"]
        if not jobs:
            return None
        first, last = jobs[0], jobs[-1]
        prev, stops = self.home[k], []
        for st in steps[first : last + 1]:
            if st.kind != "job":
                continue
            j = st.ident - 1
            v = self.jobs[j]
            stops.append(
                Stop(
                    visit_id=v.id,
                    arrival=st.arrival,
                    start=st.start,
                    end=st.start + v.duration_min,
                    travel_min=int(t[prev, self.at[j]]),
                    travel_m=int(d[prev, self.at[j]]),
                )
            )
            prev = self.at[j]
        # VROOM takes a break after travelling to the next place. One after the
        # last visit is taken at home: rest outside the round, which ends when
        # the carer gets home (the break window already bounded the stretch
        # before it). One before the first visit is taken at the client's door
        # after the drive there; leaving home later instead is the same plan
        # only when the round is then short enough to need no break at all.
        rest_after = any(st.kind == "break" for st in steps[last + 1 :])
        back = stops[-1].end + int(t[prev, self.home[k]]) if rest_after else steps[-1].arrival
        leave = steps[0].start
        if any(st.kind == "break" for st in steps[:first]):
            later = stops[0].start - stops[0].travel_min
            if back - later <= WTR_WORK_MIN:
                leave = later
        return Round(
            carer_id=c.id,
            day=self.day,
            stops=tuple(stops),
            leave=leave,
            back=back,
            return_min=int(t[prev, self.home[k]]),
            return_m=int(d[prev, self.home[k]]),
        )

    def why_unassigned(self, v: Visit, windows: Sequence[tuple[int, int]]) -> Unassigned:
        """The first rule that leaves no vehicle for a job VROOM left out
        (same order as the engine's reasons), else "carers fully booked"."""
        client = self.s.client(v.client_id)
        if v.skills and not any(v.skills <= c.skills for c in self.carers):
            return Unassigned(
                visit_id=v.id, reason=Reason.NO_SKILLED_CARER, detail="no carer of the provider has the skills"
            )
        ks = [k for k, (c, _) in enumerate(self.shifts) if v.skills <= c.skills]
        if not ks:
            return Unassigned(
                visit_id=v.id, reason=Reason.NO_CARER_ON_SHIFT, detail="no carer with the skills on shift"
            )
        if client.gender_preference:
            ks = [k for k in ks if self.shifts[k][0].gender == client.gender_preference]
            if not ks:
                return Unassigned(
                    visit_id=v.id,
                    reason=Reason.GENDER_PREFERENCE,
                    detail=f"no {client.gender_preference} carer on shift",
                )
        ks = [k for k in ks if self.shifts[k][0].id not in client.prohibited_carers]
        if not ks:
            return Unassigned(visit_id=v.id, reason=Reason.PROHIBITED, detail="every suitable carer is prohibited")
        j = self.jobs.index(v)
        for k in ks:
            c = self.shifts[k][0]
            t = self.minutes[c.mode]
            a, b = windows[k]
            early, late = self.window[j]
            start = max(early, a + int(t[self.home[k], self.at[j]]))
            if start <= late and start + v.duration_min + int(t[self.at[j], self.home[k]]) <= b:
                return Unassigned(
                    visit_id=v.id,
                    reason=Reason.NO_TIME_LEFT,
                    detail="VROOM left it out: every suitable carer is busy then",
                )
        return Unassigned(
            visit_id=v.id, reason=Reason.UNREACHABLE_IN_WINDOW, detail="no suitable shift reaches it inside its window"
        )


def _on_time(v: Visit) -> tuple[int, int]:
    """The visit's preferred time +- tolerance, inside its window."""
    if v.target is None:
        return (v.early, v.late)
    return (max(v.early, v.target - v.tolerance_min), min(v.late, v.target + v.tolerance_min))


def _rank(answer: dict[str, Any]) -> tuple[int, int]:
    return (len(answer["unassigned"]), answer["summary"]["cost"])


def _kept(spans: Sequence[tuple[int, int]], x: int, limit: int) -> int:
    """Minutes of the (from home, back home) spans inside [x, x + limit]."""
    return sum(b - a for a, b in spans if a >= x and b <= x + limit)


def _steps(route: dict[str, Any]) -> list[_Step]:
    """A VROOM route's steps with their service start and end: service starts
    after the waiting (and setup, none here)."""
    out = []
    for st in route["steps"]:
        start = st["arrival"] + st.get("waiting_time", 0) + st.get("setup", 0)
        out.append(
            _Step(
                kind=st["type"],
                ident=st.get("id", 0),
                arrival=st["arrival"],
                start=start,
                end=start + st.get("service", 0),
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Plan one provider-day with VROOM and print the checker's verdict."""
    from patchplan.essex import essex
    from patchplan.rounds import largest_provider

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--district", default="Maldon", help="district name (default Maldon)")
    parser.add_argument("--seed", type=int, default=1, help="scenario generator seed (default 1)")
    parser.add_argument("--day", type=int, default=0, help="day index (default 0)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="VROOM seconds (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="VROOM threads (default 1)")
    parser.add_argument("--windows", choices=("full", "on_time"), default="full", help="job windows (default full)")
    args = parser.parse_args(argv)
    s = essex(district=args.district, seed=args.seed)
    pid = largest_provider(s, s.district_by_name(args.district).id)
    roster, info = vroom_roster(s, pid, args.day, args.time_limit, args.threads, windows=args.windows)
    violations, k = check_and_score(s, roster)
    print(f"{args.district} seed {args.seed} provider {pid} day {args.day}, VROOM {args.time_limit:g} s:")
    for key, value in info.items():
        print(f"  {key}: {value}")
    print(
        f"  checker: {k.visits_in_scope} visits, {k.visits_served} served, {k.visits_unassigned} unassigned, "
        f"travel {k.travel_min} min / {k.travel_km} km, on time {100 * k.on_time_share:.1f}%, "
        f"{k.carers_used} carers, paid {k.paid_min} min"
    )
    print(f"  violations: {len(violations)}")
    for v in violations:
        print(f"    {v}")
    return 0 if not violations else 1


if __name__ == "__main__":
    sys.exit(main())
