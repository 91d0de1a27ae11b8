"""The main job: patchplan's whole story on the embedded Essex scenario.

:func:`run_demo` generates the scenario (real geography, published Essex
totals), then tells each user's story on it - the broker's backlog (plain
cascade vs joint allocation), a provider's week of rounds (status quo vs
patchplan), and a commissioner's patch designs (today vs districts vs
neighbourhood patches) - and writes ``index.html``, a self-contained report
with tables, maps, charts, the assumptions, and the data attribution, plus
CSV / GeoJSON of every table and roster. Every number comes from the run;
the same seed gives the same scenario and, with a solution budget, the same
plans.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium

from patchplan.core.model import Roster, Scenario
from patchplan.report import pages as rp

log = logging.getLogger("patchplan")

#: Rough share of the demo's wall time per step, for the progress estimate.
STEPS = ("scenario", "broker", "rounds", "patches", "report")


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSettings:
    district: str | None = "Colchester"
    seed: int = 1
    scale: float = 1.0
    #: Wall-clock seconds for the provider's week of rounds.
    #: 150 s keeps the whole demo near three minutes on 2 cores (1:54 at
    #: 90 s, with 63 of 3,400 calls left unassigned; see benchmarks/README.md).
    rounds_time_s: float = 150.0
    broker_time_s: float = 10.0
    #: ``fast`` (greedy approximation, seconds) or ``full`` (rounds solver).
    patches_mode: str = "fast"
    #: Deterministic solver budgets (same numbers on any machine, slower):
    #: :data:`DETERMINISTIC_SOLUTIONS` per solve. ``rounds_time_s`` stays a
    #: cap; the numbers only repeat when it is set above what the budgets need.
    deterministic: bool = False


#: Solutions per solve under ``deterministic``: small enough that the budget,
#: not the clock, ends each search of a small district's week (100 took
#: about 80 s on Harlow at 12% and still ran into a 10 s cap, so runs differed).
DETERMINISTIC_SOLUTIONS = 30


@dataclass(frozen=True, slots=True)
class DemoResult:
    headline: dict[str, Any]
    report: Path
    folder: Path


def run_demo(settings: DemoSettings, out: str | Path, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Run the demo and write its report into ``out``."""
    from patchplan.broker.brokerage import BrokerState, allocate, backlog, cascade_backlog
    from patchplan.check.checker import check_and_score
    from patchplan.core.params import RoundsParams
    from patchplan.essex.facts import facts
    from patchplan.essex.generator import essex
    from patchplan.io.folder import write_roster, write_scenario
    from patchplan.patches.evaluate import build_design, evaluate
    from patchplan.rounds.job import plan_and_score
    from patchplan.rounds.plan import largest_provider
    from patchplan.rounds.statusquo import status_quo_for

    step = progress or (lambda _n: None)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    step("scenario")
    t0 = time.perf_counter()
    s = essex(district=settings.district, seed=settings.seed, scale=settings.scale)
    write_scenario(s, folder / "scenario")
    f = facts(s)
    timings["scenario"] = time.perf_counter() - t0

    step("broker")
    t0 = time.perf_counter()
    waiting = backlog(s)
    plain = cascade_backlog(s, waiting, state=BrokerState(s))
    joint = allocate(
        s, "tiered", packages=waiting, time_limit_s=settings.broker_time_s, seed=settings.seed, state=BrokerState(s)
    )
    timings["broker"] = time.perf_counter() - t0

    step("rounds")
    t0 = time.perf_counter()
    district_id = s.district_by_name(settings.district).id if settings.district else None
    provider = largest_provider(s, district_id)
    params = RoundsParams(team_cap=3, solution_limit=DETERMINISTIC_SOLUTIONS if settings.deterministic else None)
    report = plan_and_score(s, provider, None, params=params, time_limit_s=settings.rounds_time_s, seed=settings.seed)
    ours, sq = report.roster, report.status_quo or status_quo_for(s, provider)
    v_ours, k_ours = report.violations, report.kpis
    v_sq, k_sq = check_and_score(s, sq)
    write_roster(ours, s, folder / "rosters" / "patchplan")
    write_roster(sq, s, folder / "rosters" / "status_quo")
    timings["rounds"] = time.perf_counter() - t0

    step("patches")
    t0 = time.perf_counter()
    from patchplan.patches import partition as pt

    hours = sum(pt.demand_hours(s).values())
    k = max(3, round(hours / (1500 if settings.district else 2000)))
    specs = ["today", "districts", f"k={k}"]
    designs = [build_design(s, spec, seed=settings.seed) for spec in specs]
    results = [
        evaluate(s, d, mode=settings.patches_mode, seed=settings.seed, deterministic=settings.deterministic)
        for d in designs
    ]
    timings["patches"] = time.perf_counter() - t0

    step("report")
    t0 = time.perf_counter()
    story = _Story(settings, s, f, plain, joint, provider, ours, sq, k_ours, k_sq, v_ours, v_sq, designs, results)
    headline = _headline(story)
    index = _report(story, folder, headline, timings)
    timings["report"] = time.perf_counter() - t0
    headline["runtime_s"] = round(time.perf_counter() - started, 1)
    headline["report"] = str(index)
    return DemoResult(headline=headline, report=index, folder=folder)


