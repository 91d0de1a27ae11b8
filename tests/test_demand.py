"""Live demand: reading the feed, the summary, and the safe published version."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import http.server
import json
import logging
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import patchplan as pp
from patchplan.broker import demand
from patchplan.cli.demand import demand_app
from patchplan.core.errors import DataQualityWarning, InputError
from patchplan.core.model import RESPONSE_DAYS
from patchplan.geo import geography as geo

DATA = Path(__file__).parent / "data" / "demand"
FEED_CSV = DATA / "feed.csv"
FEED_JSON = DATA / "feed.json"
FEED_DIR = DATA / "dir"
BAD = DATA / "bad"
TODAY = dt.date(2026, 11, 30)

runner = CliRunner()


def _cli() -> typer.Typer:
    """The demand commands on an app of their own (as ``patchplan demand``)."""
    app = typer.Typer()
    app.add_typer(demand_app, name="demand")
    return app


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def maldon_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Maldon at 30% scale, written as a scenario folder."""
    s = pp.essex(district="Maldon", seed=1, scale=0.3)
    return pp.write_scenario(s, tmp_path_factory.mktemp("maldon") / "scenario")


@pytest.fixture(scope="module")
def backlog() -> tuple[demand.DemandItem, ...]:
    """A bigger feed (150 packages awaiting in Maldon), a third of the
    clients located by lat/lon only (no postcode)."""
    s = pp.essex(district="Maldon", seed=1, scale=0.3, backlog=150)
    items = demand.read_feed(s)
    return tuple(
        dataclasses.replace(item, client=dataclasses.replace(item.client, postcode=None)) if n % 3 == 0 else item
        for n, item in enumerate(items)
    )


