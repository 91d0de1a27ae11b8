"""The command line: one module per command group, shared helpers in :mod:`patchplan.cli.common`."""

from patchplan.cli.app import app as app
from patchplan.cli.app import main as main
