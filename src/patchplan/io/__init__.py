"""Files in and out: scenario folders, rosters, events (the only package that reads or writes tables)."""

from patchplan.io.folder import input_format_markdown as input_format_markdown
from patchplan.io.folder import read_events as read_events
from patchplan.io.folder import read_roster as read_roster
from patchplan.io.folder import read_scenario as read_scenario
from patchplan.io.folder import write_roster as write_roster
from patchplan.io.folder import write_scenario as write_scenario
