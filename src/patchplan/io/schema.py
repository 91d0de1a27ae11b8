"""The scenario folder's files and columns, in one place.

:mod:`patchplan.io` reads and writes by these specs, and
``docs/input-format.md`` is generated from them (a test keeps the two
equal), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from patchplan.core.model import (
    BAND_NAMES,
    COHORTS,
    GENDERS,
    MODES,
    PACKAGE_STATUSES,
    SERVICE_TYPES,
    URGENCIES,
    WEEKDAYS,
)


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its type, whether it must be there, and what it means.

    Kinds: ``id`` (non-empty text without surrounding spaces), ``text``,
    ``int``, ``float``, ``date`` (YYYY-MM-DD), ``time`` (HH:MM, hours may
    exceed 23 for times after midnight), ``list`` (values separated by
    ``;``), ``enum`` (one of ``choices``), ``tier`` (1, 2 or spot).
    """

    name: str
    kind: str
    doc: str
    #: The column must be present in the file.
    required: bool = True
    #: A cell may be empty (then ``default`` applies).
    nullable: bool = False
    default: object = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    #: Largest value that makes sense (and that the solver can represent).
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class FileSpec:
    name: str
    doc: str
    columns: tuple[Column, ...]
    required: bool = True

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _location_columns(what: str) -> tuple[Column, ...]:
    return (
        Column(
            "postcode",
            "text",
            f"UK postcode of the {what}; looked up offline in the embedded table "
            "(Essex). Give `postcode` or `lat`/`lon` (or both).",
            required=False,
            nullable=True,
        ),
        Column("lat", "float", f"latitude of the {what} (WGS84)", required=False, nullable=True, unit="degrees"),
        Column("lon", "float", f"longitude of the {what} (WGS84)", required=False, nullable=True, unit="degrees"),
    )


