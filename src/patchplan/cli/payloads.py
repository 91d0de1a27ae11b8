"""What every command prints under ``--json``, and ``docs/output-format.md`` generated from it.

:data:`PAYLOADS` describes each command's JSON document key by key; :data:`OBJECTS` the objects that
several payloads share (a violation, an offer record, a design's headline...). The checker's rules, its
KPIs and the Charter's rules come from their registries (:mod:`patchplan.check.rules`,
:mod:`patchplan.check.kpis`, :mod:`patchplan.check.charter`), so the doc cannot drift from the code; a
test keeps the file in step with :func:`output_format_markdown` and runs commands to compare their keys
with these. Regenerate with ``python -m patchplan.cli.payloads > docs/output-format.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from patchplan.check.charter import CHARTER_RULES
from patchplan.check.kpis import COMPARE_KPIS, KPI_INFO, kpi_names
from patchplan.check.rules import RULE_INFO


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a JSON object: its meaning, and when it is there (empty: always)."""

    name: str
    meaning: str
    when: str = ""


@dataclass(frozen=True, slots=True)
class Payload:
    """A command's ``--json`` document: its shape and keys.

    ``shape`` is ``object`` (keys below) or ``list of X`` (each item an :data:`OBJECTS` entry ``X``).
    ``kpis`` says the object also holds every checker KPI; ``compare_kpis`` that it holds
    ``status_quo_<KPI>`` for the KPIs in the comparison table when the scenario has a status quo.
    """

    summary: str
    shape: str = "object"
    keys: tuple[Key, ...] = ()
    kpis: bool = False
    compare_kpis: bool = False


#: The key every object payload carries besides its own (lists do not).
WARNINGS_KEY = Key(
    "warnings", "The data-quality warnings raised (legal but surprising data), as the terminal shows them."
)

#: Every key of the error document printed on stdout when a command fails under ``--json``.
ERROR_KEYS = (
    Key("code", "The exit code: 1 internal error, 2 bad input, 3 the solver could not run."),
    Key("error", "The message (also printed on stderr)."),
)

_OFFER_RECORD = (
    Key("id", "Offer number in the store."),
    Key("package_id", "The package offered."),
    Key("provider_id", "The provider it is offered to."),
    Key("status", "offered, accepted, declined, expired or placed."),
    Key("reason", "Why it was declined (null otherwise)."),
    Key("offered_at", "When it was offered (UTC, ISO 8601)."),
    Key("decided_at", "When the provider answered (null: not yet)."),
    Key("placed_at", "When it was placed (null: not yet)."),
    Key("expires_at", "When an unanswered offer expires."),
    Key("broker", "Who made the offer."),
    Key("policy", "The brokerage policy that chose the provider."),
    Key("rank", "The provider's rank on the package's lot (null: spot market)."),
    Key("tier", "The provider's framework tier (3: spot)."),
    Key("added_travel_min_week", "Carer travel the package adds to the provider's rounds (null: unknown)."),
)

