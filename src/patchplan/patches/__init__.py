"""The patches job: contiguous patch designs, and designs evaluated end to end."""

from patchplan.patches.partition import *
from patchplan.patches.partition import __all__ as __all__