SPECS: tuple[FileSpec, ...] = (
    FileSpec(
        "districts.csv",
        "The council's districts. Only read when `geography` is not `essex` "
        "(the embedded Essex geography brings its 12 districts).",
        (
            Column("id", "id", "district code, e.g. E07000071"),
            Column("name", "text", "district name, e.g. Colchester"),
        ),
        required=False,
    ),
    FileSpec(
        "areas.csv",
        "Small areas (LSOA 2021). Only read when `geography` is not `essex`.",
        (
            Column("id", "id", "small-area code"),
            Column("name", "text", "small-area name"),
            Column("district", "id", "district id (districts.csv)"),
            Column("neighbourhood", "text", "neighbourhood (MSOA) name, used to name patches"),
            Column("lat", "float", "centroid latitude", unit="degrees"),
            Column("lon", "float", "centroid longitude", unit="degrees"),
            Column("urban", "int", "1 if urban, 0 if rural (ONS RUC 2021)", choices=("0", "1")),
            Column("pop_total", "int", "usual residents (Census 2021)", minimum=0),
            Column("pop_16_64", "int", "residents aged 16-64", minimum=0),
            Column("pop_65_plus", "int", "residents aged 65+", minimum=0),
            Column("health_decile", "int", "IMD 2019 health deprivation decile, 1 = most deprived", minimum=1),
            Column("area_km2", "float", "area", unit="km2", minimum=0),
        ),
        required=False,
    ),
    FileSpec(
        "providers.csv",
        "Care providers: framework providers (tier 1 or 2) and spot-market providers.",
        (
            Column("id", "id", "provider id"),
            Column("name", "text", "provider name"),
            Column("tier", "tier", "framework tier: 1 (higher quality), 2, or `spot` (off framework)"),
            Column("rate_gbp_h", "float", "hourly rate charged to the council", unit="GBP/hour", minimum=0),
            Column(
                "capacity_hours_week", "float", "care hours a week it can deliver in total", unit="hours", minimum=0
            ),
            Column("patches", "list", "patch ids it serves", required=False, nullable=True, default=""),
        ),
    ),
    FileSpec(
        "provider_capacity.csv",
        "Capacity by weekday and time band (the morning peak runs out first). "
        f"Bands: {', '.join(BAND_NAMES)}. A provider with no rows here has no band limits.",
        (
            Column("provider_id", "id", "provider (providers.csv)"),
            Column("weekday", "enum", "day of the week", choices=WEEKDAYS),
            Column("band", "enum", "time band", choices=BAND_NAMES),
            Column("hours", "float", "care hours it can deliver in that band on that weekday", unit="hours", minimum=0),
        ),
        required=False,
    ),
    FileSpec(
        "branches.csv",
        "Provider offices; carers live near them.",
        (
            Column("id", "id", "branch id"),
            Column("provider_id", "id", "provider (providers.csv)"),
            Column("name", "text", "branch name"),
            Column("district", "id", "district the branch is in"),
            *_location_columns("branch"),
        ),
    ),
    FileSpec(
        "framework.csv",
        "The ranked lists: one per lot (district x service type x cohort), providers offered packages in `rank` order.",
        (
            Column("district", "id", "district id"),
            Column("service_type", "enum", "service type", choices=SERVICE_TYPES),
            Column("cohort", "enum", "client cohort", choices=COHORTS),
            Column("rank", "int", "position on the list, 1 = offered first", minimum=1),
            Column("provider_id", "id", "provider (providers.csv)"),
        ),
    ),
    FileSpec(
        "clients.csv",
        "People receiving or awaiting care. Personal data: patchplan never logs it.",
        (
            Column("id", "id", "client id"),
            *_location_columns("client's home"),
            Column(
                "area_id",
                "id",
                "small area; derived from the postcode or point when empty",
                required=False,
                nullable=True,
            ),
            Column("district", "id", "district; derived from the area when empty", required=False, nullable=True),
            Column("cohort", "enum", "cohort (framework lot)", choices=COHORTS),
            Column(
                "gender", "enum", "client's gender", required=False, nullable=True, default="unknown", choices=GENDERS
            ),
            Column(
                "gender_preference",
                "enum",
                "gender of carer asked for; empty = no preference",
                required=False,
                nullable=True,
                choices=("female", "male"),
            ),
        ),
    ),
    FileSpec(
        "client_carers.csv",
        "Relations between clients and carers: `known` (history: carers who "
        "have visited, with how many visits), `preferred` and `prohibited`.",
        (
            Column("client_id", "id", "client (clients.csv)"),
            Column("carer_id", "id", "carer (carers.csv)"),
            Column("relation", "enum", "kind of relation", choices=("known", "preferred", "prohibited")),
            Column("visits", "int", "visits seen (for `known`)", required=False, nullable=True, default=0, minimum=0),
        ),
        required=False,
    ),
    FileSpec(
        "packages.csv",
        "What the council commissioned for each client.",
        (
            Column("id", "id", "package id"),
            Column("client_id", "id", "client (clients.csv)"),
            Column("service_type", "enum", "service type", choices=SERVICE_TYPES),
            Column(
                "hours_week",
                "float",
                "commissioned care hours a week (a double-up call counts twice)",
                unit="hours",
                minimum=0,
            ),
            Column("start_date", "date", "first day of care"),
            Column("urgency", "enum", "urgency", required=False, nullable=True, default="routine", choices=URGENCIES),
            Column(
                "status",
                "enum",
                "brokerage status",
                required=False,
                nullable=True,
                default="placed",
                choices=PACKAGE_STATUSES,
            ),
            Column("provider_id", "id", "provider, when placed or offered", required=False, nullable=True),
            Column("received", "date", "date the request reached brokerage", required=False, nullable=True),
        ),
    ),
    FileSpec(
        "call_patterns.csv",
        "Recurring calls: one row is one call of a package that recurs on some weekdays "
        '("Mon-Fri 08:00 for 45 min, double-up"). Each row expands to a dated visit on every day of the '
        "horizon it runs on: its weekdays, in the week of `first_week` and every `every_n_weeks` weeks "
        "after (never before), between `from` and `until`, except the `except_dates`. The window is as in "
        "visits.csv; when `earliest`/`latest` are empty the call may start from an hour before `time` (but "
        "not before 06:30, unless `time` is earlier) until an hour after it (so `latest` = `time` + 60 min + "
        "`duration_min`); a window as long as the call (`earliest` = `time`, `latest` = `time` + "
        "`duration_min`) is fixed-time. Weeks run Monday to Sunday. In a CSV, a list of days with commas "
        'must be quoted (`"Mon,Wed,Fri"`, as spreadsheets save it) or written `Mon;Wed;Fri`.\n\n'
        "**Visit ids** are stable: the same call on the same date always gets the same id, whatever the "
        "horizon. A package's calls of a week are numbered from 01, weekday by weekday (Monday first) and "
        "within a day in the order of the package's rows (every row that runs on that weekday counts, "
        "whatever its dates or fortnight); the id is `{package_id}-{nn}` in the week of `first_week` (the "
        "week the scenario starts when empty) and `{package_id}-{nn}-w{k}` k weeks later. A package with "
        "rows for 08:00 and 20:00 daily has `PK1-01` (Monday 08:00), `PK1-02` (Monday 20:00), `PK1-03` "
        "(Tuesday 08:00), ... and `PK1-01-w1` the Monday after. Editing a package's rows renumbers that "
        "package's visits only.\n\n"
        "**One-off changes.** visits.csv stays for one-off calls and overrides: a dated visit with the id "
        "of a patterned one replaces it on that date (same package), e.g. a row `PK1-03` dated Tuesday "
        "2026-12-01 with `earliest` 09:00 moves that one call of the example; a visit with a new id is an "
        "extra call. To cancel one patterned call, list its date in the row's `except_dates`; for a "
        "client in hospital for a while, or a call that ends, give `from`/`until`. A scenario written by patchplan keeps the patterns here and only the visits that "
        "differ from them (overrides and one-offs) in visits.csv.",
        (
            Column("package_id", "id", "package (packages.csv); the client is the package's"),
            Column(
                "weekdays",
                "weekdays",
                "days of the week it runs: `Mon-Fri`, `Mon,Wed,Fri`, `daily`, `weekdays`, `Sat-Sun`, `Fri-Mon`",
            ),
            Column("time", "time", "preferred start", unit="HH:MM"),
            Column("duration_min", "int", "length of the call", unit="minutes", minimum=1),
            Column(
                "tolerance_min",
                "int",
                "free deviation from `time`",
                required=False,
                nullable=True,
                default=30,
                unit="minutes",
                minimum=0,
            ),
            Column(
                "earliest",
                "time",
                "earliest start; empty = the default window",
                required=False,
                nullable=True,
                unit="HH:MM",
            ),
            Column(
                "latest",
                "time",
                "latest finish (e.g. 25:00 = 01:00 next day); empty = the default window",
                required=False,
                nullable=True,
                unit="HH:MM",
            ),
            Column(
                "carers_required",
                "int",
                "1, or 2 for a double-up",
                required=False,
                nullable=True,
                default=1,
                minimum=1,
            ),
            Column(
                "skills", "list", "skills a carer must hold (all of them)", required=False, nullable=True, default=""
            ),
            Column(
                "label",
                "text",
                "what the call is (morning, lunch, tea, bed, night)",
                required=False,
                nullable=True,
                default="",
            ),
            Column(
                "every_n_weeks",
                "int",
                "runs every n weeks (2 = fortnightly)",
                required=False,
                nullable=True,
                default=1,
                minimum=1,
            ),
            Column(
                "first_week",
                "date",
                "a day of the first week it runs (anchors fortnights and ids); empty = the scenario's first week",
                required=False,
                nullable=True,
            ),
            Column("from", "date", "first date it may run", required=False, nullable=True),
            Column("until", "date", "last date it may run", required=False, nullable=True),
            Column(
                "except_dates",
                "list",
                "dates (YYYY-MM-DD) it does not run: one-off cancellations",
                required=False,
                nullable=True,
                default="",
            ),
        ),
        required=False,
    ),
    FileSpec(
        "visits.csv",
        "Every dated visit (call) in the horizon that is not a recurring call of call_patterns.csv: "
        "one-off calls, and overrides (a visit with the id of a patterned one replaces it on its date). "
        "The window is when the care "
        "happens: start no earlier than `earliest`, finish no later than "
        "`latest`. A visit whose window equals its duration is fixed-time "
        "(e.g. time-critical medication). Live-in packages have no visits. Required unless "
        "call_patterns.csv is given.",
        (
            Column("id", "id", "visit id"),
            Column("package_id", "id", "package (packages.csv)"),
            Column("client_id", "id", "client; derived from the package when empty", required=False, nullable=True),
            Column("date", "date", "day of the visit (inside the horizon)"),
            Column("earliest", "time", "earliest start, on `date`", unit="HH:MM"),
            Column("latest", "time", "latest finish, on `date` (e.g. 25:00 = 01:00 next day)", unit="HH:MM"),
            Column("duration_min", "int", "length of the visit", unit="minutes", minimum=1),
            Column(
                "preferred",
                "time",
                "preferred start; starting more than `tolerance_min` away costs lateness/earliness",
                required=False,
                nullable=True,
                unit="HH:MM",
            ),
            Column(
                "tolerance_min",
                "int",
                "free deviation from `preferred`",
                required=False,
                nullable=True,
                default=0,
                unit="minutes",
                minimum=0,
            ),
            Column(
                "carers_required",
                "int",
                "1, or 2 for a double-up (both start together)",
                required=False,
                nullable=True,
                default=1,
                minimum=1,
            ),
            Column(
                "skills", "list", "skills a carer must hold (all of them)", required=False, nullable=True, default=""
            ),
            Column(
                "label",
                "text",
                "what the call is (morning, lunch, tea, bed, night)",
                required=False,
                nullable=True,
                default="",
            ),
            Column(
                "load",
                "int",
                "load units (benchmark instances only)",
                required=False,
                nullable=True,
                default=0,
                minimum=0,
            ),
        ),
        required=False,
    ),
    FileSpec(
        "visit_links.csv",
        "Timing links between two visits served by two different carers: "
        "start(second) - start(first) in [min_gap, max_gap].",
        (
            Column("first", "id", "visit id"),
            Column("second", "id", "visit id"),
            Column("min_gap", "int", "least gap", unit="minutes"),
            Column("max_gap", "int", "largest gap", unit="minutes"),
        ),
        required=False,
    ),
    FileSpec(
        "carers.csv",
        "Care workers. Home is where each shift starts and ends.",
        (
            Column("id", "id", "carer id"),
            Column("provider_id", "id", "employer (providers.csv)"),
            Column("branch_id", "id", "branch (branches.csv)", required=False, nullable=True),
            *_location_columns("carer's home"),
            Column("mode", "enum", "travel mode", required=False, nullable=True, default="car", choices=MODES),
            Column("skills", "list", "skills held", required=False, nullable=True, default=""),
            Column(
                "gender", "enum", "carer's gender", required=False, nullable=True, default="unknown", choices=GENDERS
            ),
            Column(
                "contracted_hours_week",
                "float",
                "guaranteed hours a week",
                required=False,
                nullable=True,
                default=0.0,
                unit="hours",
                minimum=0,
            ),
            Column(
                "max_hours_week",
                "float",
                "most hours a week (Working Time Regulations: 48)",
                required=False,
                nullable=True,
                default=48.0,
                unit="hours",
                minimum=0,
            ),
            Column("team", "id", "neighbourhood team", required=False, nullable=True),
        ),
    ),
    FileSpec(
        "shifts.csv",
        "When each carer is available: leaves home at `start` at the earliest, back by `end`. A carer may have "
        "several shifts a day (a split shift: a morning run and a tea/bed run, with the unpaid gap between them), "
        "never overlapping (also across midnight). The working-time rules apply across a carer's shifts: the "
        "20-minute break is counted over the day (the gap between two shifts is a break when long enough; a "
        "shift that starts less than a break after the previous one ends starts a break later), the weekly "
        "hours are shared between them, and nobody sets off less than 11 hours after their last return home "
        "(Working Time Regulations reg. 10).",
        (
            Column("carer_id", "id", "carer (carers.csv)"),
            Column("date", "date", "day of the shift"),
            Column("start", "time", "start", unit="HH:MM"),
            Column("end", "time", "end (may exceed 24:00 for a night shift)", unit="HH:MM"),
            Column(
                "max_work_min",
                "int",
                "most minutes of work (visits, travel, waiting); empty = the shift's length",
                required=False,
                nullable=True,
                unit="minutes",
                minimum=1,
            ),
        ),
    ),
    FileSpec(
        "patches.csv",
        "A patch design: one row per small area in a patch.",
        (
            Column("patch_id", "id", "patch id"),
            Column("name", "text", "patch name"),
            Column("area_id", "id", "small area in the patch"),
            Column("lead_provider_id", "id", "lead provider", required=False, nullable=True),
        ),
        required=False,
    ),
)