def _pct(new: float, old: float) -> float:
    return round(100 * (new / old - 1), 1) if old else 0.0


@dataclass(frozen=True)
class _Story:
    """What the demo found, step by step: what the headline and the report are made of."""

    settings: DemoSettings
    s: Any
    f: dict[str, Any]
    plain: Any
    joint: Any
    provider: str
    ours: Any
    sq: Any
    k_ours: Any
    k_sq: Any
    v_ours: tuple[Any, ...]
    v_sq: tuple[Any, ...]
    designs: list[Any]
    results: list[Any]


def _headline(story: _Story) -> dict[str, Any]:
    s, f, plain, joint, provider = story.s, story.f, story.plain, story.joint, story.provider
    k_ours, k_sq, v_ours, settings = story.k_ours, story.k_sq, story.v_ours, story.settings
    heads = [r.headline() for r in story.results]
    return {
        "scenario": s.name,
        "clients": f["figures"]["clients"],
        "hours_week": round(f["figures"]["hours_week"], 1),
        "backlog_packages": len(plain.placements),
        "cascade_hours_placed": plain.hours_placed,
        "joint_hours_placed": joint.hours_placed,
        "cascade_added_travel_min": plain.added_travel_min,
        "joint_added_travel_min": joint.added_travel_min,
        "provider": provider,
        "travel_min": k_ours.travel_min,
        "status_quo_travel_min": k_sq.travel_min,
        "travel_change_pct": _pct(k_ours.travel_min, k_sq.travel_min),
        "on_time_share": k_ours.on_time_share,
        "status_quo_on_time_share": k_sq.on_time_share,
        "distinct_carers_per_client_mean": k_ours.distinct_carers_per_client_mean,
        "status_quo_distinct_carers_per_client_mean": k_sq.distinct_carers_per_client_mean,
        "distinct_carers_per_client_max": k_ours.distinct_carers_per_client_max,
        "status_quo_distinct_carers_per_client_max": k_sq.distinct_carers_per_client_max,
        "top_two_share": k_ours.top_two_share,
        "status_quo_top_two_share": k_sq.top_two_share,
        "unassigned_visits": k_ours.visits_unassigned,
        "status_quo_unassigned_visits": k_sq.visits_unassigned,
        "violations": len(v_ours),
        "designs": {
            h["design"]: {"travel_hours_week": h["travel_hours_week"], "co2_kg_week": h["co2_kg_week"]} for h in heads
        },
        "patches_mode": settings.patches_mode,
    }


