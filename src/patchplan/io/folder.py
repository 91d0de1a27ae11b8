"""Compatibility: the names ``patchplan.io.folder`` used to hold, now in one module per idea.

:mod:`patchplan.io.cells` (cell parsers), :mod:`patchplan.io.tables` (typed rows),
:mod:`patchplan.io.build` (rows -> model), :mod:`patchplan.io.scenario`,
:mod:`patchplan.io.roster`, :mod:`patchplan.io.events` and :mod:`patchplan.io.docs`.
New code imports from :mod:`patchplan.io`.
"""

from patchplan.io.cells import _PARSERS
from patchplan.io.docs import input_format_markdown
from patchplan.io.events import read_events
from patchplan.io.roster import read_roster, write_roster
from patchplan.io.scenario import read_scenario, write_scenario
from patchplan.io.tables import TABLE_SUFFIXES

__all__ = [
    "TABLE_SUFFIXES",
    "_PARSERS",
    "input_format_markdown",
    "read_events",
    "read_roster",
    "read_scenario",
    "write_roster",
    "write_scenario",
]

if __name__ == "__main__":  # pragma: no cover
    print(input_format_markdown(), end="")