ROSTER_SPECS: tuple[FileSpec, ...] = (
    FileSpec(
        "roster.csv",
        "A roster: one row per carer per visit. Only `carer_id`, `date`, "
        "`visit_id` and `start` are needed for a hand-made roster; the checker "
        "recomputes travel and arrival from the travel model.",
        (
            Column("carer_id", "id", "carer (carers.csv)"),
            Column("date", "date", "day of the round"),
            Column("visit_id", "id", "visit (visits.csv)"),
            Column("start", "time", "start of care", unit="HH:MM"),
            Column("seq", "int", "order in the round; by `start` when empty", required=False, nullable=True, minimum=0),
            Column("arrival", "time", "arrival at the client", required=False, nullable=True, unit="HH:MM"),
            Column("end", "time", "end of care", required=False, nullable=True, unit="HH:MM"),
            Column(
                "travel_min",
                "int",
                "travel from the previous stop (or home)",
                required=False,
                nullable=True,
                default=0,
                unit="minutes",
                minimum=0,
            ),
            Column(
                "travel_m",
                "int",
                "distance from the previous stop (or home)",
                required=False,
                nullable=True,
                default=0,
                unit="metres",
                minimum=0,
            ),
        ),
    ),
    FileSpec(
        "rounds.csv",
        "Optional: when each round leaves and gets back home, and its return leg.",
        (
            Column("carer_id", "id", "carer"),
            Column("date", "date", "day"),
            Column("leave", "time", "leaves home", unit="HH:MM"),
            Column("back", "time", "back home", unit="HH:MM"),
            Column("return_min", "int", "travel home", unit="minutes", minimum=0),
            Column("return_m", "int", "distance home", unit="metres", minimum=0),
        ),
        required=False,
    ),
    FileSpec(
        "unassigned.csv",
        "Visits nobody takes, with the reason.",
        (
            Column("visit_id", "id", "visit"),
            Column("reason", "text", "reason code"),
            Column("detail", "text", "explanation for people", required=False, nullable=True, default=""),
        ),
        required=False,
    ),
)

