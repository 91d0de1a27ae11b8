"""Continuity over a multi-day plan: each client's carers so far are their
team (a call goes to a team member on shift when one can take it), and in
neighbourhood-team mode the one team allowed to serve them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from patchplan.core.errors import InputError
from patchplan.core.model import Carer, Round, Scenario, Visit
from patchplan.core.params import RoundsParams


def client_history(s: Scenario, mine: set[str]) -> defaultdict[str, dict[str, int]]:
    """client id -> carer id (of ``mine``) -> visits the client's history records."""
    out: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for client in s.clients:
        for carer, count in client.history:
            if carer in mine:
                out[client.id][carer] = count
    return out


class _Teams:
    """Each client's carers so far (continuity) and, in team mode, the one
    neighbourhood team allowed to serve them."""

    def __init__(self, s: Scenario, carers: Sequence[Carer], p: RoundsParams) -> None:
        self.s, self.p = s, p
        self.mine = {c.id for c in carers}
        self.seen = client_history(s, self.mine) if p.prefer_known else defaultdict(dict)
        self.client_team: dict[str, str] = {}
        if p.teams_mode:
            self._assign_teams(carers)

    def _assign_teams(self, carers: Sequence[Carer]) -> None:
        """A client's team: the one most of their known carers belong to,
        else the team whose carers live nearest on average."""
        members: dict[str, list[Carer]] = defaultdict(list)
        for c in carers:
            if c.team_id:
                members[c.team_id].append(c)
        if not members:
            raise InputError("teams mode needs carers with a team (carers.csv column 'team')")
        centre = {
            t: (float(np.mean([c.home.lat for c in cs])), float(np.mean([c.home.lon for c in cs])))
            for t, cs in members.items()
        }
        team_of = {c.id: c.team_id for c in carers}
        for client in self.s.clients:
            votes: dict[str, int] = defaultdict(int)
            for carer, count in client.history:
                team = team_of.get(carer)
                if team:
                    votes[team] += count
            if votes:
                self.client_team[client.id] = max(sorted(votes), key=lambda t: votes[t])
            else:
                lat, lon = client.location.lat, client.location.lon
                self.client_team[client.id] = min(
                    sorted(centre), key=lambda t: (centre[t][0] - lat) ** 2 + (centre[t][1] - lon) ** 2
                )
        self.team_of = team_of

    def required(self, v: Visit) -> frozenset[str] | None:
        """Carers who alone may serve ``v`` (team mode), or None."""
        if not self.p.teams_mode:
            return None
        team = self.client_team.get(v.client_id)
        return frozenset(c for c, t in self.team_of.items() if t == team)

    def preferred(self, v: Visit) -> frozenset[str] | None:
        """The client's team so far, when continuity is on and it has one."""
        if not self.p.team_cap:
            return None
        seen = self.seen.get(v.client_id)
        return frozenset(seen) if seen else None

    def full(self, client_id: str) -> bool:
        return bool(self.p.team_cap) and len(self.seen.get(client_id, {})) >= self.p.team_cap

    def record(self, rnd: Round) -> None:
        for stop in rnd.stops:
            client = self.s.visit(stop.visit_id).client_id
            self.seen[client][rnd.carer_id] = self.seen[client].get(rnd.carer_id, 0) + 1
