"""The embedded Essex scenario: the generator (demand, providers, brokerage), its workforce (carers,
shifts, staffing) and its calibration facts (the published figures and a scenario's totals)."""

from patchplan.essex.facts import expected_figures as expected_figures
from patchplan.essex.facts import facts as facts
from patchplan.essex.generator import essex as essex
