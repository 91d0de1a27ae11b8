"""Files in and out: scenario folders, rosters, events (the only package that reads or writes tables)."""

from patchplan.io.docs import input_format_markdown as input_format_markdown
from patchplan.io.events import read_events as read_events
from patchplan.io.roster import read_roster as read_roster
from patchplan.io.roster import write_roster as write_roster
from patchplan.io.scenario import read_scenario as read_scenario
from patchplan.io.scenario import write_scenario as write_scenario
