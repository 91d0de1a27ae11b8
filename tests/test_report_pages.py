"""patchplan.report.pages: a page is one self-contained HTML file; tables escape what they show."""

from __future__ import annotations

import csv
from pathlib import Path

from patchplan.report.pages import Page, bar_chart, new_map, write_csv


def test_page_is_self_contained_and_escapes_text(tmp_path: Path) -> None:
    """Leaflet is inlined (no CDN), text and cells are escaped, numbers formatted."""
    page = Page("Travel <before> & after")
    page.heading("Rounds", anchor="rounds")
    page.text("a <b>bold</b> claim")
    page.table([{"carer": "<K1>", "travel_min": 1234, "share": 0.12345, "none": None}], caption="per carer")
    page.map(new_map((51.9, 0.9), tiles=False))
    page.chart(bar_chart(["a", "b"], {"today": [1.0, 2.0], "patches": [0.5, 1.0]}, title="t", ylabel="h"), alt="chart")
    page.attribution()
    html = page.write(tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<title>Travel &lt;before&gt; &amp; after</title>" in html
    assert "a &lt;b&gt;bold&lt;/b&gt; claim" in html and "&lt;K1&gt;" in html
    assert "<td>1,234</td>" in html and "<td>0.12</td>" in html
    assert "unpkg.com" not in html and "cdn.jsdelivr" not in html
    assert 'src="data:image/png;base64,' in html
    assert (page.tables, page.maps, page.charts) == (1, 1, 1)


def test_empty_table_says_so(tmp_path: Path) -> None:
    """A table with no rows shows a note instead of an empty table."""
    page = Page("empty")
    page.table([])
    assert "(nothing to show)" in page.write(tmp_path / "e.html").read_text(encoding="utf-8")
    assert page.tables == 0


def test_write_csv(tmp_path: Path) -> None:
    """Columns from the first row; an empty table is an empty file; folders are made."""
    path = tmp_path / "a" / "b.csv"
    write_csv(path, [{"id": "P1", "hours": 1.5}, {"id": "P2", "hours": 2.0}])
    with open(path, newline="", encoding="utf-8") as fh:
        assert list(csv.DictReader(fh)) == [{"id": "P1", "hours": "1.5"}, {"id": "P2", "hours": "2.0"}]
    write_csv(tmp_path / "empty.csv", [])
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8") == ""