#: Objects that several payloads contain, by name.
OBJECTS: Mapping[str, tuple[Key, ...]] = {
    "violation": (
        Key("rule", "The rule broken (see Checker rules)."),
        Key("detail", "What is wrong, in words."),
        Key("visit_id", "The visit (null when the rule is about a round or carer)."),
        Key("carer_id", "The carer (null when the rule is about a visit)."),
        Key("day", "Day of the horizon, 0 first (null when not about one day)."),
        Key("amount", "How much, in the rule's unit (0 where no amount applies)."),
    ),
    "charter report": (
        Key("passed", "Every Charter rule passes."),
        Key("roster_passed", "Every rule a roster can fix passes (input rules aside)."),
        Key("failed_rules", "Names of the rules that fail."),
        Key("provider_id", "The roster's provider (null: all)."),
        Key("days", "Days the roster covers."),
        Key("floor", "The pay floor: name, label, gbp_h, source."),
        Key("pay", "The pay terms used (PayParams fields, the floor as above)."),
        Key("rules", "One charter rule object per rule, in the order of Charter rules."),
    ),
    "charter rule": (
        Key("name", "The rule's name (see Charter rules)."),
        Key("title", "The rule in words."),
        Key("scope", "input (only commissioning can fix it) or roster."),
        Key("passed", "No failures."),
        Key("unit", "Unit of each failure's amount."),
        Key("measures", "The rule's headline numbers (name -> number)."),
        Key("failures", "Who fails: objects with who, detail, amount."),
    ),
    "shortlist offer": (
        Key("provider_id", "The provider."),
        Key("provider_name", "Its name."),
        Key("tier", "Framework tier (3: spot market)."),
        Key("rank", "Rank on the package's lot (null: spot)."),
        Key("feasible", "It can take the package (capacity and rounds)."),
        Key("capacity_ok", "It has the hours in every time band."),
        Key("fits_rounds", "The visits fit its carers' rounds."),
        Key("added_travel_min_week", "Carer travel the package adds, minutes a week (null: not computed)."),
        Key("added_travel_min_day", "The same, minutes a day."),
        Key("in_patch", "The package's client is in the provider's patch (null: no patches)."),
        Key("rate_gbp_h", "The provider's hourly rate, £."),
        Key("weekly_cost_gbp", "The package's cost a week with this provider, £."),
        Key("reason", "One line for the broker."),
        Key("short_bands", "Time bands it is short of hours in."),
        Key("chosen", "The policy offers the package to this provider."),
    ),
    "offer record": _OFFER_RECORD,
    "audit row": (
        Key("id", "Row number."),
        Key("at", "When (UTC, ISO 8601)."),
        Key("actor", "Who."),
        Key("action", "seed, offer, accept, decline, expire or place."),
        Key("offer_id", "The offer (null for a seed)."),
        Key("package_id", "The package (null for a seed)."),
        Key("provider_id", "The provider (null for a seed)."),
        Key("detail", "What happened, in words."),
    ),
    "transfer": (
        Key("kind", "transfer (one package) or swap (two packages trade providers)."),
        Key("package_id", "The package that moves."),
        Key("from_provider", "Its provider today."),
        Key("to_provider", "The provider it moves to."),
        Key("saving_min_week", "Carer travel saved over the horizon, minutes (both packages for a swap)."),
        Key("rank", "The destination's rank on the package's lot (null: spot market)."),
        Key("reason", "One line for the broker."),
        Key("hours_week", "The package's weekly hours."),
        Key("removal_min_week", "Travel the giving provider(s) save, minutes."),
        Key("insertion_min_week", "Travel the taking provider(s) add, minutes."),
        Key("new_trips", "Calls that fit no existing round and need a trip of their own."),
        Key("swap_package_id", "For a swap: the package coming back (null otherwise)."),
        Key("swap_rank", "For a swap: the giving provider's rank on that package's lot (null otherwise)."),
    ),
    "design headline": (
        Key("design", "The design's name (today, districts, prime, k=N, hours=H or a file name)."),
        Key("patches", "Number of patches (0 for today)."),
        Key("travel_hours_week", "Carer travel, hours a week."),
        Key("travel_km_week", "Carer travel, km a week."),
        Key("travel_miles_week", "Carer travel, miles a week."),
        Key("travel_cost_gbp_week", "Cost of the travel: car mileage and carers' pay for travel time, £ a week."),
        Key("co2_kg_week", "CO2 of the car travel, kg a week."),
        Key("carer_hours_week", "Paid carer hours a week (leaving home to coming back: care, travel, waiting)."),
        Key("carers_needed", "Carers with at least one round in the planned weeks."),
        Key("care_hours_week", "Care hours delivered a week."),
        Key("unplaced_hours", "Hours a week no provider could take."),
        Key("spot_hours", "Hours a week placed on the spot market."),
        Key("distinct_carers_per_client_mean", "Mean distinct carers a client sees."),
        Key("distinct_carers_per_client_max", "The most distinct carers any client sees in the week."),
        Key("top_two_share", "Mean share of a client's visits by their two most frequent carers."),
        Key("seen_before_share", "Share of visits by a carer who had seen the client before."),
        Key("provider_load_cv", "Coefficient of variation of care hours between providers."),
        Key("violations", "Checker violations over every roster."),
        Key("runtime_s", "Seconds the evaluation took."),
    ),
    "patch": (
        Key("id", "Patch id."),
        Key("name", "Patch name (from its places)."),
        Key("areas", "Small areas in the patch."),
        Key("demand_hours", "Care hours a week in the patch."),
        Key("balance", "demand_hours / the mean over patches."),
        Key("centre", "The area that minimises demand-weighted travel (null: empty patch)."),
        Key("compactness_min", "Demand-weighted mean travel to the centre, minutes."),
        Key("diameter_min", "Longest travel between two of its areas, minutes."),
    ),
    "district demand": (
        Key("district_id", "ONS district code."),
        Key("district", "District name."),
        Key("packages", "Packages awaiting a provider."),
        Key("clients", "Distinct clients."),
        Key("hours_awaiting", "Hours a week awaiting."),
        Key("overdue", "Packages past their response deadline."),
        Key("ageing", "Packages by days waiting (bucket label -> count)."),
        Key("by_band", "Hours a week by time band (bands with hours only)."),
        Key("by_service", "Hours a week by service type."),
    ),
    "user": (
        Key("id", "User number."),
        Key("username", "The user name."),
        Key("role", "broker, provider, commissioner or admin."),
        Key("provider_id", "The provider a provider user is bound to (null otherwise)."),
        Key("active", "False once disabled."),
    ),
    "move": (
        Key("visit_id", "The visit."),
        Key("from", "Carers it had before (empty: unassigned)."),
        Key("to", "Carers it has now (empty: unassigned)."),
    ),
}