#: Upper bounds, beyond which a value is a typo (a package of more hours than a
#: week has) or too large for the solver's integer times and costs. Times
#: (HH:MM) end before 48:00: the next morning at the latest.
_MAXIMA: dict[tuple[str, str], float] = {
    ("providers.csv", "rate_gbp_h"): 1_000,
    ("providers.csv", "capacity_hours_week"): 1_000_000,
    ("provider_capacity.csv", "hours"): 1_000_000,
    ("framework.csv", "rank"): 1_000,
    ("client_carers.csv", "visits"): 1_000_000,
    ("packages.csv", "hours_week"): 168,
    ("visits.csv", "duration_min"): 1_440,
    ("visits.csv", "tolerance_min"): 1_440,
    ("visits.csv", "load"): 1_000_000,
    ("call_patterns.csv", "duration_min"): 1_440,
    ("call_patterns.csv", "tolerance_min"): 1_440,
    ("call_patterns.csv", "carers_required"): 2,
    ("call_patterns.csv", "every_n_weeks"): 52,
    ("visit_links.csv", "min_gap"): 10_080,
    ("visit_links.csv", "max_gap"): 10_080,
    ("carers.csv", "contracted_hours_week"): 168,
    ("carers.csv", "max_hours_week"): 168,
    ("shifts.csv", "max_work_min"): 1_440,
    ("roster.csv", "seq"): 1_000_000,
    ("roster.csv", "travel_min"): 1_440,
    ("roster.csv", "travel_m"): 1_000_000,
    ("rounds.csv", "return_min"): 1_440,
    ("rounds.csv", "return_m"): 1_000_000,
    ("areas.csv", "area_km2"): 100_000,
    ("areas.csv", "pop_total"): 100_000_000,
    ("areas.csv", "pop_16_64"): 100_000_000,
    ("areas.csv", "pop_65_plus"): 100_000_000,
    ("areas.csv", "health_decile"): 10,
}
#: Least value of the gap columns (a link may run backwards, within a week).
_MINIMA: dict[tuple[str, str], float] = {
    ("visit_links.csv", "min_gap"): -10_080,
    ("visit_links.csv", "max_gap"): -10_080,
}
#: The latest time any HH:MM cell may give, in minutes: 47:59.
MAX_TIME_MIN = 2 * 24 * 60 - 1


