"""Travel model: geodesic default against geopy, modes, OSRM adapter."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

import numpy as np
import pytest
from geopy.distance import great_circle
from hypothesis import given
from hypothesis import strategies as st

import patchplan as pp
from patchplan.geo.travel import GeodesicTravel, PlanarTravel, great_circle_m

points_st = st.lists(st.tuples(st.floats(50.5, 53.0), st.floats(-1.5, 1.8), st.booleans()), min_size=1, max_size=8)


@given(points_st)
def test_great_circle_matches_geopy(raw: list) -> None:
    """The vectorised distance equals geopy's great_circle to a millimetre."""
    pts = [pp.Location(a, b, u) for a, b, u in raw]
    d = great_circle_m(pts)
    for i, p in enumerate(pts):
        for j, q in enumerate(pts):
            assert d[i, j] == pytest.approx(great_circle((p.lat, p.lon), (q.lat, q.lon)).m, abs=1e-3)


@given(points_st, st.sampled_from(["car", "walk", "bike", "public"]))
def test_matrices_have_zero_diagonal_and_are_integers(raw: list, mode: str) -> None:
    """Whole minutes and metres, nothing to travel to oneself."""
    minutes, metres = GeodesicTravel().matrices([pp.Location(a, b, u) for a, b, u in raw], mode)
    assert minutes.dtype.kind == "i" and metres.dtype.kind == "i"
    assert (np.diag(minutes) == 0).all() and (np.diag(metres) == 0).all()
    assert (minutes >= 0).all()


def test_urban_is_slower_than_rural_and_walking_slowest() -> None:
    """10 km by car takes longer in town; walking takes longer still."""
    a_urban, b_urban = pp.Location(51.88, 0.90, True), pp.Location(51.97, 0.90, True)
    a_rural, b_rural = pp.Location(51.88, 0.90, False), pp.Location(51.97, 0.90, False)
    t = GeodesicTravel()
    urban = t.matrices([a_urban, b_urban], "car")[0][0, 1]
    rural = t.matrices([a_rural, b_rural], "car")[0][0, 1]
    walk = t.matrices([a_urban, b_urban], "walk")[0][0, 1]
    assert rural < urban < walk


def test_car_arrival_includes_access_allowance() -> None:
    """A car trip of ~1 km in town is 1.3 km / 32 km/h + 3 min parking."""
    a, b = pp.Location(51.88, 0.90), pp.Location(51.889, 0.90)
    minutes, metres = GeodesicTravel().matrices([a, b], "car")
    expected = round(metres[0, 1] / (32000 / 60) + 3)
    assert minutes[0, 1] == expected


def test_from_point_equals_matrix_row() -> None:
    """The one-to-many helper gives exactly the matrix's numbers."""
    pts = [pp.Location(51.8 + i * 0.01, 0.9 - i * 0.02, i % 2 == 0) for i in range(6)]
    t = GeodesicTravel()
    minutes, metres = t.matrices(pts, "car")
    lat = np.array([p.lat for p in pts])
    lon = np.array([p.lon for p in pts])
    urban = np.array([p.urban for p in pts])
    row_min, row_m = t.from_point(pts[0], lat, lon, urban, "car")
    assert (row_min == minutes[0]).all() and (row_m == metres[0]).all()


def test_travel_settings_override_defaults() -> None:
    """[travel.car] urban_kmh in scenario.toml changes car speed."""
    params = pp.TravelParams.from_settings({"car": {"urban_kmh": 16.0}})
    assert params.modes["car"].urban_kmh == 16.0 and params.modes["car"].circuity == 1.3
    with pytest.raises(pp.InputError, match="unknown mode"):
        pp.TravelParams.from_settings({"hovercraft": {}})


def test_planar_rounds_up() -> None:
    """Planar times are ceil(distance * scale): feasible with real distances."""
    minutes, _ = PlanarTravel(scale=10).matrices([pp.Location(0, 0), pp.Location(1, 1)], "car")
    assert minutes[0, 1] == 15  # sqrt(2) * 10 = 14.14 -> 15


class _FakeOSRM(BaseHTTPRequestHandler):
    """Answers /table with crow-fly seconds at 10 m/s, like OSRM's JSON."""

    def do_GET(self) -> None:
        path = urlsplit(self.path)
        coords = [tuple(map(float, c.split(","))) for c in path.path.split("/")[-1].split(";")]
        query = dict(kv.split("=") for kv in path.query.split("&"))
        src = [int(i) for i in query["sources"].split(";")]
        dst = [int(i) for i in query["destinations"].split(";")]
        pts = [pp.Location(lat, lon) for lon, lat in coords]
        d = great_circle_m(pts)
        body = {
            "code": "Ok",
            "durations": [[d[i, j] / 10 for j in dst] for i in src],
            "distances": [[d[i, j] for j in dst] for i in src],
        }
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def osrm_url():
    server = HTTPServer(("127.0.0.1", 0), _FakeOSRM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_osrm_adapter_blocks_requests(osrm_url: str) -> None:
    """Large matrices are fetched in blocks and stitched together."""
    pts = [pp.Location(51.8 + i * 0.005, 0.9 + (i % 3) * 0.01) for i in range(7)]
    minutes, metres = pp.OSRMTravel(osrm_url, max_locations=4, access_min={}).matrices(pts, "car")
    d = great_circle_m(pts)
    assert (metres == np.rint(d)).all()
    off = ~np.eye(7, dtype=bool)
    assert (minutes[off] == np.maximum(1, np.rint(d[off] / 10 / 60))).all()


def test_osrm_unreachable_is_a_solver_error() -> None:
    """No server: a clear SolverError (exit code 3), not a traceback."""
    with pytest.raises(pp.SolverError, match="did not answer"):
        pp.OSRMTravel("http://127.0.0.1:9", timeout_s=1).matrices(
            [pp.Location(51.8, 0.9), pp.Location(51.9, 0.9)], "car"
        )


def test_pairwise_equals_matrix_entries() -> None:
    """pairwise() gives exactly the matrix's a->b minutes, per mode."""
    pts = [pp.Location(51.8 + i * 0.013, 0.9 - i * 0.021, i % 2 == 0) for i in range(6)]
    t = GeodesicTravel()
    modes = ["car", "walk", "car", "bike", "public"]
    got = t.pairwise(pts[:-1], pts[1:], modes)
    for i, mode in enumerate(modes):
        assert got[i] == t.matrices([pts[i], pts[i + 1]], mode)[0][0, 1]