_SCENARIO_FIGURES = (
    Key("districts", "Districts covered."),
    Key("clients", "Clients with a placed package."),
    Key("hours_week", "Placed hours a week."),
    Key("personal_care_hours", "Of which personal care."),
    Key("night_live_in_hours", "Of which nights and live-in care."),
    Key("personal_care_older_hours", "Personal care for older people."),
    Key("personal_care_working_age_hours", "Personal care for working-age adults."),
    Key("night_live_in_older_hours", "Nights and live-in for older people."),
    Key("night_live_in_working_age_hours", "Nights and live-in for working-age adults."),
)
_SCENARIO_EXTRA = (
    Key("visits_week", "Visits of placed packages over the horizon."),
    Key("double_up_visits_week", "Of which need two carers."),
    Key("providers_tier1", "Tier-1 framework providers."),
    Key("providers_tier2", "Tier-2 framework providers."),
    Key("providers_spot", "Spot-market providers."),
    Key("framework_lots", "Framework lots."),
    Key("spot_hours", "Placed hours a week with spot providers."),
    Key("carers", "Carers."),
    Key("backlog_packages", "Packages awaiting a provider."),
    Key("backlog_hours", "Their hours a week."),
    Key("backlog_rural_share", "Share of the backlog's clients in rural areas."),
    Key("clients_rural_share", "Share of clients in rural areas."),
    Key("status_quo_miles_between_visits", "Mean miles between visits in the status quo.", "with a status quo"),
    Key("status_quo_unassigned_visits", "Visits the status quo leaves unassigned.", "with a status quo"),
)
_BENCH_RESULT = (
    Key("instance", "The instance's name."),
    Key("vehicles", "Routes used."),
    Key("distance", "Total distance (the instance's own metric)."),
    Key("objective", "The instance's objective (Solomon: distance)."),
    Key("total_tardiness", "Total tardiness (HHCRSP; 0 for Solomon)."),
    Key("max_tardiness", "Largest tardiness (HHCRSP; 0 for Solomon)."),
    Key("runtime_s", "Seconds."),
    Key("feasible", "No violation and nothing unassigned (judged by the independent checker)."),
    Key("unassigned", "Customers left unassigned."),
    Key("violations", "Checker violations."),
)

