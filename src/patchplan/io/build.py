"""Typed rows -> model entities (clients, packages, visits, carers, ...).

Each problem is placed on its file, row and column; references between tables
are resolved here or left to the model's cross-checks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from patchplan.core.errors import DataQualityWarning, InputError
from patchplan.core.model import (
    BAND_NAMES,
    DAY_MIN,
    WEEKDAYS,
    Area,
    BandCapacity,
    Branch,
    Carer,
    Client,
    District,
    Framework,
    Location,
    Lot,
    Package,
    Patch,
    Provider,
    Reason,
    Roster,
    Round,
    Shift,
    Stop,
    Unassigned,
    Visit,
    VisitLink,
)
from patchplan.core.patterns import CallPattern, expand, expansion
from patchplan.geo import geography as geo
from patchplan.io.cells import _BAD, _ok, hhmm, parse_date
from patchplan.io.schema import SPEC_BY_NAME, column_of
from patchplan.io.tables import TABLE_SUFFIXES, _Reader


class _Builder:
    """Turns typed rows into model objects, placing each problem on its row."""

    def __init__(self, reader: _Reader, meta: dict[str, Any], *, geocode_online: bool) -> None:
        self.r = reader
        self.meta = meta
        self.start: dt.date = meta["start"]
        self.days: int = meta["days"]
        self.geocode_online = geocode_online
        self.geography = meta["geography"]
        #: Row of each call pattern built, in order (to place its visits' problems).
        self._pattern_rows: list[int] = []
        self._patterns_file = False

    # -- helpers -----------------------------------------------------------
    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.r.table(SPEC_BY_NAME[name], self.start) or []

    def make(self, name: str, row: dict[str, Any], key: str, factory: Callable[..., Any]) -> Any:
        """Build one object; its invariant failures become row problems."""
        self.r.rows[name].setdefault(key, row["_row"])
        if not _ok(row):
            return None
        try:
            return factory()
        except InputError as exc:
            for p in exc.problems:
                column = p.column or column_of(p.entity, p.field)
                self.r.problems.add(file=name, row=row["_row"], column=column, value=p.value, message=p.message)
        except (ValueError, TypeError) as exc:
            self.r.problems.add(file=name, row=row["_row"], message=str(exc))
        return None

    def unique(self, name: str, rows: Iterable[dict[str, Any]], columns: tuple[str, ...], what: str) -> None:
        """Report rows repeating the key made of ``columns`` and mark them
        unusable, so the first row stands (rows whose key cells are empty or
        bad are reported already and skipped here)."""
        seen: dict[str, int] = {}
        for row in rows:
            cells = [row[c] for c in columns]
            if any(c is None or c is _BAD for c in cells):
                continue
            k = "|".join(str(c) for c in cells)
            if k in seen:
                self.r.problems.add(
                    file=name,
                    row=row["_row"],
                    column=columns[-1],
                    value=k,
                    message=f"duplicate {what} (first at row {seen[k]})",
                )
                row[columns[-1]] = _BAD  # the first row stands; this one is not used
            else:
                seen[k] = row["_row"]

    def day(self, name: str, row: dict[str, Any], column: str = "date") -> int | None:
        date = row[column]
        if date is _BAD or date is None:
            return None
        day = (date - self.start).days
        if not 0 <= day < self.days:
            last = self.start + dt.timedelta(days=self.days - 1)
            self.r.problems.add(
                file=name,
                row=row["_row"],
                column=column,
                value=date.isoformat(),
                message=f"outside the scenario's horizon {self.start} to {last}",
            )
            return None
        return day

    # -- geography ---------------------------------------------------------
    def geography_tables(self) -> tuple[tuple[District, ...], tuple[Area, ...]]:
        if self.geography == "essex":
            g = geo.essex()
            return g.districts, g.areas
        districts = []
        rows = self.rows("districts.csv")
        self.unique("districts.csv", rows, ("id",), "id")
        for row in rows:
            d = self.make("districts.csv", row, row["id"], lambda row=row: District(id=row["id"], name=row["name"]))
            if d:
                districts.append(d)
        areas = []
        rows = self.rows("areas.csv")
        self.unique("areas.csv", rows, ("id",), "id")
        for row in rows:
            a = self.make(
                "areas.csv",
                row,
                row["id"],
                lambda row=row: Area(
                    id=row["id"],
                    name=row["name"],
                    district_id=row["district"],
                    neighbourhood=row["neighbourhood"],
                    centroid=Location(row["lat"], row["lon"], bool(row["urban"])),
                    pop_total=row["pop_total"],
                    pop_16_64=row["pop_16_64"],
                    pop_65_plus=row["pop_65_plus"],
                    health_decile=row["health_decile"],
                    area_km2=row["area_km2"],
                ),
            )
            if a:
                areas.append(a)
        return tuple(districts), tuple(areas)

    def locate(
        self, name: str, row: dict[str, Any], areas: dict[str, Area]
    ) -> tuple[Location, str | None, Area | None] | None:
        """(location, normalised postcode, area) of a row, or None (reported)."""
        lat, lon, pc = row.get("lat"), row.get("lon"), row.get("postcode")
        if _BAD in (lat, lon, pc):
            return None
        where = {"file": name, "row": row["_row"]}
        postcode = None
        from_postcode: tuple[Location, str] | None = None
        if pc is not None:
            postcode = geo.normalise_postcode(pc) if self.geography != "planar" else pc
            if postcode is None:
                self.r.problems.add(**where, column="postcode", value=pc, message="is not a UK postcode")
                return None
            if self.geography == "essex":
                from_postcode = geo.essex().locate_postcode(postcode)
        if (lat is None) != (lon is None):
            column = "lon" if lon is None else "lat"
            self.r.problems.add(**where, column=column, value="", message="give both lat and lon, or neither")
            return None
        if lat is not None and lon is not None:
            if self.geography != "planar" and not geo.in_uk(lat, lon):
                hint = (
                    "lat and lon are swapped (the other way round, the point is in the UK)"
                    if geo.in_uk(lon, lat)
                    else "expected WGS84 degrees, e.g. lat 51.88, lon 0.90"
                )
                self.r.problems.add(
                    **where,
                    column="lat",
                    value=f"{lat}, {lon}",
                    message=f"lies outside the United Kingdom; {hint}",
                )
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                self.r.problems.add(
                    **where,
                    column="lat" if not -90 <= lat <= 90 else "lon",
                    value=f"{lat}, {lon}",
                    message="expected lat in [-90, 90] and lon in [-180, 180]",
                )
                return None
            point = (lat, lon)
        elif from_postcode is not None:
            point = (from_postcode[0].lat, from_postcode[0].lon)
        elif postcode is not None:
            if self.geocode_online:
                try:
                    found = geo.geocode_online(postcode)
                except InputError as exc:
                    self.r.problems.add(**where, column="postcode", value=pc, message=str(exc))
                    return None
                point = (found.lat, found.lon)
            else:
                self.r.problems.add(
                    **where,
                    column="postcode",
                    value=pc,
                    message="unknown postcode (not in the embedded Essex postcode table); "
                    "give lat/lon, or use --geocode-online",
                )
                return None
        else:
            self.r.problems.add(**where, column="postcode", value="", message="give a postcode or lat/lon")
            return None
        area_id = row.get("area_id")
        area: Area | None = None
        if area_id is not None and area_id is not _BAD:
            area = areas.get(area_id)
            if area is None and self.geography == "essex":
                self.r.problems.add(
                    **where,
                    column="area_id",
                    value=area_id,
                    message="unknown small area (not an Essex LSOA 2021 code); leave it empty to derive it",
                )
                return None
        elif from_postcode is not None:
            area = areas.get(from_postcode[1])
        elif self.geography == "essex":
            area = geo.essex().area_of_point(*point)
        urban = area.centroid.urban if area else True
        return Location(point[0], point[1], urban), postcode, area

    # -- the scenario --------------------------------------------------------
    def build(self) -> dict[str, Any]:
        districts, areas = self.geography_tables()
        area_by_id = {a.id: a for a in areas}
        providers = self.providers()
        branches = self.branches(area_by_id)
        framework = self.framework()
        relations = self.relations()
        clients = self.clients(area_by_id, relations)
        packages = self.packages()
        patterns = self.call_patterns({p.id: p for p in packages})
        visits = self.visits({p.id: p for p in packages}, expand(patterns, self.start, self.days))
        links = self.links()
        carers = self.carers(area_by_id)
        shifts = self.shifts()
        patches = self.patches()
        status_quo = None
        if (self.r.folder / "status_quo").is_dir():
            status_quo = _read_roster_tables(
                _Reader(self.r.folder / "status_quo", self.r.problems, prefix="status_quo/"),
                self.start,
                self.days,
                {v.id: v for v in visits},
                prefix="status_quo/",
                rows=self.r.rows,
            )
        settings = tuple(sorted(self.meta["settings"].items()))
        return {
            "name": self.meta["name"],
            "start": self.start,
            "days": self.days,
            "seed": self.meta["seed"],
            "geography": self.geography,
            "districts": districts,
            "areas": areas,
            "clients": tuple(clients),
            "packages": tuple(packages),
            "visits": tuple(visits),
            "patterns": tuple(patterns),
            "links": tuple(links),
            "providers": tuple(providers),
            "branches": tuple(branches),
            "framework": framework,
            "carers": tuple(carers),
            "shifts": tuple(shifts),
            "patches": tuple(patches),
            "status_quo": status_quo,
            "settings": settings,
        }

    def providers(self) -> list[Provider]:
        name = "providers.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        bands: dict[str, list[BandCapacity]] = defaultdict(list)
        cap_rows = self.rows("provider_capacity.csv")
        self.unique("provider_capacity.csv", cap_rows, ("provider_id", "weekday", "band"), "weekday+band")
        known = {r["id"] for r in rows}
        for row in cap_rows:
            if not _ok(row):
                continue
            if row["provider_id"] not in known:
                self.r.problems.add(
                    file="provider_capacity.csv",
                    row=row["_row"],
                    column="provider_id",
                    value=row["provider_id"],
                    message="unknown provider",
                )
                continue
            bands[row["provider_id"]].append(
                BandCapacity(weekday=WEEKDAYS.index(row["weekday"]), band=row["band"], hours=row["hours"])
            )
        out = []
        for row in rows:
            p = self.make(
                name,
                row,
                row["id"],
                lambda row=row: Provider(
                    id=row["id"],
                    name=row["name"],
                    tier=row["tier"],
                    rate_gbp_h=row["rate_gbp_h"],
                    capacity_hours_week=row["capacity_hours_week"],
                    band_capacity=tuple(sorted(bands.get(row["id"], ()), key=_band_key)),
                    patches=row["patches"] or frozenset(),
                ),
            )
            if p:
                out.append(p)
        return out

    def branches(self, areas: dict[str, Area]) -> list[Branch]:
        name = "branches.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        for row in rows:
            located = self.locate(name, row, areas)
            if located is None:
                self.r.rows[name].setdefault(row["id"] if _ok(row) else "", row["_row"])
                continue
            loc, postcode, _ = located
            b = self.make(
                name,
                row,
                row["id"],
                lambda row=row, loc=loc, postcode=postcode: Branch(
                    id=row["id"],
                    provider_id=row["provider_id"],
                    name=row["name"],
                    location=loc,
                    district_id=row["district"],
                    postcode=postcode,
                ),
            )
            if b:
                out.append(b)
        return out

    def framework(self) -> Framework:
        name = "framework.csv"
        rows = self.rows(name)
        lots: dict[tuple[str, str, str], list[tuple[int, str, int]]] = defaultdict(list)
        for row in rows:
            if not _ok(row):
                continue
            key = (row["district"], row["service_type"], row["cohort"])
            self.r.rows[name].setdefault("|".join((*key, row["provider_id"])), row["_row"])
            lots[key].append((row["rank"], row["provider_id"], row["_row"]))
        out = []
        for key, entries in sorted(lots.items()):
            entries.sort()
            for (r1, _, _), (r2, _, row2) in itertools.pairwise(entries):
                if r1 == r2:
                    self.r.problems.add(
                        file=name, row=row2, column="rank", value=r2, message=f"rank used twice in lot {key}"
                    )
            seen: dict[str, int] = {}
            for _, pid, row_no in entries:
                if pid in seen:
                    self.r.problems.add(
                        file=name,
                        row=row_no,
                        column="provider_id",
                        value=pid,
                        message=f"provider listed twice in lot {key} (first at row {seen[pid]})",
                    )
                seen.setdefault(pid, row_no)
            providers = tuple(dict.fromkeys(pid for _, pid, _ in entries))
            out.append(Lot(district_id=key[0], service_type=key[1], cohort=key[2], providers=providers))
        return Framework(lots=tuple(out))

    def relations(self) -> dict[str, dict[str, Any]]:
        name = "client_carers.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("client_id", "carer_id", "relation"), "relation")
        out: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"known": [], "preferred": set(), "prohibited": set(), "rows": []}
        )
        for row in rows:
            if not _ok(row):
                continue
            self.r.rows[name].setdefault(f"{row['client_id']}|{row['carer_id']}", row["_row"])
            rel = out[row["client_id"]]
            rel["rows"].append(row["_row"])
            if row["relation"] == "known":
                rel["known"].append((row["carer_id"], int(row["visits"] or 0)))
            else:
                rel[row["relation"]].add(row["carer_id"])
        return out

    def clients(self, areas: dict[str, Area], relations: dict[str, dict[str, Any]]) -> list[Client]:
        name = "clients.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        ids = self.r.ids[name]
        for cid, rel in relations.items():
            if cid not in ids and name not in self.r.broken:
                self.r.problems.add(
                    file="client_carers.csv",
                    row=rel["rows"][0],
                    column="client_id",
                    value=cid,
                    message="unknown client",
                )
        for row in rows:
            located = self.locate(name, row, areas)
            if located is None:
                continue
            loc, postcode, area = located
            rel = relations.get(row["id"], {"known": [], "preferred": set(), "prohibited": set()})
            district = row["district"] or (area.district_id if area else None)
            if district is None:
                if row["area_id"]:
                    self.r.problems.add(
                        file=name,
                        row=row["_row"],
                        column="area_id",
                        value=row["area_id"],
                        message="unknown small area; give a known area_id or a district",
                    )
                else:
                    self.r.problems.add(
                        file=name, row=row["_row"], column="district", value="", message="give a district or an area_id"
                    )
                continue
            c = self.make(
                name,
                row,
                row["id"],
                lambda row=row, loc=loc, postcode=postcode, area=area, rel=rel, district=district: Client(
                    id=row["id"],
                    location=loc,
                    postcode=postcode,
                    area_id=row["area_id"] or (area.id if area else ""),
                    district_id=district,
                    cohort=row["cohort"],
                    gender=row["gender"],
                    gender_preference=row["gender_preference"],
                    preferred_carers=frozenset(rel["preferred"]),
                    prohibited_carers=frozenset(rel["prohibited"]),
                    history=tuple(sorted(rel["known"], key=lambda kv: (-kv[1], kv[0]))),
                ),
            )
            if c:
                out.append(c)
        return out

    def packages(self) -> list[Package]:
        name = "packages.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        for row in rows:
            p = self.make(
                name,
                row,
                row["id"],
                lambda row=row: Package(
                    id=row["id"],
                    client_id=row["client_id"],
                    service_type=row["service_type"],
                    hours_week=row["hours_week"],
                    start=row["start_date"],
                    urgency=row["urgency"],
                    status=row["status"],
                    provider_id=row["provider_id"],
                    received=row["received"],
                ),
            )
            if p:
                out.append(p)
        return out

    def call_patterns(self, packages: dict[str, Package]) -> list[CallPattern]:
        """Recurring calls; each expanded visit's id is mapped to its row, so the model's problems about
        a patterned visit land on the pattern's row."""
        name = "call_patterns.csv"
        found = self.r.table(SPEC_BY_NAME[name], self.start)
        self._patterns_file = found is not None
        rows = found or []
        out: list[CallPattern] = []
        for row in rows:
            except_dates = self.dates(name, row, "except_dates")
            pkg = packages.get(row["package_id"]) if row["package_id"] is not _BAD else None
            if pkg is None and _ok(row) and not self._reported("packages.csv", row["package_id"]):
                self.r.problems.add(
                    file=name, row=row["_row"], column="package_id", value=row["package_id"], message="unknown package"
                )
            if pkg is None or except_dates is None:  # reported (here or on its package's row)
                continue
            if pkg.service_type == "live_in":
                self.r.problems.add(
                    file=name,
                    row=row["_row"],
                    column="package_id",
                    value=pkg.id,
                    message="is a live-in package: a live-in carer lives in, so it has no calls",
                )
                continue
            p = self.make(
                name,
                row,
                f"{row['package_id']}|{row['_row']}",
                lambda row=row, pkg=pkg, except_dates=except_dates: CallPattern(
                    package_id=row["package_id"],
                    client_id=pkg.client_id,
                    weekdays=row["weekdays"],
                    time=row["time"],
                    duration_min=row["duration_min"],
                    tolerance_min=row["tolerance_min"],
                    earliest=row["earliest"],
                    latest=row["latest"],
                    carers_required=row["carers_required"],
                    skills=row["skills"] or frozenset(),
                    label=row["label"],
                    every_n_weeks=row["every_n_weeks"],
                    first_week=row["first_week"],
                    from_date=row["from"],
                    until=row["until"],
                    except_dates=except_dates,
                ),
            )
            if p:
                out.append(p)
                self._pattern_rows.append(row["_row"])
        self._map_pattern_visits(out)
        self._warn_repeated_rows(out)
        return out

    def _warn_repeated_rows(self, patterns: list[CallPattern]) -> None:
        """Two identical rows are two calls at the same time: legal (two visits), but more likely a
        row pasted twice, so it is said."""
        first: dict[CallPattern, int] = {}
        repeats = []
        for p, row in zip(patterns, self._pattern_rows, strict=True):
            if p in first:
                repeats.append((row, first[p]))
            first.setdefault(p, row)
        if repeats:
            row, earlier = repeats[0]
            warnings.warn(
                f"call_patterns.csv: {len(repeats)} row(s) repeat an earlier row exactly, so each gives a second "
                f"call at the same time (first: row {row}, as row {earlier})",
                DataQualityWarning,
                stacklevel=4,
            )

    def _reported(self, name: str, ident: object) -> bool:
        """Whether a reference to ``ident`` in file ``name`` follows from a problem reported already."""
        return name in self.r.broken or str(ident) in self.r.ids[name]

    def dates(self, name: str, row: dict[str, Any], column: str) -> frozenset[dt.date] | None:
        """A ;-list of dates, each checked; None when one is bad (reported)."""
        cells = row[column]
        if cells is _BAD:
            return None
        out = set()
        for cell in sorted(cells or ()):
            try:
                out.add(parse_date(cell))
            except ValueError as exc:
                self.r.problems.add(file=name, row=row["_row"], column=column, value=cell, message=str(exc))
                return None
        return frozenset(out)

    def _map_pattern_visits(self, patterns: list[CallPattern]) -> None:
        """Expanded visit id -> its pattern's row (read_scenario places the model's visit problems there);
        rows that give no visit in the horizon are a warning, not a silent nothing."""
        ran = set()
        for i, v in expansion(patterns, self.start, self.days):
            self.r.rows["call_patterns.csv"].setdefault(v.id, self._pattern_rows[i])
            ran.add(i)
        idle = [row for i, row in enumerate(self._pattern_rows) if i not in ran]
        if idle:
            warnings.warn(
                f"call_patterns.csv: {len(idle)} row(s) give no visit in the horizon {self.start} + {self.days} "
                f"day(s) (first: row {idle[0]}); check weekdays, first_week, from/until and except_dates",
                DataQualityWarning,
                stacklevel=4,
            )

    def visits(self, packages: dict[str, Package], patterned: list[Visit]) -> list[Visit]:
        """The patterned visits with visits.csv's overrides in place, then its one-off visits."""
        name = "visits.csv"
        found = self.r.table(SPEC_BY_NAME[name], self.start)
        rows = found or []
        if found is None and not self._patterns_file and name not in self.r.broken:
            self.r.broken.add(name)
            self.r.problems.add(
                file=name,
                message=f"file is missing from {self.r.folder}; expected a table of dated visits "
                f"({', '.join(name.replace('.csv', s) for s in TABLE_SUFFIXES[:3])}) or of recurring calls "
                "(call_patterns.csv), or both",
            )
        self.unique(name, rows, ("id",), "id")
        dated = self.dated_visits(name, rows, packages)
        by_id = {v.id: v for v in patterned}
        for v in dated:
            old = by_id.get(v.id)
            if old is not None and old.package_id != v.package_id:
                self.r.problems.add(
                    file=name,
                    row=self.r.rows[name].get(v.id),
                    column="package_id",
                    value=v.package_id,
                    message=f"overrides the patterned visit {v.id} of package '{old.package_id}' "
                    "(call_patterns.csv), but names another package",
                )
        overrides = {v.id: v for v in dated if v.id in by_id}
        return [overrides.get(v.id, v) for v in patterned] + [v for v in dated if v.id not in by_id]

    def dated_visits(self, name: str, rows: list[dict[str, Any]], packages: dict[str, Package]) -> list[Visit]:
        out = []
        for row in rows:
            day = self.day(name, row)
            if day is None or not _ok(row):
                self.r.rows[name].setdefault(row["id"] if row["id"] is not _BAD else "", row["_row"])
                continue
            where = {"file": name, "row": row["_row"]}
            if row["latest"] < row["earliest"]:
                self.r.problems.add(
                    **where,
                    column="latest",
                    value=hhmm(row["latest"]),
                    message=f"window ends before it starts ({hhmm(row['earliest'])})",
                )
                continue
            if row["latest"] - row["earliest"] > DAY_MIN:  # e.g. a latest of 300:00; a visit is within a day
                self.r.problems.add(
                    **where,
                    column="latest",
                    value=hhmm(row["latest"]),
                    message=f"the window {hhmm(row['earliest'])}-{hhmm(row['latest'])} is longer than a day",
                )
                continue
            if row["latest"] - row["earliest"] < row["duration_min"]:
                self.r.problems.add(
                    **where,
                    column="duration_min",
                    value=row["duration_min"],
                    message=f"visit is longer than its window {hhmm(row['earliest'])}-{hhmm(row['latest'])} "
                    f"({row['latest'] - row['earliest']} min)",
                )
                continue
            latest_start = row["latest"] - row["duration_min"]
            if row["preferred"] is not None and not row["earliest"] <= row["preferred"] <= latest_start:
                self.r.problems.add(
                    **where,
                    column="preferred",
                    value=hhmm(row["preferred"]),
                    message=f"preferred start is outside the window {hhmm(row['earliest'])}-{hhmm(latest_start)} "
                    f"in which the visit can start (it must end by {hhmm(row['latest'])})",
                )
                continue
            pkg = packages.get(row["package_id"])
            client_id = row["client_id"] or (pkg.client_id if pkg else "")
            base = day * DAY_MIN
            target = None if row["preferred"] is None else base + row["preferred"]
            v = self.make(
                name,
                row,
                row["id"],
                lambda row=row, base=base, day=day, client_id=client_id, target=target: Visit(
                    id=row["id"],
                    package_id=row["package_id"],
                    client_id=client_id,
                    day=day,
                    early=base + row["earliest"],
                    late=base + row["latest"] - row["duration_min"],
                    duration_min=row["duration_min"],
                    target=target,
                    tolerance_min=row["tolerance_min"],
                    carers_required=row["carers_required"],
                    skills=row["skills"] or frozenset(),
                    label=row["label"],
                    load=row["load"],
                ),
            )
            if v:
                out.append(v)
        return out

    def links(self) -> list[VisitLink]:
        name = "visit_links.csv"
        out = []
        for row in self.rows(name):
            key = f"{row['first']}|{row['second']}"
            link = self.make(
                name,
                row,
                key,
                lambda row=row: VisitLink(
                    first=row["first"], second=row["second"], min_gap=row["min_gap"], max_gap=row["max_gap"]
                ),
            )
            if link:
                out.append(link)
        self._contradictions(out)
        return out

    def _contradictions(self, links: list[VisitLink]) -> None:
        """Links whose gaps no schedule can meet together (a cycle whose gaps
        add up to less than nothing), reported once on the cycle's first row."""
        cycle = contradictory_cycle(links)
        if not cycle:
            return
        first = cycle[0]
        path = "; ".join(f"{link.first}->{link.second} [{link.min_gap}, {link.max_gap}]" for link in cycle)
        self.r.problems.add(
            file="visit_links.csv",
            row=self.r.rows["visit_links.csv"].get(f"{first.first}|{first.second}"),
            column="min_gap",
            value=path,
            message="these links contradict each other: no schedule can meet all their gaps (a cycle)",
        )

    def carers(self, areas: dict[str, Area]) -> list[Carer]:
        name = "carers.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        for row in rows:
            located = self.locate(name, row, areas)
            if located is None:
                continue
            loc, postcode, _ = located
            c = self.make(
                name,
                row,
                row["id"],
                lambda row=row, loc=loc, postcode=postcode: Carer(
                    id=row["id"],
                    provider_id=row["provider_id"],
                    branch_id=row["branch_id"],
                    home=loc,
                    postcode=postcode,
                    mode=row["mode"],
                    skills=row["skills"] or frozenset(),
                    gender=row["gender"],
                    contracted_hours_week=row["contracted_hours_week"],
                    max_hours_week=row["max_hours_week"],
                    team_id=row["team"],
                ),
            )
            if c:
                out.append(c)
        return out

    def shifts(self) -> list[Shift]:
        name = "shifts.csv"
        rows = self.rows(name)
        out = []
        # A carer may work several shifts a day (a split shift: a morning and
        # a tea/bed run), but never two at once.
        taken: dict[tuple[str, int], list[tuple[int, int, int]]] = defaultdict(list)
        for row in rows:
            day = self.day(name, row)
            if day is None or not _ok(row):
                continue
            key = (row["carer_id"], day)
            start, end = row["start"], row["end"]
            clash = next((r for a, b, r in taken[key] if start < b and a < end), None)
            if clash is not None:
                self.r.problems.add(
                    file=name,
                    row=row["_row"],
                    column="start",
                    value=hhmm(start),
                    message=f"carer '{row['carer_id']}' already has a shift that day overlapping "
                    f"{hhmm(start)}-{hhmm(end)} (row {clash}); a carer's shifts of a day must not overlap",
                )
                continue
            if end > start:
                taken[key].append((start, end, row["_row"]))
            if row["end"] <= row["start"]:
                late = row["end"] + DAY_MIN
                self.r.problems.add(
                    file=name,
                    row=row["_row"],
                    column="end",
                    value=hhmm(row["end"]),
                    message=f"shift ends {'before' if row['end'] < row['start'] else 'when'} it starts "
                    f"({hhmm(row['start'])}); for a shift past midnight write the end as {hhmm(late)}",
                )
                continue
            base = day * DAY_MIN
            s = self.make(
                name,
                row,
                f"{row['carer_id']}|{day}|{base + row['start']}",
                lambda row=row, base=base, day=day: Shift(
                    carer_id=row["carer_id"],
                    day=day,
                    start=base + row["start"],
                    end=base + row["end"],
                    max_work_min=row["max_work_min"],
                ),
            )
            if s:
                out.append(s)
        return out

    def patches(self) -> list[Patch]:
        name = "patches.csv"
        rows = self.rows(name)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.unique(name, rows, ("area_id",), "area_id")
        for row in rows:
            if _ok(row):
                self.r.rows[name].setdefault(f"{row['patch_id']}|{row['area_id']}", row["_row"])
                groups[row["patch_id"]].append(row)
        out = []
        for pid, group in groups.items():
            names = {r["name"] for r in group}
            leads = {r["lead_provider_id"] for r in group}
            if len(names) > 1 or len(leads) > 1:
                self.r.problems.add(
                    file=name,
                    row=group[0]["_row"],
                    column="name" if len(names) > 1 else "lead_provider_id",
                    value=pid,
                    message="rows of one patch disagree on its name or lead provider",
                )
                continue
            out.append(
                Patch(
                    id=pid,
                    name=group[0]["name"],
                    area_ids=frozenset(r["area_id"] for r in group),
                    lead_provider_id=group[0]["lead_provider_id"],
                )
            )
        return out


