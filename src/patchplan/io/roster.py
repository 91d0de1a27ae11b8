"""Roster folders (roster.csv [, rounds.csv, unassigned.csv, meta.toml]) on disk <-> :class:`Roster`."""

from __future__ import annotations

from pathlib import Path

import tomli_w

from patchplan.core.errors import InputError, ProblemCollector
from patchplan.core.model import (
    DAY_MIN,
    Roster,
    Scenario,
)
from patchplan.io.build import _read_roster_tables
from patchplan.io.cells import hhmm
from patchplan.io.schema import SPEC_BY_NAME
from patchplan.io.tables import _Reader, _with_row, _write


# ---------------------------------------------------------------------------
# Rosters
# ---------------------------------------------------------------------------
def read_roster(path: str | Path, scenario: Scenario) -> Roster:
    """Read a roster folder (roster.csv [, rounds.csv, unassigned.csv]) or a
    single roster file (only that file is read, whatever its name).

    Raises
    ------
    InputError
        On unreadable files, unknown carers or visits, or bad values.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    folder = p if p.is_dir() else p.parent
    problems = ProblemCollector()
    # A file named on the command line is the roster read: never its siblings.
    reader = _Reader(folder, problems, only=None if p.is_dir() else {"roster.csv": p})
    roster = _read_roster_tables(reader, scenario.start, scenario.days, scenario._index["visit"], prefix="")
    problems.raise_if_any()
    from patchplan.core.model import roster_reference_problems

    found = roster_reference_problems(scenario, roster)
    if found:
        raise InputError([_with_row(q, reader) for q in found])
    return roster


def write_roster(roster: Roster, scenario: Scenario, folder: str | Path) -> Path:
    """Write a roster folder: roster.csv, rounds.csv, unassigned.csv, meta.toml."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stops = []
    rounds = []
    for rnd in roster.rounds:
        base = rnd.day * DAY_MIN
        date = scenario.date(rnd.day).isoformat()
        for seq, s in enumerate(rnd.stops):
            stops.append(
                {
                    "carer_id": rnd.carer_id,
                    "date": date,
                    "visit_id": s.visit_id,
                    "start": hhmm(s.start - base),
                    "seq": seq,
                    "arrival": hhmm(s.arrival - base),
                    "end": hhmm(s.end - base),
                    "travel_min": s.travel_min,
                    "travel_m": s.travel_m,
                }
            )
        rounds.append(
            {
                "carer_id": rnd.carer_id,
                "date": date,
                "leave": hhmm(rnd.leave - base),
                "back": hhmm(rnd.back - base),
                "return_min": rnd.return_min,
                "return_m": rnd.return_m,
            }
        )
    _write(out / "roster.csv", stops, SPEC_BY_NAME["roster.csv"])
    _write(out / "rounds.csv", rounds, SPEC_BY_NAME["rounds.csv"])
    _write(
        out / "unassigned.csv",
        [{"visit_id": u.visit_id, "reason": u.reason.value, "detail": u.detail} for u in roster.unassigned],
        SPEC_BY_NAME["unassigned.csv"],
    )
    meta = dict(roster.meta)
    if roster.provider_id:
        meta["provider_id"] = roster.provider_id
    (out / "meta.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
    return out
