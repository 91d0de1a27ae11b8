"""The patches job: contiguous patch designs, and designs evaluated end to end."""

from patchplan.patches.partition import *  # noqa: F403 - pp.patches.design, design_scope, ...
from patchplan.patches.partition import __all__ as __all__