def _bounded(spec: FileSpec) -> FileSpec:
    columns = []
    for col in spec.columns:
        key = (spec.name, col.name)
        high = MAX_TIME_MIN if col.kind == "time" else _MAXIMA.get(key, col.maximum)
        columns.append(dataclasses.replace(col, maximum=high, minimum=_MINIMA.get(key, col.minimum)))
    return dataclasses.replace(spec, columns=tuple(columns))


SPECS = tuple(_bounded(s) for s in SPECS)
ROSTER_SPECS = tuple(_bounded(s) for s in ROSTER_SPECS)
SPEC_BY_NAME = {s.name: s for s in SPECS + ROSTER_SPECS}

#: The file each model entity is read from: the model reports problems by
#: entity, record and field, and io places them (see :func:`column_of`).
ENTITY_FILES = {
    "district": "districts.csv",
    "area": "areas.csv",
    "client": "clients.csv",
    "client_carer": "client_carers.csv",
    "package": "packages.csv",
    "visit": "visits.csv",
    "call_pattern": "call_patterns.csv",
    "link": "visit_links.csv",
    "provider": "providers.csv",
    "branch": "branches.csv",
    "lot": "framework.csv",
    "carer": "carers.csv",
    "shift": "shifts.csv",
    "patch": "patches.csv",
    "roster_stop": "roster.csv",
    "unassigned": "unassigned.csv",
}

