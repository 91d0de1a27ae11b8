"""Run patchplan from a checkout without installing: ``python cli.py --help``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from patchplan.cli import main  # noqa: E402

main()