#: Every command's ``--json`` document, by command line.
PAYLOADS: Mapping[str, Payload] = {
    "about": Payload(
        "Version and data attribution.",
        keys=(
            Key("version", "patchplan's version."),
            Key("data", "Folder of the embedded open data."),
            Key("attribution", "Attribution lines of the embedded data (Open Government Licence)."),
        ),
    ),
    "scenario essex": Payload(
        "The generated scenario's figures (as `scenario facts`, flattened).",
        keys=(
            Key("out", "The folder written."),
            Key("runtime_s", "Seconds."),
            Key("weeks", "Weeks of calls the folder holds (--weeks; the figures are the first week's)."),
            *_SCENARIO_FIGURES,
            *_SCENARIO_EXTRA,
        ),
    ),
    "scenario facts": Payload(
        "A scenario's totals next to the published figures they aim at.",
        keys=(
            Key("figures", "The scenario's totals: " + ", ".join(k.name for k in _SCENARIO_FIGURES) + "."),
            Key("expected", "The published figures scaled the same way (empty for a scenario not generated here)."),
            Key("extra", "Other totals: " + ", ".join(k.name for k in _SCENARIO_EXTRA) + "."),
        ),
    ),
    "validate": Payload(
        "A valid folder's counts (an invalid one is an error document, exit 2).",
        keys=(
            Key("valid", "Always true (invalid folders fail)."),
            Key("clients", "Clients."),
            Key("packages", "Packages."),
            Key("visits", "Visits."),
            Key("providers", "Providers."),
            Key("carers", "Carers."),
            Key("shifts", "Shifts."),
        ),
    ),
    "rounds": Payload(
        "The plan's KPIs (also written to kpis.json with --out), beside the status quo's.",
        keys=(
            Key("provider", "The provider planned."),
            Key("days", "Days planned, comma-separated day numbers (0 first)."),
            Key("days_planned", "How many days were planned."),
            Key(
                "days_requested", "How many were asked for (7 with --week; fewer planned when the scenario ends first)."
            ),
            Key("unassigned_visits", "Visits left unassigned (= visits_unassigned)."),
            Key("violations", "Checker violations of the plan (0 for a correct plan)."),
            Key("runtime_s", "Seconds of planning."),
            Key(
                "start_served",
                "Visits the plan's floor (the coordinator's rule or the greedy) served, beside what the plan serves.",
                "without --template",
            ),
            Key("solver_status", "The solver statuses of the days, e.g. success,fail_timeout.", "without --template"),
            Key("changes_vs_template", "Visits whose carer differs from the template's.", "with --template"),
            Key(
                "care_teams",
                "Clients given a care team for the plan (CP-SAT, rounds.careteams); null when none was made.",
                "without --template",
            ),
            Key(
                "continuity_breaks",
                "Served calls whose carer is outside the client's care team.",
                "without --template",
            ),
            Key(
                "continuity_breaks_by_reason",
                "The breaks by reason: team_off_shift (no team member on shift then), team_lacks_skill, "
                "team_fully_booked (members on shift, but their rounds could not take it).",
                "without --template",
            ),
        ),
        kpis=True,
        compare_kpis=True,
    ),
    "check": Payload(
        "Every violation and every KPI of any roster.",
        keys=(
            Key("violations", "Number of violations."),
            Key("violation_list", "Every violation (violation objects), in checker order."),
            Key("charter", "The Ethical Care Charter report (charter report object).", "with --charter"),
        ),
        kpis=True,
    ),
    "replan": Payload(
        "The re-plan's moves and headline numbers.",
        keys=(
            Key("moves", "Visits whose carers changed."),
            Key("pinned", "Visits pinned because they had started before --now."),
            Key("unassigned_visits", "Visits unassigned after the re-plan."),
            Key("travel_min", "Travel of the new roster (checker KPI)."),
            Key("violations", "Checker violations of the new roster."),
            Key("runtime_s", "Seconds."),
            Key("moved", "The moves (move objects; also moves.json with --out)."),
        ),
    ),
    "bench solomon": Payload("One Solomon instance solved and checked (always JSON).", keys=_BENCH_RESULT),
    "bench hhcrsp": Payload("One HHCRSP instance solved and checked (always JSON).", keys=_BENCH_RESULT),
    "broker shortlist": Payload("The package's providers in framework order.", shape="list of shortlist offer"),
    "broker allocate": Payload(
        "The backlog placed jointly, beside the plain cascade.",
        keys=(
            Key("policy", "The policy."),
            Key("packages", "Packages awaiting a provider."),
            Key("hours_awaiting", "Their hours a week."),
            Key("hours_placed", "Hours a week the joint allocation places."),
            Key("cascade_hours_placed", "Hours a week the plain cascade places."),
            Key("added_travel_min", "Carer travel the joint allocation adds, minutes a week."),
            Key("cascade_added_travel_min", "The same for the cascade."),
            Key("spot_hours", "Hours a week the joint allocation places on the spot market."),
            Key("cascade_spot_hours", "The same for the cascade."),
            Key("unplaced_packages", "Packages the joint allocation cannot place."),
            Key("cascade_unplaced_packages", "The same for the cascade."),
            Key("runtime_s", "Seconds for the joint allocation."),
            Key("cascade_runtime_s", "Seconds for the cascade."),
            Key("shortages", "Up to 10 lines on where hours are short."),
        ),
    ),
    "patches design": Payload(
        "The design written as GeoJSON, and each patch's balance and compactness.",
        keys=(
            Key("patches", "Number of patches."),
            Key("problems", "What is wrong with the design (empty: contiguous and complete)."),
            Key("out", "The GeoJSON file written."),
            Key("per_patch", "One patch object per patch."),
        ),
    ),
    "patches compare": Payload("Each design evaluated end to end.", shape="list of design headline"),
    "demo": Payload(
        "The demo's headline numbers.",
        keys=(
            Key("scenario", "Scenario name."),
            Key("clients", "Clients."),
            Key("hours_week", "Placed hours a week."),
            Key("backlog_packages", "Packages in the backlog."),
            Key("cascade_hours_placed", "Backlog hours a week the cascade places."),
            Key("joint_hours_placed", "Backlog hours a week the joint allocation places."),
            Key("cascade_added_travel_min", "Travel the cascade adds, minutes a week."),
            Key("joint_added_travel_min", "Travel the joint allocation adds, minutes a week."),
            Key("provider", "The provider whose week is planned."),
            Key("travel_min", "Its travel with patchplan's rounds, minutes."),
            Key("status_quo_travel_min", "Its travel in the status quo, minutes."),
            Key("travel_change_pct", "Change of travel against the status quo, %."),
            Key("on_time_share", "On-time share with patchplan's rounds."),
            Key("status_quo_on_time_share", "The same in the status quo."),
            Key("distinct_carers_per_client_mean", "Distinct carers per client with patchplan's rounds."),
            Key("status_quo_distinct_carers_per_client_mean", "The same in the status quo."),
            Key("distinct_carers_per_client_max", "The most distinct carers any client sees, patchplan's rounds."),
            Key("status_quo_distinct_carers_per_client_max", "The same in the status quo."),
            Key("top_two_share", "Mean share of a client's visits by their two most frequent carers, patchplan's."),
            Key("status_quo_top_two_share", "The same in the status quo."),
            Key("unassigned_visits", "Visits unassigned by patchplan's rounds."),
            Key("status_quo_unassigned_visits", "The same in the status quo."),
            Key("violations", "Checker violations of patchplan's rounds."),
            Key("designs", "Per patch design: travel_hours_week and co2_kg_week."),
            Key("patches_mode", "fast or full."),
            Key("runtime_s", "Seconds."),
            Key("report", "The report's index.html."),
        ),
    ),
    "demand summary": Payload(
        "Hours awaiting a provider, overall and by district, with ageing.",
        keys=(
            Key("today", "The date the feed is aged at."),
            *OBJECTS["district demand"][2:],
            Key("by_district", "The same figures per district (district demand objects)."),
        ),
    ),
    "demand publish": Payload(
        "What was published for providers (no personal data; small cells merged or suppressed).",
        keys=(
            Key("out", "The folder written."),
            Key("level", "msoa, sector or district."),
            Key("k", "Smallest number of people a published cell may describe."),
            Key("packages", "Packages in the feed."),
            Key("hours_total", "Their hours a week."),
            Key("cells", "Cells published."),
            Key("cells_fine", "Cells published as they are."),
            Key("hours_fine", "Their hours a week."),
            Key("cells_merged", "Cells made by merging small ones."),
            Key("hours_merged", "Their hours a week."),
            Key("merged_from", "Fine cells whose hours went into a merged cell."),
            Key("suppressed_cells", "Cells still under k after merging (only in district totals)."),
            Key("suppressed_hours", "Their hours a week."),
            Key("suppressed_districts", "Districts with a suppressed total row."),
            Key("files", "Files written."),
        ),
    ),
    "transfers": Payload(
        "Package moves and swaps between providers that cut travel, best first.",
        keys=(
            Key("district", "The district asked for (null: all)."),
            Key("moves", "Moves found."),
            Key("swaps", "Of which swaps."),
            Key("packages", "Packages moved."),
            Key("saving_min_week", "Carer travel saved, minutes a week."),
            Key("runtime_s", "Seconds."),
            Key("transfers", "The moves (transfer objects)."),
        ),
    ),
    "offers offer": Payload("The offer made.", keys=_OFFER_RECORD),
    "offers accept": Payload("The offer accepted.", keys=_OFFER_RECORD),
    "offers place": Payload("The offer placed.", keys=_OFFER_RECORD),
    "offers decline": Payload(
        "The offer declined, and the next provider to offer it to.",
        keys=(
            Key("offer", "The offer (offer record object)."),
            Key("next_provider", "The next provider (shortlist offer object without chosen), or null."),
        ),
    ),
    "offers expire": Payload("Offers expired.", keys=(Key("expired", "Ids of the offers expired."),)),
    "offers list": Payload("Offers, oldest first.", shape="list of offer record"),
    "offers audit": Payload("The audit trail, oldest first.", shape="list of audit row"),
    "serve": Payload(
        "With --demo, before serving: where, and the demo accounts (passwords shown once). Without --demo, nothing.",
        keys=(
            Key("url", "The service's address."),
            Key("db", "The demo database."),
            Key("accounts", "The demo accounts: username, role, provider_id, password."),
        ),
    ),
    "users add": Payload(
        "The user added (a user object), with the password when it was made up.",
        keys=(
            *OBJECTS["user"],
            Key("password", "The random password, printed once.", "when --password was not given"),
        ),
    ),
    "users list": Payload("The users (never their passwords).", shape="list of user"),
    "users disable": Payload("The user disabled.", keys=OBJECTS["user"]),
}


