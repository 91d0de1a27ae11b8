"""What happens on the day: the events a re-plan reacts to (a carer goes off, a visit overruns, ...).

Plain values, like the rest of the model; :mod:`patchplan.io.events` reads them
from a file and :func:`patchplan.rounds.replan.replan` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchplan.core.model import Visit


@dataclass(frozen=True, slots=True)
class CarerOff:
    """A carer stops working at ``at`` (minutes from the horizon start)."""

    carer_id: str
    at: int


@dataclass(frozen=True, slots=True)
class Overrun:
    """A visit that has started takes ``minutes`` longer than planned."""

    visit_id: str
    minutes: int


@dataclass(frozen=True, slots=True)
class Cancel:
    """A visit will not happen (e.g. the client is in hospital)."""

    visit_id: str
    why: str = "client not at home"


@dataclass(frozen=True, slots=True)
class NewVisit:
    """An urgent visit for one of the provider's placed packages."""

    visit: Visit


Event = CarerOff | Overrun | Cancel | NewVisit