def _band_key(cap: BandCapacity) -> tuple[int, int]:
    return (cap.weekday, BAND_NAMES.index(cap.band))


def _read_roster_tables(
    reader: _Reader,
    start: dt.date,
    days: int,
    visits: dict[str, Visit],
    *,
    prefix: str,
    rows: dict[str, dict[str, int]] | None = None,
) -> Roster:
    b = _Builder(
        reader,
        {"start": start, "days": days, "geography": "essex", "settings": {}, "name": "", "seed": None},
        geocode_online=False,
    )
    stop_rows = b.rows("roster.csv")
    by_round: dict[tuple[str, int], list[tuple[int, int, Stop]]] = defaultdict(list)
    row_map = (rows if rows is not None else reader.rows)[f"{prefix}roster.csv"]
    for row in stop_rows:
        day = b.day("roster.csv", row)
        if day is None or not _ok(row):
            continue
        base = day * DAY_MIN
        row_map.setdefault(f"{row['carer_id']}|{day}|{row['visit_id']}", row["_row"])
        start_min = base + row["start"]
        visit = visits.get(row["visit_id"])
        duration = visit.duration_min if visit else 0
        stop = Stop(
            visit_id=row["visit_id"],
            arrival=base + row["arrival"] if row["arrival"] is not None else start_min,
            start=start_min,
            end=base + row["end"] if row["end"] is not None else start_min + duration,
            travel_min=row["travel_min"],
            travel_m=row["travel_m"],
        )
        seq = row["seq"] if row["seq"] is not None else start_min
        by_round[(row["carer_id"], day)].append((seq, row["_row"], stop))
    # A carer may have several rounds a day (a split shift): rounds.csv has
    # one row each, and a stop belongs to the round whose leave..back holds it.
    round_rows: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in b.rows("rounds.csv"):
        day = b.day("rounds.csv", row)
        if day is None or not _ok(row):
            continue
        round_rows[(row["carer_id"], day)].append(row)
    rounds = []
    for (carer, day), items in by_round.items():  # file order: rosters round-trip exactly
        base = day * DAY_MIN
        mine = round_rows.get((carer, day), [])
        parts: dict[int, list[tuple[int, int, Stop]]] = defaultdict(list)
        for item in items:
            at = item[2].start - base
            inside = [i for i, r in enumerate(mine) if r["leave"] <= at <= r["back"]]
            parts[inside[0] if inside else 0].append(item)
        for i in sorted(parts):
            stops = tuple(s for _, _, s in sorted(parts[i], key=lambda t: (t[0], t[1])))
            if mine:
                row = mine[i]
                leave, back = base + row["leave"], base + row["back"]
                ret_min, ret_m = row["return_min"], row["return_m"]
            else:
                leave, back = stops[0].arrival - stops[0].travel_min, stops[-1].end
                ret_min, ret_m = 0, 0
            rounds.append(
                Round(carer_id=carer, day=day, stops=stops, leave=leave, back=back, return_min=ret_min, return_m=ret_m)
            )
    unassigned = []
    for row in b.rows("unassigned.csv"):
        if not _ok(row):
            continue
        try:
            reason = Reason(row["reason"])
        except ValueError:
            reader.problems.add(
                file="unassigned.csv",  # the reader adds the folder prefix
                row=row["_row"],
                column="reason",
                value=row["reason"],
                message=f"expected one of {', '.join(r.value for r in Reason)}",
            )
            continue
        unassigned.append(Unassigned(visit_id=row["visit_id"], reason=reason, detail=row["detail"]))
    meta: tuple[tuple[str, str], ...] = ()
    meta_path = reader.folder / "meta.toml"
    if meta_path.is_file():
        try:
            meta = tuple(sorted((str(k), str(v)) for k, v in tomllib.loads(meta_path.read_text("utf-8")).items()))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            reader.problems.add(file="meta.toml", message=f"is not valid TOML: {exc}")
    provider = dict(meta).get("provider_id") or None
    return Roster(rounds=tuple(rounds), unassigned=tuple(unassigned), provider_id=provider, meta=meta)


