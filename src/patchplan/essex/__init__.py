"""The embedded Essex scenario: generator, workforce and calibration facts."""

from patchplan.essex.generator import essex as essex
from patchplan.essex.generator import facts as facts
