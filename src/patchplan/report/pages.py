"""Self-contained HTML reports: tables, maps (folium) and charts.

A :class:`Page` is one HTML file people can open anywhere: Leaflet (the map
library folium draws with) is inlined from a vendored copy, charts are
embedded PNGs, and nothing needs a network except the optional map tiles.
Every report carries the data attribution (OGL).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure

from patchplan.geo.geography import ATTRIBUTION

_LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"
_LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css"
#: Colour-blind-safe categorical palette (Okabe-Ito, plus greys).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#999999", "#882255")

_STYLE = """
.page { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 1.5rem auto; max-width: 1100px;
       color: #1b1b1b; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table.data { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
table.data th, table.data td { border: 1px solid #ccc; padding: .25rem .55rem; text-align: right; }
table.data th { background: #f3f3f3; } table.data td:first-child, table.data th:first-child { text-align: left; }
table.data caption { text-align: left; font-weight: 600; padding: .3rem 0; }
.map { height: 480px; width: 100%; margin: .8rem 0; border: 1px solid #ccc; }
.chart img { max-width: 100%; } .note { color: #555; font-size: .9rem; }
.headline { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0; }
.headline div { background: #f5f8fb; border-left: 4px solid #0072B2; padding: .5rem .9rem; min-width: 12rem; }
.headline b { display: block; font-size: 1.4rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #555; border-top: 1px solid #ddd; padding-top: .6rem; }
"""


class _Map(folium.Map):
    """A folium map that needs only Leaflet (no jQuery, Bootstrap or icon
    fonts from CDNs), so the page can inline everything it uses."""

    # folium's own attributes of the same names, overridden per class as folium does.
    default_js = [("leaflet", _LEAFLET_JS)]  # noqa: RUF012
    default_css = [("leaflet_css", _LEAFLET_CSS)]  # noqa: RUF012


def new_map(center: tuple[float, float], zoom: int = 10, *, tiles: bool = True) -> folium.Map:
    """A map for a :class:`Page` (OpenStreetMap tiles when online)."""
    m = _Map(
        location=list(center), zoom_start=zoom, tiles="OpenStreetMap" if tiles else None, width="100%", height="480px"
    )
    return m


class Page:
    """An HTML document assembled from sections, written as one file."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.figure = Figure()
        self.figure.header.add_child(Element(f"<title>{html.escape(title)}</title>"))
        self.figure.header.add_child(Element(f"<style>{_STYLE}</style>"))
        self._add(f'<div class="page"><h1>{html.escape(title)}</h1>')
        self.maps = 0
        self.tables = 0
        self.charts = 0

    def _add(self, markup: str) -> None:
        self.figure.html.add_child(Element(markup))

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> None:
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        self._add(f"<h{level}{ident}>{html.escape(text)}</h{level}>")

    def text(self, text: str, *, note: bool = False) -> None:
        cls = ' class="note"' if note else ""
        self._add(f"<p{cls}>{html.escape(text)}</p>")

    def raw(self, markup: str) -> None:
        """Trusted markup built by patchplan itself (never user text)."""
        self._add(markup)

    def headline(self, items: Sequence[tuple[str, str]]) -> None:
        cells = "".join(f"<div>{html.escape(label)}<b>{html.escape(value)}</b></div>" for label, value in items)
        self._add(f'<div class="headline">{cells}</div>')

    def table(
        self, rows: Sequence[Mapping[str, Any]], *, columns: Sequence[str] | None = None, caption: str = ""
    ) -> None:
        """A table of records (keys as columns)."""
        if not rows:
            self.text("(nothing to show)", note=True)
            return
        cols = list(columns or rows[0].keys())
        head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in cols) + "</tr>" for r in rows
        )
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        self._add(f'<table class="data">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
        self.tables += 1

    def map(self, m: folium.Map) -> None:
        # folium adds the map's <div> to the page when it renders, under the
        # map's name; a placeholder with that name keeps it in reading order.
        self.figure.html.add_child(Element(""), name=m.get_name())
        self.figure.add_child(m)
        self.maps += 1

    def chart(self, fig: Any, alt: str) -> None:
        """A matplotlib figure, embedded as a PNG."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode()
        self._add(f'<div class="chart"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/></div>')
        self.charts += 1

    def attribution(self, extra: Iterable[str] = ()) -> None:
        lines = "".join(f"<div>{html.escape(x)}</div>" for x in (*extra, *ATTRIBUTION))
        self._add(f"<footer><b>Data and licences</b>{lines}</footer>")

    def write(self, path: str | Path) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self._add("</div>")
        out.write_text(_inline(self.figure.render()), encoding="utf-8")
        return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _inline(doc: str) -> str:
    """Replace the CDN Leaflet tags with the vendored files' contents."""
    folder = resources.files("patchplan.report").joinpath("static/leaflet")
    js = folder.joinpath("leaflet.js").read_text(encoding="utf-8")
    css = folder.joinpath("leaflet.css").read_text(encoding="utf-8")
    doc = re.sub(r'<script src="' + re.escape(_LEAFLET_JS) + r'"></script>', lambda _m: f"<script>{js}</script>", doc)
    doc = re.sub(
        r'<link rel="stylesheet" href="' + re.escape(_LEAFLET_CSS) + r'"/>', lambda _m: f"<style>{css}</style>", doc
    )
    return doc


def bar_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], *, title: str, ylabel: str) -> Any:
    """A grouped bar chart (matplotlib figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 3.4))
    x = np.arange(len(labels))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=name, color=PALETTE[i % len(PALETTE)])
    ax.set_xticks(x, labels, rotation=30 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        ax.legend(frameon=False)
    return fig


# ---------------------------------------------------------------------------
# Patch designs side by side
# ---------------------------------------------------------------------------
#: The charts of the designs compared: series (name -> headline key), title, y label, alt text.
_DESIGN_CHARTS: tuple[tuple[dict[str, str], str, str, str], ...] = (
    ({"travel hours": "travel_hours_week"}, "Carer travel a week", "hours", "travel per design"),
    (
        {"distinct carers": "distinct_carers_per_client_mean"},
        "Continuity: distinct carers per client a week",
        "carers",
        "continuity per design",
    ),
    (
        {"unplaced": "unplaced_hours", "spot": "spot_hours"},
        "Unmet and spot-market hours a week",
        "hours",
        "unmet hours per design",
    ),
)


def patches_report(
    scenario: Any,
    designs: Sequence[Any],
    results: Sequence[Any],
    out_dir: str | Path,
    *,
    settings: Mapping[str, Any],
) -> Path:
    """``out_dir/index.html`` comparing designs, with a map of each, charts,
    the assumptions, and CSV / GeoJSON of every table and design."""
    import json

    from patchplan.io.geojson import to_geojson
    from patchplan.patches import evaluate as ev
    from patchplan.patches import partition as pt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page = Page(f"Patch designs compared: {scenario.name}")
    heads = [r.headline() for r in results]
    base = heads[0]
    page.text(
        "Each design is evaluated end to end: every package brokered under the design's rules, "
        "each provider's week of rounds planned in each patch, every roster checked by the independent "
        "checker. Figures are a week."
    )
    page.headline(
        [(f"{h['design']}: travel", f"{h['travel_hours_week']:,.0f} h") for h in heads]
        + [(f"{h['design']}: CO2", f"{h['co2_kg_week']:,.0f} kg") for h in heads[:1]]
    )
    page.heading("Side by side")
    rows = []
    for h in heads:
        row = dict(h)
        if base["travel_hours_week"]:
            row["travel_vs_first"] = f"{100 * (h['travel_hours_week'] / base['travel_hours_week'] - 1):+.0f}%"
        rows.append(row)
    page.table(rows, caption="Headline KPIs per design (a week)")
    page.heading("Charts")
    labels = [h["design"] for h in heads]
    for series, title, ylabel, alt in _DESIGN_CHARTS:
        values = {name: [h[key] for h in heads] for name, key in series.items()}
        page.chart(bar_chart(labels, values, title=title, ylabel=ylabel), alt)
    demand = pt.demand_hours(scenario)
    for design, result in zip(designs, results, strict=True):
        page.heading(f"Design: {design.name}", anchor=f"design-{design.name}")
        features = None
        if design.patches:
            path = (
                to_geojson(scenario, design.patches, out / f"{_slug(design.name)}.geojson")
                or out / f"{_slug(design.name)}.geojson"
            )
            features = json.loads(Path(path).read_text(encoding="utf-8"))
        page.map(_design_map(scenario, design, result, demand, features))
        per_patch = [dict(r) for r in result.per_patch]
        if per_patch:
            page.chart(
                bar_chart(
                    [str(r["name"])[:18] for r in per_patch],
                    {"travel h": [r["travel_hours_week"] for r in per_patch]},
                    title=f"{design.name}: travel per patch",
                    ylabel="hours a week",
                ),
                f"travel per patch, {design.name}",
            )
        page.table(
            per_patch,
            columns=[
                "name",
                "lead",
                "clients",
                "care_hours_week",
                "travel_hours_week",
                "travel_km_week",
                "co2_kg_week",
                "carers_needed",
                "distinct_carers_per_client_mean",
                "unassigned_hours",
                "violations",
            ],
            caption=f"{design.name}: per patch" if design.patches else f"{design.name}: per district",
        )
        write_csv(out / f"per_patch_{_slug(design.name)}.csv", per_patch)
    write_csv(out / "designs.csv", heads)
    page.heading("Assumptions and parameters")
    page.table(
        [
            {
                "parameter": "mileage",
                "value": f"£{ev.MILEAGE_GBP_PER_KM * 1.609344:.2f} a mile",
                "source": "HMRC approved mileage allowance",
            },
            {
                "parameter": "travel time paid",
                "value": f"£{ev.TRAVEL_PAY_GBP_PER_H:.2f} an hour",
                "source": "National Living Wage from April 2026",
            },
            {
                "parameter": "CO2",
                "value": f"{ev.CO2_KG_PER_KM} kg a car km",
                "source": "DESNZ 2024 conversion factors, average car",
            },
            {
                "parameter": "reablement effect",
                "value": f"x{ev.REABLEMENT_FACTOR:.3f} on reviewed packages",
                "source": "Newham: 12.25 to 8.75 h a week",
            },
            *({"parameter": k, "value": str(v), "source": "this run"} for k, v in settings.items()),
        ],
        caption="What the numbers rest on",
    )
    page.text(
        "Workforce: each provider in each patch gets carers sized to its peak demand with the scenario generator's "
        "rules (shift mix, five-day rota, skills); with patches they live in the patch, today near the provider's branch. "
        "With patches the workforce follows the contract, so the cost shows as carer hours needed.",
        note=True,
    )
    page.attribution()
    return page.write(out / "index.html")


def _design_map(
    scenario: Any, design: Any, result: Any, demand: Mapping[str, float], features: Mapping[str, Any] | None
) -> folium.Map:
    """Patches coloured (or, today, demand shaded by small area) with the
    providers' branches; no client is shown."""
    from patchplan.geo import geography as geo

    used = {c.area_id for c in scenario.clients}
    areas = [a for a in scenario.areas if a.id in used] or list(scenario.areas)
    lat = sum(a.centroid.lat for a in areas) / len(areas)
    lon = sum(a.centroid.lon for a in areas) / len(areas)
    m = new_map((lat, lon), zoom=10 if len({a.district_id for a in areas}) == 1 else 9)
    m.fit_bounds(
        [
            [min(a.centroid.lat for a in areas), min(a.centroid.lon for a in areas)],
            [max(a.centroid.lat for a in areas), max(a.centroid.lon for a in areas)],
        ]
    )
    stats = {r["patch"]: r for r in result.per_patch}
    if features is not None:
        colour = {p.id: PALETTE[i % len(PALETTE)] for i, p in enumerate(design.patches)}
        for f in features["features"]:
            props = f["properties"]
            pid = props.get("id")
            props["travel_h_week"] = stats.get(pid, {}).get("travel_hours_week", 0)
            props["lead"] = design.leads.get(pid, ("", None))[0]
        folium.GeoJson(
            features,
            name=design.name,
            style_function=lambda f, colour=colour: {
                "fillColor": colour.get(f["properties"].get("id"), "#999"),
                "color": "#333",
                "weight": 1,
                "fillOpacity": 0.45,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "lead", "travel_h_week"]),
        ).add_to(m)
    else:
        # Today: demand by small area (no patches), shaded by hours a week.
        polygons = geo.area_polygons()
        peak = max((demand.get(a.id, 0.0) for a in areas), default=1.0) or 1.0
        feats = [
            {
                "type": "Feature",
                "geometry": polygons[a.id],
                "properties": {"area": a.name, "hours": round(demand.get(a.id, 0.0), 1)},
            }
            for a in areas
            if a.id in polygons
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            name="demand",
            style_function=lambda f, peak=peak: {
                "fillColor": "#0072B2",
                "color": "#666",
                "weight": 0.3,
                "fillOpacity": 0.1 + 0.7 * f["properties"]["hours"] / peak,
            },
            tooltip=folium.GeoJsonTooltip(fields=["area", "hours"]),
        ).add_to(m)
    for b in scenario.branches:
        if b.district_id in {a.district_id for a in areas}:
            folium.CircleMarker(
                (b.location.lat, b.location.lon),
                radius=4,
                color="#D55E00",
                fill=True,
                fill_opacity=0.9,
                tooltip=f"branch: {b.name}",
            ).add_to(m)
    return m


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """A table of a report as CSV (columns from the first row; empty when
    there are no rows), creating its folder."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    if not rows:
        path.write_text("", encoding="utf-8")
        return
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "design"