def contradictory_cycle(links: list[VisitLink]) -> list[VisitLink]:
    """Links forming a cycle no schedule can meet, or [] (Bellman-Ford on the difference constraints).

    A link says ``min_gap <= start(second) - start(first) <= max_gap``: an
    edge first -> second of weight max_gap and second -> first of weight
    -min_gap; the constraints contradict each other exactly when some cycle
    has negative total weight.
    """
    edges = [(lk.first, lk.second, lk.max_gap, lk) for lk in links]
    edges += [(lk.second, lk.first, -lk.min_gap, lk) for lk in links]
    nodes = sorted({e[0] for e in edges} | {e[1] for e in edges})
    if not nodes:
        return []
    dist = dict.fromkeys(nodes, 0)
    pred: dict[str, tuple[str, VisitLink]] = {}
    changed = None
    for _ in range(len(nodes)):
        changed = None
        for a, b, w, lk in edges:
            if dist[a] + w < dist[b]:
                dist[b], pred[b], changed = dist[a] + w, (a, lk), b
        if changed is None:
            return []
    node = changed
    for _ in range(len(nodes)):  # walk back onto the cycle itself
        node = pred[node][0]  # type: ignore[index]
    cycle, at = [], node
    while True:
        a, lk = pred[at]  # type: ignore[index]
        if lk not in cycle:
            cycle.append(lk)
        at = a
        if at == node:
            break
    return list(reversed(cycle))
