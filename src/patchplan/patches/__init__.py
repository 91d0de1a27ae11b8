"""The patches job: contiguous patch designs, and designs evaluated end to end."""

from patchplan.io.geojson import from_geojson, to_geojson
from patchplan.patches.partition import (
    by_district,
    check_design,
    demand_hours,
    design,
    design_kpis,
    design_scope,
    patch_names,
)

__all__ = [
    "by_district",
    "check_design",
    "demand_hours",
    "design",
    "design_kpis",
    "design_scope",
    "from_geojson",
    "patch_names",
    "to_geojson",
]