#: Model field names that differ from the column they are read from.
FIELD_COLUMNS = {
    ("visit", "early"): "earliest",
    ("visit", "late"): "latest",
    ("visit", "target"): "preferred",
    ("package", "start"): "start_date",
    ("lot", "providers"): "provider_id",
    ("patch", "area_ids"): "area_id",
    ("call_pattern", "from_date"): "from",
}
#: Fields named the same way by every entity that has them.
_ANY_ENTITY_COLUMNS = {"district_id": "district", "day": "date"}


def file_of(entity: str) -> str:
    """The file an entity is read from (``status_quo.roster_stop`` -> ``status_quo/roster.csv``); "" if none."""
    within, _, kind = entity.rpartition(".")
    name = ENTITY_FILES.get(kind, "")
    return f"{within}/{name}" if within and name else name


def column_of(entity: str, field: str) -> str:
    """The column a model field is read from."""
    kind = entity.rpartition(".")[2]
    return FIELD_COLUMNS.get((kind, field)) or _ANY_ENTITY_COLUMNS.get(field, field)


#: Re-planning events (``patchplan replan --events``): one row per event;
#: which columns a row uses depends on its ``type``.
EVENTS_SPEC = FileSpec(
    "events.csv",
    "Events for `patchplan replan`: one row per event. A row fills the columns its `type` uses and leaves "
    "the others empty (a filled column the type does not use is an error, so nothing is silently ignored). "
    "Times are `HH:MM` on the re-planned day (the day of `--now`; hours past 23 mean the next morning, "
    "as visits.csv writes a night call) or `YYYY-MM-DDTHH:MM`, which must fall on the re-planned day.",
    (
        Column("type", "enum", "what happened", choices=("carer_off", "overrun", "cancel", "new_visit")),
        Column("carer_id", "id", "carer_off: the carer who stops working", required=False, nullable=True),
        Column(
            "visit_id",
            "id",
            "overrun, cancel: the visit (on the re-planned day); new_visit: a new id",
            required=False,
            nullable=True,
        ),
        Column(
            "time",
            "text",
            "carer_off: when the carer stops; new_visit: the day (optional)",
            required=False,
            nullable=True,
            unit="HH:MM",
        ),
        Column(
            "minutes",
            "int",
            "overrun: how much longer the visit takes (> 0)",
            required=False,
            nullable=True,
            unit="minutes",
            minimum=1,
            maximum=1440,
        ),
        Column("reason", "text", "cancel: e.g. hospital (shown in the unassigned list)", required=False, nullable=True),
        Column(
            "package_id", "id", "new_visit: a package placed with the roster's provider", required=False, nullable=True
        ),
        Column("earliest", "text", "new_visit: earliest start", required=False, nullable=True, unit="HH:MM"),
        Column("latest", "text", "new_visit: latest finish", required=False, nullable=True, unit="HH:MM"),
        Column(
            "duration_min",
            "int",
            "new_visit: length of the visit",
            required=False,
            nullable=True,
            unit="minutes",
            minimum=1,
            maximum=1440,
        ),
    ),
)

#: The columns each event type uses (besides ``type``).
EVENT_COLUMNS = {
    "carer_off": ("carer_id", "time"),
    "overrun": ("visit_id", "minutes"),
    "cancel": ("visit_id", "reason"),
    "new_visit": ("visit_id", "package_id", "time", "earliest", "latest", "duration_min"),
}
#: The columns an event type cannot do without.
EVENT_REQUIRED = {
    "carer_off": ("carer_id", "time"),
    "overrun": ("visit_id", "minutes"),
    "cancel": ("visit_id",),
    "new_visit": ("visit_id", "package_id", "earliest", "latest", "duration_min"),
}
