"""Embedded geography: postcodes offline, the area graph."""

from __future__ import annotations

import networkx as nx
import pytest

from patchplan.geo import geography as geo


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("cm11aa", "CM1 1AA"), (" CO4  3RJ ", "CO4 3RJ"), ("SS169ZZ", "SS16 9ZZ"), ("not a postcode", None)],
)
def test_normalise_postcode(raw: str, norm: str | None) -> None:
    """Postcodes are normalised to the Code-Point spelling."""
    assert geo.normalise_postcode(raw) == norm


def test_postcode_lookup_offline() -> None:
    """CO1 1AA resolves from the embedded table to its small area."""
    loc, area = geo.essex().locate_postcode("co11aa")
    assert (loc.lat, loc.lon, area) == (51.890895, 0.900834, "E01035157")


def test_area_graph_is_connected_and_complete() -> None:
    """903 small areas, one connected component, 12 districts."""
    g = geo.essex()
    assert len(g.areas) == 903 and len(g.districts) == 12
    assert nx.is_connected(g.graph) and g.graph.number_of_nodes() == 903


def test_area_of_point_uses_polygons() -> None:
    """A postcode's point lies in the small area the table gives it."""
    g = geo.essex()
    assert g.area_of_point(51.890895, 0.900834).id == "E01035157"


def test_uk_bounds() -> None:
    """Colchester is in the UK; Paris is not."""
    assert geo.in_uk(51.89, 0.90) and not geo.in_uk(48.86, 2.35)