def payload_keys(command: str) -> tuple[set[str], set[str]]:
    """(keys always there, keys sometimes there) of a command's object payload."""
    p = PAYLOADS[command]
    keys = p.keys if p.shape == "object" else OBJECTS[p.shape.removeprefix("list of ")]
    always = {k.name for k in keys if not k.when} | ({WARNINGS_KEY.name} if p.shape == "object" else set())
    sometimes = {k.name for k in keys if k.when}
    if p.kpis:
        always |= set(kpi_names())
    if p.compare_kpis:
        sometimes |= {f"status_quo_{k}" for k in COMPARE_KPIS}
    return always, sometimes


def _table(keys: tuple[Key, ...]) -> list[str]:
    lines = ["| key | meaning |", "|---|---|"]
    for k in keys:
        lines.append(f"| `{k.name}` | {k.meaning}{f' (only {k.when})' if k.when else ''} |")
    return lines


def output_format_markdown() -> str:
    """``docs/output-format.md``, generated from the registries and :data:`PAYLOADS`."""
    lines = [
        "# Output format",
        "",
        (
            "<!-- Generated by `python -m patchplan.cli.payloads`; edit src/patchplan/cli/payloads.py, "
            "src/patchplan/check/rules.py, kpis.py or charter.py instead. -->"
        ),
        "",
        (
            "What patchplan's checker reports (rules and KPIs), what the Ethical Care Charter check reports, "
            "and the JSON document every command prints on stdout with `--json`."
        ),
        "",
        "## Checker rules",
        "",
        (
            "A violation names its `rule` and says what is wrong in `detail`; the fields below say where it is "
            "(`visit_id`, `carer_id`, `day`, the others are null) and `amount` says how much."
        ),
        "",
        "| rule | meaning | where (fields set) | amount |",
        "|---|---|---|---|",
    ]
    for rule, info in RULE_INFO.items():
        fields = ", ".join(f"`{f}`" for f in info.fields)
        lines.append(f"| `{rule.value}` | {info.meaning} | {fields} | {info.amount or '-'} |")
    lines += ["", "## KPIs", "", "| KPI | unit | definition |", "|---|---|---|"]
    for name in kpi_names():
        kpi = KPI_INFO[name]
        lines.append(f"| `{name}` | {kpi.unit} | {kpi.definition} |")
    lines += [
        "",
        "## Charter rules",
        "",
        (
            "`check --charter` adds UNISON's Ethical Care Charter rules (see `patchplan.check.charter`). "
            "A rule of scope `input` only commissioning can fix; `roster` rules a roster can."
        ),
        "",
        "| rule | title | scope | unit of a failure's amount |",
        "|---|---|---|---|",
    ]
    for name, c in CHARTER_RULES.items():
        lines.append(f"| `{name.value}` | {c.title} | {c.scope} | {c.unit} |")
    lines += [
        "",
        "## Errors under --json",
        "",
        (
            "When a command fails, the message goes to stderr and, with `--json`, this document to stdout; "
            "the exit code is the same."
        ),
        "",
        *_table(ERROR_KEYS),
        "",
        "## --json payloads",
        "",
        (
            "Keys in the order printed. Every object payload (not the lists) also ends with "
            f"`{WARNINGS_KEY.name}`: {WARNINGS_KEY.meaning[0].lower()}{WARNINGS_KEY.meaning[1:]}"
        ),
    ]
    for command, p in PAYLOADS.items():
        lines += ["", f"### `patchplan {command} --json`" if "bench" not in command else f"### `patchplan {command}`"]
        lines += ["", p.summary]
        if p.shape != "object":
            lines += ["", f"A JSON list; each item is a *{p.shape.removeprefix('list of ')}* object (below)."]
            continue
        lines += ["", *_table(p.keys)]
        if p.kpis:
            lines += ["", "Also every KPI (see KPIs), by its name."]
        if p.compare_kpis:
            lines += [
                "",
                "With a status quo in the scenario, also `status_quo_<KPI>` for: "
                + ", ".join(f"`{k}`" for k in COMPARE_KPIS)
                + ".",
            ]
    lines += ["", "## Shared objects"]
    for name, keys in OBJECTS.items():
        lines += ["", f"### {name}", "", *_table(keys)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(output_format_markdown(), end="")