def _report(story: _Story, folder: Path, headline: dict[str, Any], timings: dict[str, float]) -> Path:
    s, settings, f, plain, joint, provider = story.s, story.settings, story.f, story.plain, story.joint, story.provider
    ours, sq, k_ours, k_sq, v_ours, v_sq = story.ours, story.sq, story.k_ours, story.k_sq, story.v_ours, story.v_sq
    designs, results = story.designs, story.results
    from patchplan.io.geojson import to_geojson
    from patchplan.patches import partition as pt
    from patchplan.report.pages import Page, bar_chart, new_map

    where = settings.district or "Essex (12 districts)"
    page = Page(f"patchplan on {where}: broker, rounds, patches")
    page.text(
        f"A synthetic but realistic week of home care in {where}, generated from real public geography (ONS small areas, "
        "OS Code-Point Open postcodes, IMD 2019) and calibrated to Essex County Council's published figures. "
        f"Seed {settings.seed}, scale {settings.scale}. Every number below comes from this run."
    )
    page.headline(
        [
            ("rounds: carer travel vs status quo", f"{headline['travel_change_pct']:+.0f}%"),
            (
                "rounds: distinct carers per client",
                f"{k_sq.distinct_carers_per_client_mean:.1f} -> {k_ours.distinct_carers_per_client_mean:.1f}",
            ),
            ("broker: hours placed (joint vs cascade)", f"{plain.hours_placed:,.0f} -> {joint.hours_placed:,.0f}"),
            (
                "patches: travel, neighbourhoods vs today",
                f"{_pct(results[-1].totals['travel_hours_week'], results[0].totals['travel_hours_week']):+.0f}%",
            ),
        ]
    )

    # -- the scenario ----------------------------------------------------------
    page.heading("1. The scenario", anchor="scenario")
    rows = [
        {
            "figure": key.replace("_", " "),
            "scenario": value,
            "published (scaled)": f["expected"].get(key),
            "difference": f"{100 * (value / f['expected'][key] - 1):+.2f}%" if f["expected"].get(key) else "",
        }
        for key, value in f["figures"].items()
    ]
    page.table(rows, caption="Generated totals next to Essex County Council's published figures")
    page.table(
        [{"figure": k.replace("_", " "), "value": v} for k, v in f["extra"].items()], caption="Also in the scenario"
    )
    rp.write_csv(folder / "tables" / "facts.csv", rows)

    # -- broker ------------------------------------------------------------------
    page.heading("2. Broker: the live-demand backlog", anchor="broker")
    page.text(
        f"{len(plain.placements)} packages await a provider ({sum(p.hours_week for p in plain.placements):,.0f} hours a week). "
        "A broker working by hand offers each down its lot's ranked list to the first provider with capacity in every "
        "time band it needs (the cascade). patchplan places the backlog jointly with CP-SAT under the tiered policy: most "
        "hours placed (hospital discharges first), then the best tier, then least added travel."
    )
    b_rows = [
        {"": "hours placed a week", "plain cascade": plain.hours_placed, "joint (tiered)": joint.hours_placed},
        {"": "of which spot market", "plain cascade": plain.spot_hours, "joint (tiered)": joint.spot_hours},
        {"": "packages left unplaced", "plain cascade": len(plain.unplaced), "joint (tiered)": len(joint.unplaced)},
        {
            "": "added carer travel, min a week",
            "plain cascade": plain.added_travel_min,
            "joint (tiered)": joint.added_travel_min,
        },
    ]
    page.table(b_rows, caption="Backlog placed: hand cascade vs joint allocation")
    page.chart(
        bar_chart(
            ["hours placed", "added travel (h)"],
            {
                "cascade": [plain.hours_placed, plain.added_travel_min / 60],
                "joint": [joint.hours_placed, joint.added_travel_min / 60],
            },
            title="Backlog: cascade vs joint",
            ylabel="hours a week",
        ),
        "broker chart",
    )
    if joint.shortages:
        page.table([{"where short": x} for x in joint.shortages[:8]], caption="Where capacity ran short")
    rp.write_csv(folder / "tables" / "broker.csv", b_rows)
    rp.write_csv(folder / "tables" / "broker_joint_placements.csv", [vars_of(p) for p in joint.placements])

    # -- rounds ------------------------------------------------------------------
    page.heading("3. Rounds: a provider's week", anchor="rounds")
    prov = s.provider(provider)
    page.text(
        f"{prov.name} ({provider}), the district's largest framework provider: {len(s.carers_of(provider))} carers, "
        f"{len(s.visits_of_provider(provider))} visits in the week. The status quo is what a coordinator could do by hand "
        "(each call, in time order, to the carer who can start it soonest). patchplan plans the week with OR-Tools, keeping "
        "each client's carers to a small team; both rosters are scored by the same independent checker."
    )
    keys = [
        "travel_min",
        "travel_km",
        "travel_share_of_paid",
        "on_time_share",
        "late",
        "visits_served",
        "visits_unassigned",
        "carers_used",
        "distinct_carers_per_client_mean",
        "distinct_carers_per_client_p90",
        "distinct_carers_per_client_max",
        "top_carer_share",
        "top_two_share",
        "seen_before_share",
        "hours_per_carer_max",
        "miles_between_visits",
    ]
    r_rows = [
        {
            "KPI": key.replace("_", " "),
            "status quo": getattr(k_sq, key),
            "patchplan": getattr(k_ours, key),
            "change": f"{_pct(getattr(k_ours, key), getattr(k_sq, key)):+.0f}%" if getattr(k_sq, key) else "",
        }
        for key in keys
    ]
    r_rows.append({"KPI": "rule violations (checker)", "status quo": len(v_sq), "patchplan": len(v_ours), "change": ""})
    page.table(r_rows, caption="Week of rounds, status quo vs patchplan")
    page.chart(
        bar_chart(
            ["travel (h)", "distinct carers x10"],
            {
                "status quo": [k_sq.travel_min / 60, 10 * k_sq.distinct_carers_per_client_mean],
                "patchplan": [k_ours.travel_min / 60, 10 * k_ours.distinct_carers_per_client_mean],
            },
            title="Travel and continuity",
            ylabel="hours / carers x10",
        ),
        "rounds chart",
    )
    page.heading("One carer's round on the map (Monday)", level=3)
    page.map(_round_map(s, ours, sq, new_map))
    rp.write_csv(folder / "tables" / "rounds.csv", r_rows)

    # -- patches -----------------------------------------------------------------
    page.heading("4. Patches: a commissioner's what-if", anchor="patches")
    page.text(
        "Three ways to organise the same demand: today (framework lists per district, no patches), one patch per district "
        f"with a lead provider, and {len(designs[-1].patches)} designed neighbourhood patches (contiguous, balanced in demand, "
        "compact in travel time) each with a lead provider whose carers live in the patch. Each design is brokered, "
        f"its rounds planned ({settings.patches_mode} mode) and checked."
    )
    heads = [r.headline() for r in results]
    page.table(
        heads,
        columns=[
            "design",
            "patches",
            "travel_hours_week",
            "travel_miles_week",
            "travel_cost_gbp_week",
            "co2_kg_week",
            "carer_hours_week",
            "unplaced_hours",
            "spot_hours",
            "distinct_carers_per_client_mean",
            "violations",
        ],
        caption="Designs side by side (a week)",
    )
    page.chart(
        bar_chart(
            [h["design"] for h in heads],
            {"travel hours": [h["travel_hours_week"] for h in heads]},
            title="Carer travel a week by design",
            ylabel="hours",
        ),
        "patches chart",
    )
    demand = pt.demand_hours(s)
    for design, result in zip(designs, results, strict=True):
        if design.patches:
            path = folder / "patches" / f"{rp._slug(design.name)}.geojson"
            path.parent.mkdir(parents=True, exist_ok=True)
            to_geojson(s, design.patches, path)
            import json

            page.heading(f"Design: {design.name}", level=3)
            page.map(rp._design_map(s, design, result, demand, json.loads(path.read_text(encoding="utf-8"))))
    rp.write_csv(folder / "tables" / "patches.csv", heads)

    # -- assumptions --------------------------------------------------------------
    page.heading("Assumptions and parameters", anchor="assumptions")
    from patchplan.core.params import RoundsParams
    from patchplan.geo.travel import TravelParams
    from patchplan.patches.evaluate import CO2_KG_PER_KM, MILEAGE_GBP_PER_KM, TRAVEL_PAY_GBP_PER_H

    modes = TravelParams().modes
    assumptions = [
        {
            "parameter": f"travel: {m}",
            "value": f"circuity {p.circuity}, {p.urban_kmh} km/h urban, {p.rural_kmh} km/h rural, +{p.access_min} min per arrival",
        }
        for m, p in modes.items()
    ]
    rp_ = RoundsParams()
    assumptions += [
        {
            "parameter": "rounds objective",
            "value": f"travel {rp_.travel_weight}/min, late {rp_.late_weight}/min, early {rp_.early_weight}/min",
        },
        {
            "parameter": "working time",
            "value": f"break {rp_.break_min} min in every {rp_.break_after_min // 60} h of work (WTR); 48 h a week",
        },
        {
            "parameter": "continuity",
            "value": "a care team of at most 3 carers per client for the week (CP-SAT), then routing (soft)",
        },
        {"parameter": "rounds time limit", "value": f"{settings.rounds_time_s:.0f} s for the week"},
        {
            "parameter": "travel cost",
            "value": f"£{MILEAGE_GBP_PER_KM * 1.609344:.2f} a mile + £{TRAVEL_PAY_GBP_PER_H:.2f} an hour",
        },
        {"parameter": "CO2", "value": f"{CO2_KG_PER_KM} kg per car km (DESNZ 2024, average car)"},
        *({"parameter": f"time: {k}", "value": f"{v:.1f} s"} for k, v in timings.items()),
    ]
    page.table(assumptions, caption="What the numbers rest on")
    page.text(
        "Files: scenario/ (the scenario folder), rosters/ (both rosters), tables/ (CSV of every table), patches/ (GeoJSON).",
        note=True,
    )
    page.attribution(
        ["Clients, carers and providers are synthetic, placed at real postcodes; no real person is shown."]
    )
    return page.write(folder / "index.html")