@pytest.fixture(scope="module")
def backlog_csv(backlog: tuple[demand.DemandItem, ...], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bigger feed as a CSV feed file."""
    return demand.write_feed(backlog, tmp_path_factory.mktemp("feed") / "backlog.csv")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def http_feed(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server (never the internet) serving the feed fixtures,
    plus ``feed`` (JSON without a suffix or a JSON content type)."""
    root = tmp_path / "www"
    shutil.copytree(DATA, root)
    shutil.copy(FEED_JSON, root / "feed")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _same(a: tuple[demand.DemandItem, ...], b: tuple[demand.DemandItem, ...]) -> None:
    """Two feeds hold the same packages, clients (as the feed carries them)
    and calls (in any order)."""
    assert [x.package for x in a] == [y.package for y in b]
    for x, y in zip(a, b, strict=True):
        assert (
            x.client.id,
            x.client.location,
            x.client.area_id,
            x.client.district_id,
            x.client.cohort,
            x.client.postcode,
        ) == (
            y.client.id,
            y.client.location,
            y.client.area_id,
            y.client.district_id,
            y.client.cohort,
            y.client.postcode,
        )
        assert sorted(x.calls, key=repr) == sorted(y.calls, key=repr)
        assert dict(x.hours_by_band) == pytest.approx(dict(y.hours_by_band))


# ---------------------------------------------------------------------------
# Reading each kind of source
# ---------------------------------------------------------------------------
def test_read_scenario_folder(maldon_folder: Path) -> None:
    """A scenario folder gives its packages with status "awaiting", with the
    visits of their week as weekly calls."""
    s = pp.read_scenario(maldon_folder)
    awaiting = [p for p in s.packages if p.status == "awaiting"]
    items = demand.read_feed(maldon_folder)
    assert len(items) == len(awaiting) > 0
    assert [i.package for i in items] == awaiting
    for item in items:
        assert item.client == s.client(item.package.client_id)
        assert len(item.calls) == len(s.visits_of_package(item.package.id))
        care = sum(c.care_minutes for c in item.calls) / 60
        assert care == pytest.approx(item.hours_week, abs=0.01)
        assert item.district_name == "Maldon"
    assert demand.read_feed(s) == items  # a Scenario object reads the same
    assert demand.default_today(maldon_folder) == s.start


def test_read_csv_feed() -> None:
    """The CSV fixture: postcodes normalised and located, lat/lon-only rows
    placed in their small area, hours derived from calls when empty."""
    items = demand.read_feed(FEED_CSV)
    by_id = {i.package.id: i for i in items}
    assert list(by_id) == [f"PKG-T0{n}" for n in range(1, 9)]
    t2 = by_id["PKG-T02"]
    assert t2.client.postcode == "CM0 8DB"  # written "cm08db"
    assert t2.hours_week == 21.0  # (30x2 + 30 + 30 + 30x2) min x 7 days
    assert {c.carers_required for c in t2.calls} == {1, 2}
    assert any("hoist" in c.skills and c.preferred == 8 * 60 for c in t2.calls)
    t3 = by_id["PKG-T03"]
    assert t3.client.postcode is None and t3.district_id == "E07000074"
    assert t3.area_id == geo.essex().area_of_point(51.73127, 0.67419).id
    assert by_id["PKG-T04"].hours_in_band() == {"all_day": 168.0}  # live-in: no calls
    night = by_id["PKG-T05"].hours_in_band()
    assert night == pytest.approx({"night": 63.0, "morning": 7.0})  # 22:00-08:00 nightly
    assert by_id["PKG-T07"].client.id == by_id["PKG-T08"].client.id  # two packages, one client
    assert by_id["PKG-T01"].package.urgency == "routine" and by_id["PKG-T02"].package.urgency == "hospital_discharge"
    assert by_id["PKG-T03"].package.start == dt.date(2026, 11, 20)  # start_date empty: received


def test_csv_and_json_feeds_read_the_same() -> None:
    """The JSON fixture (calls as objects, as text, and with a list of days)
    holds the same packages as the CSV fixture."""
    _same(demand.read_feed(FEED_CSV), demand.read_feed(FEED_JSON))


def test_read_directory() -> None:
    """A folder of feed files is read in name order (CSV, then JSON)."""
    items = demand.read_feed(FEED_DIR)
    assert [i.package.id for i in items] == [f"PKG-D0{n}" for n in range(1, 6)]
    assert items[3].hours_week == 6.75  # derived: 5 x 45 + 2 x 45 x 2 minutes
    assert items[4].hours_in_band() == pytest.approx({"night": 26.0, "morning": 2.0})


def test_directory_duplicate_ids_across_files(tmp_path: Path) -> None:
    """A package id in two files of a folder names both places."""
    shutil.copy(FEED_CSV, tmp_path / "a.csv")
    shutil.copy(FEED_CSV, tmp_path / "b.csv")
    with pytest.raises(InputError) as info:
        demand.read_feed(tmp_path)
    first = info.value.problems[0]
    assert first.file.endswith("b.csv") and first.row == 2 and first.column == "package_id"
    assert first.value == "PKG-T01" and "a.csv row 2" in first.message


def test_empty_directory_and_missing_path(tmp_path: Path) -> None:
    """No feed files, a missing path, or another suffix are input errors."""
    with pytest.raises(InputError, match="no demand feed files"):
        demand.read_feed(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        demand.read_feed(tmp_path / "missing.csv")
    (tmp_path / "feed.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"\.csv or \.json"):
        demand.read_feed(tmp_path / "feed.txt")


def test_read_url(http_feed: str) -> None:
    """CSV and JSON over http (a local server): by content type, and by
    sniffing when the server does not say; a query string is allowed."""
    _same(demand.read_feed(f"{http_feed}/feed.csv"), demand.read_feed(FEED_CSV))
    _same(demand.read_feed(f"{http_feed}/feed.json?token=abc"), demand.read_feed(FEED_JSON))
    _same(demand.read_feed(f"{http_feed}/feed"), demand.read_feed(FEED_JSON))


def test_url_errors(http_feed: str) -> None:
    """A missing page or a bad feed over http is an input error; the query
    string (it may hold a token) is not repeated."""
    with pytest.raises(InputError, match="HTTP 404") as info:
        demand.read_feed(f"{http_feed}/nothing.csv?token=secret")
    assert "secret" not in str(info.value)
    with pytest.raises(InputError) as bad:
        demand.read_feed(f"{http_feed}/bad/bad_rows.csv")
    assert {(p.row, p.column) for p in bad.value.problems} >= {(2, "service_type"), (3, "received")}


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
def test_bad_rows_name_file_row_field_value() -> None:
    """Every bad row is reported in one pass with its file, row, field and value."""
    with pytest.raises(InputError) as info:
        demand.read_feed(BAD / "bad_rows.csv")
    problems = info.value.problems
    assert all(p.file.endswith("bad_rows.csv") for p in problems)
    found = {(p.row, p.column, p.value) for p in problems}
    assert {
        (2, "service_type", "home_help"),
        (3, "received", "2026-11-31"),
        (4, "postcode", "ZZ99 9ZZ"),
        (5, "visits", "daily 07:00-07:30 45"),
        (6, "lat", "0.67, 51.73"),
        (7, "package_id", "PKG-B01"),
        (7, "urgency", "soon"),
        (7, "hours_week", "-3"),
        (7, "district", "Narnia"),
        (7, "visits", "funday 07:00-09:00 45"),
        (8, "hours_week", ""),
        (9, "visits", "daily 07:00-09:00 45"),
    } <= found
    text = str(info.value)
    assert "bad_rows.csv row 6, column 'lat'" in text and "swapped" in text
    assert "there is no such day" in text and "live-in" in text


def test_bad_json_calls_name_the_call_field() -> None:
    """A JSON call's problem names the package (row) and the call's field."""
    with pytest.raises(InputError) as info:
        demand.read_feed(BAD / "bad_calls.json")
    found = {(p.row, p.column, p.value) for p in info.value.problems}
    assert (1, "visits[1].earliest", "7am") in found
    assert (2, "visits[1].carers_required", 3) in found
    assert (3, "", "not a package") in found


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        (
            "package_id,client_id,postcode,service_type,cohort\nP,C,CM0 7RH,personal_care,older_people\n",
            "received",
            "required column is missing",
        ),
        (
            "package_id,client_id,service_type,cohort,received\nP,C,personal_care,older_people,2026-11-02\n",
            "postcode",
            "postcode column or lat and lon",
        ),
        (
            "package_id,package_id,client_id,postcode,service_type,cohort,received\n",
            "package_id",
            "column appears twice",
        ),
    ],
)
def test_bad_header(tmp_path: Path, text: str, column: str, message: str) -> None:
    """Header problems name the column, on row 1."""
    path = tmp_path / "feed.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        demand.read_feed(path)
    problem = info.value.problems[0]
    assert (problem.row, problem.column) == (1, column) and message in problem.message


def test_short_row_and_bad_json(tmp_path: Path) -> None:
    """A row with too few fields and JSON that does not parse are reported."""
    path = tmp_path / "feed.csv"
    path.write_text(FEED_CSV.read_text(encoding="utf-8") + "PKG-X,CLI-X,CM0 7RH\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        demand.read_feed(path)
    assert info.value.problems[0].row == 10 and "fields" in info.value.problems[0].message
    (tmp_path / "feed.csv").unlink()
    (tmp_path / "feed.json").write_text("[{", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        demand.read_feed(tmp_path / "feed.json")


def test_unknown_fields_warn_and_are_not_kept(tmp_path: Path) -> None:
    """Extra fields (a name, a date of birth) give a warning naming the
    field only, and nothing of them reaches the items."""
    frame = pd.read_csv(FEED_CSV, dtype=str, keep_default_na=False)
    frame.insert(2, "name", "Ada Testperson")
    frame.insert(3, "date_of_birth", "1931-02-03")
    path = tmp_path / "feed.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(DataQualityWarning, match="date_of_birth") as caught:
        items = demand.read_feed(path)
    assert all("Ada" not in str(w.message) for w in caught)
    assert "Ada" not in repr([dataclasses.asdict(i) for i in items])
    assert "1931" not in repr([dataclasses.asdict(i) for i in items])


def test_hours_mismatch_warns(tmp_path: Path) -> None:
    """hours_week far from the calls' hours warns and hours_week wins."""
    path = tmp_path / "feed.csv"
    text = FEED_CSV.read_text(encoding="utf-8").replace("2026-11-16,10.5,", "2026-11-16,20,")
    path.write_text(text, encoding="utf-8")
    with pytest.warns(DataQualityWarning, match="row 2: hours_week 20"):
        items = demand.read_feed(path)
    assert items[0].hours_week == 20 and sum(h for _, h in items[0].hours_by_band) == pytest.approx(20)


# ---------------------------------------------------------------------------
# Derived values and the summary
# ---------------------------------------------------------------------------
def test_item_ageing_and_deadline() -> None:
    """Age in days, the buckets' edges, the response deadline and overdue."""
    item = demand.read_feed(FEED_CSV)[0]  # routine, received 2026-11-02
    received = item.received
    assert received == dt.date(2026, 11, 2)
    assert item.deadline == received + dt.timedelta(days=RESPONSE_DAYS["routine"])
    for days, bucket in ((0, "0-7"), (7, "0-7"), (8, "8-14"), (14, "8-14"), (15, "15-28"), (28, "15-28"), (29, "29+")):
        assert item.age_days(received + dt.timedelta(days=days)) == days
        assert item.age_bucket(received + dt.timedelta(days=days)) == bucket
    assert item.age_days(received - dt.timedelta(days=3)) == 0
    assert not item.overdue(received + dt.timedelta(days=14))
    assert item.overdue(received + dt.timedelta(days=15))


def test_hours_by_band_add_up_to_hours_week(backlog: tuple[demand.DemandItem, ...]) -> None:
    """Every package's band hours add up to its hours_week."""
    for item in (*backlog, *demand.read_feed(FEED_CSV)):
        assert sum(h for _, h in item.hours_by_band) == pytest.approx(item.hours_week)
        assert set(item.hours_in_band()) <= set(demand.BANDS)


def test_repr_shows_no_personal_data() -> None:
    """An item's repr (what a log would show) has no id, postcode or point."""
    item = demand.read_feed(FEED_CSV)[1]
    text = repr(item)
    assert "PKG" not in text and "CLI" not in text and "CM0" not in text and "51." not in text


def test_summary_totals_equal_the_feed(backlog: tuple[demand.DemandItem, ...]) -> None:
    """Summary hours add up to the feed's hours, by district too; ageing
    counts add up to the packages; overdue matches the deadlines."""
    for items in (backlog, demand.read_feed(FEED_CSV)):
        frame = demand.summary(items, TODAY)
        total = sum(i.hours_week for i in items)
        assert frame["hours_week"].sum() == pytest.approx(total)
        by_district = frame.groupby("district_id")["hours_week"].sum()
        for did, hours in by_district.items():
            assert hours == pytest.approx(sum(i.hours_week for i in items if i.district_id == did))
        ages = [c for c in frame.columns if c.startswith("age_")]
        assert (frame[ages].sum(axis=1) == frame["packages"]).all()
        head = frame.attrs["totals"]
        assert head["packages"] == len(items)
        assert head["hours_awaiting"] == pytest.approx(total, abs=0.01)
        assert sum(head["ageing"].values()) == len(items)
        assert head["overdue"] == sum(
            1 for i in items if TODAY > i.received + dt.timedelta(days=RESPONSE_DAYS[i.package.urgency])
        )
        assert sum(d["hours_awaiting"] for d in head["by_district"]) == pytest.approx(total, abs=0.05)
        assert set(frame["band"]) <= set(demand.BANDS)


def test_summary_of_fixture_by_hand() -> None:
    """Hand-checked cells of the CSV fixture on 2026-11-30."""
    frame = demand.summary(demand.read_feed(FEED_CSV), TODAY)
    cell = frame.set_index(["district", "service_type", "cohort", "band"])
    assert cell.loc[("Maldon", "live_in", "older_people", "all_day"), "hours_week"] == 168
    assert cell.loc[("Maldon", "live_in", "older_people", "all_day"), "age_29_plus"] == 1  # received 2026-10-12
    morning = cell.loc[("Maldon", "personal_care", "older_people", "morning")]
    assert morning["packages"] == 2  # PKG-T01 and PKG-T02
    assert morning["overdue"] == 2  # routine from 2026-11-02; discharge from 2026-11-27
    head = frame.attrs["totals"]
    assert [d["district"] for d in head["by_district"]] == ["Chelmsford", "Maldon"]
    assert head["packages"] == 8 and head["clients"] == 7


def test_write_feed_round_trip(backlog: tuple[demand.DemandItem, ...], tmp_path: Path) -> None:
    """write_feed -> read_feed gives the same packages and calls (CSV, JSON)."""
    for name in ("feed.csv", "feed.json"):
        _same(demand.read_feed(demand.write_feed(backlog, tmp_path / name)), backlog)


# ---------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------
def _published(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "demand.csv", dtype={"unit": str})


@pytest.mark.parametrize("level", demand.LEVELS)
def test_publish_totals_reconcile_and_no_small_cells(backlog_csv: Path, tmp_path: Path, level: str) -> None:
    """Published + suppressed hours = the feed's hours (exactly in the
    report, up to 0.1 h rounding per row in the files); no published cell
    has 1..k-1 packages; the GeoJSON holds the same rows."""
    items = demand.read_feed(backlog_csv)
    total = sum(i.hours_week for i in items)
    report = demand.publish(items, tmp_path, k=5, level=level)
    assert report.hours_fine + report.hours_merged + report.suppressed_hours == pytest.approx(total)
    assert report.hours_total == pytest.approx(total)
    table = _published(tmp_path)
    assert table["hours_week"].sum() == pytest.approx(total, abs=0.05 * len(table) + 1e-6)
    cells = table[table["suppressed"] == 0]
    assert len(cells) == report.cells > 0
    assert (cells["packages"] >= 5).all()
    suppressed = table[table["suppressed"] == 1]
    assert suppressed["packages"].isna().all()
    assert len(suppressed) == report.suppressed_districts
    assert suppressed["hours_week"].sum() == pytest.approx(report.suppressed_hours, abs=0.05 * len(suppressed) + 1e-6)
    features = json.loads((tmp_path / "demand.geojson").read_text(encoding="utf-8"))["features"]
    assert len(features) == len(table)
    for f in features:
        p = f["properties"]
        assert p["suppressed"] == 1 or p["packages"] >= 5
        assert f["geometry"] is not None
    assert list(table.columns) == list(demand.PUBLISHED_COLUMNS)
    assert set(table["level"]) <= {level, "district"}


def test_publish_k_1_and_k_large(backlog: tuple[demand.DemandItem, ...], tmp_path: Path) -> None:
    """k=1 publishes every cell as it is; k above the feed suppresses all."""
    one = demand.publish(backlog, tmp_path / "one", k=1)
    assert one.cells_merged == 0 and one.suppressed_hours == 0
    assert one.hours_fine == pytest.approx(sum(i.hours_week for i in backlog))
    everything = demand.publish(backlog, tmp_path / "all", k=len(backlog) + 1)
    assert everything.cells == 0
    assert everything.suppressed_hours == pytest.approx(sum(i.hours_week for i in backlog))
    assert len(_published(tmp_path / "all")) == 1


def test_publish_merges_before_suppressing(tmp_path: Path) -> None:
    """Five clients in five different small areas: no small-area cell, but
    one district cell (merged upward), nothing suppressed."""
    base = demand.read_feed(FEED_CSV)[0]
    postcodes = ["CM0 7RH", "CM0 8DB", "CM8 3JY", "CM9 6DL", "CM3 6DB"]
    g = geo.essex()
    items = []
    for n, pc in enumerate(postcodes):
        location, area = g.locate_postcode(pc)
        client = dataclasses.replace(base.client, id=f"C{n}", postcode=pc, location=location, area_id=area)
        package = dataclasses.replace(base.package, id=f"P{n}", client_id=f"C{n}")
        items.append(dataclasses.replace(base, client=client, package=package))
    report = demand.publish(items, tmp_path, k=5)
    table = _published(tmp_path)
    assert report.cells_fine == 0 and report.suppressed_hours == 0 and report.cells_merged >= 1
    assert set(table["level"]) == {"district"} and (table["packages"] == 5).all()
    assert table["hours_week"].sum() == pytest.approx(5 * base.hours_week, abs=0.05 * len(table) + 1e-9)


def test_publish_bad_arguments(tmp_path: Path) -> None:
    """A bad k or level is an input error."""
    items = demand.read_feed(FEED_CSV)
    with pytest.raises(InputError, match="k=0"):
        demand.publish(items, tmp_path, k=0)
    with pytest.raises(InputError, match="level"):
        demand.publish(items, tmp_path, level="postcode")


_PAIR = re.compile(r"\[\s*(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)\s*\]")


def _vertices(geometry: dict) -> set[tuple[float, float]]:
    out: set[tuple[float, float]] = set()

    def walk(c: object) -> None:
        if isinstance(c, list) and len(c) == 2 and all(isinstance(x, (int, float)) for x in c):
            out.add((float(c[0]), float(c[1])))
        elif isinstance(c, list):
            for x in c:
                walk(x)

    walk(geometry["coordinates"])
    return out


def _public_geometry(level: str, unit: str) -> dict | None:
    if level == "msoa":
        return demand.msoa_polygons().get(unit)
    if level == "district":
        return demand.district_polygons().get(unit)
    return demand.sector_polygon(unit)


@pytest.mark.parametrize("level", demand.LEVELS)
def test_reidentification_keys_are_absent(backlog_csv: Path, tmp_path: Path, level: str) -> None:
    """None of the published files (CSV, GeoJSON, HTML) holds a package id,
    client id, postcode, client point (to 3 decimals) or date of the feed;
    every shape is a public boundary (MSOA, district) or a sector drawn from
    public postcodes only."""
    items = demand.read_feed(backlog_csv)
    demand.publish(items, tmp_path, k=5, level=level)
    texts = {
        name: (tmp_path / name).read_text(encoding="utf-8") for name in ("demand.csv", "demand.geojson", "demand.html")
    }
    ids = {i.package.id for i in items} | {i.client.id for i in items}
    postcodes = {i.client.postcode for i in items if i.client.postcode}
    dates = {d for i in items for d in (i.package.received, i.package.start) if d is not None}
    points = {(round(i.client.location.lat, 3), round(i.client.location.lon, 3)) for i in items}
    assert len(ids) > 200 and len(postcodes) > 50 and len(dates) > 10
    features = json.loads(texts["demand.geojson"])["features"]
    public: set[tuple[float, float]] = set()
    for f in features:
        expected = _public_geometry(f["properties"]["level"], f["properties"]["unit"])
        assert f["geometry"] == expected  # nothing in a shape comes from the feed
        public |= _vertices(expected)
    for name, text in texts.items():
        assert not ids & set(re.findall(r"[\w-]+", text)), (name, "an id")
        for pc in postcodes:
            assert pc not in text and pc.replace(" ", "") not in text, (name, "a postcode")
        for day in dates:
            for shown in (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%Y%m%d")):
                assert shown not in text, (name, "a date")
        # Coordinate pairs: only public vertices may match a client's point.
        for lon, lat in ((float(a), float(b)) for a, b in _PAIR.findall(text)):
            if (lon, lat) not in public and (round(lon, 5), round(lat, 5)) not in public:
                assert (round(lat, 3), round(lon, 3)) not in points, (name, "a client's point")
        rest = _PAIR.sub("", text) if name != "demand.geojson" else json.dumps([f["properties"] for f in features])
        for lat, lon in points:
            assert not (f"{lat:.3f}" in rest and f"{lon:.3f}" in rest), (name, "a client's point")
    assert "Open Government Licence" in texts["demand.html"]
    assert not re.search(r"\d\.\d{3}", texts["demand.csv"])  # no coordinates at all


def test_logs_hold_no_personal_data(backlog_csv: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Reading, summarising and publishing log no id or postcode."""
    with caplog.at_level(logging.DEBUG, logger="patchplan"):
        items = demand.read_feed(backlog_csv)
        demand.summary(items, TODAY)
        demand.publish(items, tmp_path, level="sector")
    assert caplog.records  # it does log (counts)
    text = caplog.text
    for item in items:
        assert item.package.id not in text and item.client.id not in text
        assert not item.client.postcode or item.client.postcode not in text


def test_sector_of_points_without_postcode(backlog: tuple[demand.DemandItem, ...]) -> None:
    """A client with no postcode gets the sector of the nearest postcode in
    its small area; with one, the sector of its own postcode."""
    for item in backlog[:12]:
        sector = demand._sector_of(item)
        assert sector is not None and re.match(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9]$", sector)
        if item.client.postcode:
            assert item.client.postcode.startswith(sector)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def test_cli_summary_json() -> None:
    """`demand summary --json` prints one object with the headline numbers."""
    result = runner.invoke(_cli(), ["demand", "summary", str(FEED_CSV), "--today", "2026-11-30", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"packages", "hours_awaiting", "by_district", "overdue"} <= payload.keys()
    assert payload["packages"] == 8 and payload["hours_awaiting"] == pytest.approx(292.25)
    assert isinstance(payload["by_district"], list) and len(payload["by_district"]) == 2


def test_cli_summary_tables(maldon_folder: Path) -> None:
    """Without --json people get tables; a scenario folder ages at its start."""
    result = runner.invoke(_cli(), ["demand", "summary", str(maldon_folder)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "awaiting a provider on 2026-11-30" in result.output and "Maldon" in result.output


def test_cli_publish_json(backlog_csv: Path, tmp_path: Path) -> None:
    """`demand publish --json` writes the three files and prints the report."""
    out = tmp_path / "public"
    result = runner.invoke(
        _cli(), ["demand", "publish", str(backlog_csv), "--out", str(out), "--k", "5", "--level", "msoa", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"cells", "suppressed_cells", "suppressed_hours", "out"} <= payload.keys()
    assert payload["out"] == str(out)
    assert all((out / name).is_file() for name in ("demand.csv", "demand.geojson", "demand.html"))
    people = runner.invoke(_cli(), ["demand", "publish", str(backlog_csv), "--out", str(out)], terminal_width=200)
    assert people.exit_code == 0 and "suppressed" in people.output


@pytest.mark.parametrize(
    "args",
    [
        ["summary", str(BAD / "bad_rows.csv")],
        ["summary", str(FEED_CSV), "--today", "30/11/2026"],
        ["summary", "/no/such/feed.csv"],
        ["publish", str(FEED_CSV), "--out", "unused", "--level", "postcode"],
        ["publish", str(FEED_CSV), "--out", "unused", "--k", "0"],
    ],
)
def test_cli_bad_input_exits_2(args: list[str]) -> None:
    """Bad input: exit code 2, a message naming the problem, no traceback."""
    result = runner.invoke(_cli(), ["demand", *args])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "Traceback" not in result.output


def test_cli_bad_rows_are_listed() -> None:
    """The CLI lists bad rows with row, field and value."""
    result = runner.invoke(_cli(), ["demand", "summary", str(BAD / "bad_rows.csv")], terminal_width=300)
    assert "row 2, column 'service_type'" in result.output and "home_help" in result.output


def test_feed_columns_documented() -> None:
    """docs/demand-feed.md documents every feed field and call key."""
    text = (Path(__file__).parents[1] / "docs" / "demand-feed.md").read_text(encoding="utf-8")
    for name in (*demand.FEED_COLUMNS, *demand.CALL_KEYS):
        assert name in text