def _round_map(s: Scenario, ours: Roster, sq: Roster, new_map: Callable[..., folium.Map]) -> folium.Map:
    """The busiest carer's Monday round in each roster, drawn home to home."""
    m = None
    for roster, colour, label in ((sq, "#D55E00", "status quo"), (ours, "#0072B2", "patchplan")):
        day0 = [r for r in roster.rounds if r.day == 0 and r.stops]
        if not day0:
            continue
        rnd = max(day0, key=lambda r: (len(r.stops), r.carer_id))
        carer = s.carer(rnd.carer_id)
        points = [(carer.home.lat, carer.home.lon)]
        points += [
            (s.client(s.visit(x.visit_id).client_id).location.lat, s.client(s.visit(x.visit_id).client_id).location.lon)
            for x in rnd.stops
        ]
        points.append(points[0])
        if m is None:
            m = new_map(points[1], zoom=12)
        folium.PolyLine(
            points,
            color=colour,
            weight=3,
            opacity=0.8,
            tooltip=f"{label}: {rnd.carer_id}, {len(rnd.stops)} visits, {rnd.travel_min} min travel",
        ).add_to(m)
        for i, pt in enumerate(points[1:-1], start=1):
            folium.CircleMarker(
                pt, radius=5, color=colour, fill=True, fill_opacity=0.9, tooltip=f"{label} stop {i}"
            ).add_to(m)
        folium.CircleMarker(
            points[0], radius=7, color="#000", fill=True, fill_color=colour, tooltip=f"{label}: carer's home"
        ).add_to(m)
    return m if m is not None else new_map((51.8, 0.6))


def vars_of(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}


__all__ = ["DemoResult", "DemoSettings", "run_demo"]
