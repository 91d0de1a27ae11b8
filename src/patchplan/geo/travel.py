"""Travel time (whole minutes) and distance (whole metres) between points.

A :class:`TravelModel` builds matrices for the points one solve needs, per
travel mode; nothing ever builds a county x county matrix.

The default, :class:`GeodesicTravel`, needs no network: great-circle
distance x a circuity factor / a speed that differs between urban and rural
areas, plus a parking/access allowance on each arrival for cars.
:class:`OSRMTravel` asks a road-network server the user runs (an
OSRM-compatible ``/table`` service) instead.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from patchplan.core.errors import InputError, SolverError
from patchplan.core.model import MODES, Location

#: Mean Earth radius in km, the value geopy's great_circle uses.
EARTH_RADIUS_KM = 6371.009


class TravelModel(Protocol):
    """Anything that turns points into time and distance matrices."""

    def matrices(self, points: Sequence[Location], mode: str) -> tuple[np.ndarray, np.ndarray]:
        """(minutes, metres): two int64 n x n arrays with zero diagonals."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeParams:
    """How one travel mode moves.

    ``circuity`` is road (or path) distance over straight-line distance;
    speeds are door-to-door averages in km/h; ``access_min`` is added to each
    arrival at a different place (parking and walking to the door, or
    waiting for a bus).
    """

    circuity: float
    urban_kmh: float
    rural_kmh: float
    access_min: float = 0.0

    def __post_init__(self) -> None:
        if self.circuity < 1 or self.urban_kmh <= 0 or self.rural_kmh <= 0 or self.access_min < 0:
            raise InputError(
                f"travel mode parameters not understood: circuity={self.circuity} "
                f"(>= 1), speeds {self.urban_kmh}/{self.rural_kmh} km/h (> 0), "
                f"access_min={self.access_min} (>= 0)"
            )


def _default_modes() -> dict[str, ModeParams]:
    # Sources and reasoning (see docs/travel.md for the full notes):
    # - car circuity 1.3: road distance / crow-fly distance for short trips
    #   in England is typically 1.2-1.4 (Ballou et al. 2002 report ~1.2-1.3
    #   for the UK; Boscoe et al. 2012 ~1.4 for US county roads).
    # - car speeds: DfT table CGN0501 puts average weekday speeds on local
    #   A roads at ~25 mph (~40 km/h); town centres and residential streets
    #   are slower (~20 mph, 32 km/h), rural roads faster (~35 mph, 56 km/h).
    # - 3 min access per car arrival: finding a space and walking to the
    #   door, as UK domiciliary rostering tools allow between calls.
    # - walking 4.8 km/h (3 mph, the usual planning pace); cycling 15 km/h;
    #   public transport ~15 km/h in towns and ~10 km/h in the country
    #   door-to-door, plus 8 min waiting.
    return {
        "car": ModeParams(circuity=1.3, urban_kmh=32.0, rural_kmh=56.0, access_min=3.0),
        "walk": ModeParams(circuity=1.25, urban_kmh=4.8, rural_kmh=4.8),
        "bike": ModeParams(circuity=1.3, urban_kmh=15.0, rural_kmh=15.0),
        "public": ModeParams(circuity=1.4, urban_kmh=15.0, rural_kmh=10.0, access_min=8.0),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class TravelParams:
    """Parameters of the default travel model, per mode."""

    modes: Mapping[str, ModeParams] = field(default_factory=_default_modes)

    @classmethod
    def from_settings(cls, table: Mapping[str, Mapping[str, float]] | None) -> TravelParams:
        """From a ``[travel.<mode>]`` TOML table; missing keys keep defaults.

        Raises
        ------
        InputError
            On an unknown mode or key.
        """
        modes = _default_modes()
        for mode, values in (table or {}).items():
            if mode not in MODES:
                raise InputError(f"scenario.toml [travel.{mode}]: unknown mode; expected one of {MODES}")
            known = set(ModeParams.__dataclass_fields__)
            unknown = set(values) - known
            if unknown:
                raise InputError(
                    f"scenario.toml [travel.{mode}]: unknown keys {sorted(unknown)}; expected {sorted(known)}"
                )
            base = modes[mode]
            modes[mode] = ModeParams(**{**{k: getattr(base, k) for k in known}, **values})
        return cls(modes=modes)


#: Most points a full matrix may have: 10,000 points are 100 million pairs,
#: about 800 MB per array (and the haversine needs several); past that the
#: input is a mistake (or needs a sparse model), not a plan to allocate.
MAX_MATRIX_POINTS = 10_000


def check_matrix_size(n: int) -> None:
    """Refuse a matrix nobody could have meant, before allocating it."""
    if n > MAX_MATRIX_POINTS:
        raise InputError(
            f"a travel matrix of {n:,} points ({n * n:,} pairs) is too large; "
            f"at most {MAX_MATRIX_POINTS:,} points (plan one provider or district at a time)"
        )


def great_circle_m(points: Sequence[Location]) -> np.ndarray:
    """Great-circle distances in metres (float), vectorised haversine."""
    check_matrix_size(len(points))
    lat = np.radians([p.lat for p in points])
    lon = np.radians([p.lon for p in points])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


@dataclass(frozen=True, slots=True)
class GeodesicTravel:
    """Great circle x circuity / urban-or-rural speed (+ access allowance).

    A trip between two urban points uses the urban speed, between two rural
    points the rural speed, and a mixed trip the mean of the two.
    """

    params: TravelParams = field(default_factory=TravelParams)

    def matrices(self, points: Sequence[Location], mode: str) -> tuple[np.ndarray, np.ndarray]:
        mp = _mode(self.params.modes, mode)
        urban = np.array([p.urban for p in points], dtype=float)
        return _timed(great_circle_m(points) * mp.circuity, (urban[:, None] + urban[None, :]) / 2, mp)

    def from_point(
        self, origin: Location, lat: np.ndarray, lon: np.ndarray, urban: np.ndarray, mode: str | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(minutes, metres) from one point to many, exactly as
        :meth:`matrices` would give them; ``mode`` may be one mode or one per
        destination (e.g. each carer's own)."""
        if isinstance(mode, str):
            mp: ModeParams | _ModeArrays = _mode(self.params.modes, mode)
        else:
            mp = self.mode_arrays(tuple(mode.tolist()))
        road_m = haversine_m(origin.lat, origin.lon, lat, lon) * mp.circuity
        return _timed(road_m, (float(origin.urban) + urban.astype(float)) / 2, mp)

    def pairwise(self, a: Sequence[Location], b: Sequence[Location], modes: Sequence[str]) -> np.ndarray:
        """Minutes from a[i] to b[i] for each i (mode i), as :meth:`matrices` gives them."""
        if not len(a):
            return np.zeros(0, dtype=np.int64)
        lat0 = np.radians([p.lat for p in a])
        lon0 = np.radians([p.lon for p in a])
        lat1 = np.radians([p.lat for p in b])
        lon1 = np.radians([p.lon for p in b])
        h = np.sin((lat1 - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat1) * np.sin((lon1 - lon0) / 2) ** 2
        metres = 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
        mp = self.mode_arrays(tuple(modes))
        share = (np.array([p.urban for p in a], dtype=float) + np.array([p.urban for p in b], dtype=float)) / 2
        return _timed(metres * mp.circuity, share, mp)[0]

    def mode_arrays(self, modes: tuple[str, ...]) -> _ModeArrays:
        cache = _MODE_ARRAYS.setdefault(id(self.params), {})
        if modes not in cache:
            ps = [_mode(self.params.modes, m) for m in modes]
            cache[modes] = _ModeArrays(
                circuity=np.array([p.circuity for p in ps]),
                urban_kmh=np.array([p.urban_kmh for p in ps]),
                rural_kmh=np.array([p.rural_kmh for p in ps]),
                access_min=np.array([p.access_min for p in ps]),
            )
        return cache[modes]


@dataclass(frozen=True, slots=True)
class _ModeArrays:
    """ModeParams, one entry per destination (same arithmetic, vectorised)."""

    circuity: np.ndarray
    urban_kmh: np.ndarray
    rural_kmh: np.ndarray
    access_min: np.ndarray


_MODE_ARRAYS: dict[int, dict[tuple[str, ...], _ModeArrays]] = {}


def haversine_m(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle metres from one point to many."""
    p0, l0 = np.radians(lat0), np.radians(lon0)
    p, lo = np.radians(lat), np.radians(lon)
    h = np.sin((p - p0) / 2) ** 2 + np.cos(p0) * np.cos(p) * np.sin((lo - l0) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def _timed(road_m: np.ndarray, share_urban: np.ndarray, mp: ModeParams | _ModeArrays) -> tuple[np.ndarray, np.ndarray]:
    """Whole minutes and metres from road metres: speed by urban share,
    at least a minute (plus access) for any move, zero for none."""
    kmh = share_urban * mp.urban_kmh + (1 - share_urban) * mp.rural_kmh
    minutes = road_m / (kmh * 1000 / 60)
    moved = road_m > 0
    minutes = np.where(moved, np.maximum(1, np.rint(minutes + mp.access_min)), 0)
    return minutes.astype(np.int64), np.rint(road_m).astype(np.int64)


@dataclass(frozen=True, slots=True)
class PlanarTravel:
    """Euclidean distance on a plane (benchmark instances such as Solomon).

    ``lat``/``lon`` are read as y/x. Times and distances are multiplied by
    ``scale`` and rounded *up* to integers, so a plan that is feasible with
    these integers is feasible with the instance's real-valued distances.
    """

    scale: int = 1

    def from_point(
        self, origin: Location, lat: np.ndarray, lon: np.ndarray, urban: np.ndarray, mode: str | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One-to-many, exactly as :meth:`matrices` gives them."""
        d = np.sqrt((np.asarray(lon) - origin.lon) ** 2 + (np.asarray(lat) - origin.lat) ** 2) * self.scale
        out = np.ceil(d - 1e-9).astype(np.int64)
        return out, out.copy()

    def pairwise(self, a: Sequence[Location], b: Sequence[Location], modes: Sequence[str]) -> np.ndarray:
        """Minutes from a[i] to b[i], as :meth:`matrices` gives them."""
        d = (
            np.hypot(
                np.array([p.lon for p in a]) - np.array([p.lon for p in b]),
                np.array([p.lat for p in a]) - np.array([p.lat for p in b]),
            )
            * self.scale
        )
        return np.ceil(d - 1e-9).astype(np.int64)

    def matrices(self, points: Sequence[Location], mode: str) -> tuple[np.ndarray, np.ndarray]:
        check_matrix_size(len(points))
        xy = np.array([[p.lon, p.lat] for p in points], dtype=float)
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) * self.scale
        # 1e-9 guards against 12.000000001 rounding up to 13.
        out = np.ceil(d - 1e-9).astype(np.int64)
        return out, out.copy()


@dataclass(frozen=True)
class MatrixTravel:
    """A given matrix between known points (instances that ship one).

    ``points`` are looked up by exact coordinates; ``minutes`` is used for
    both time and distance.
    """

    points: Sequence[Location]
    minutes: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {(p.lat, p.lon): i for i, p in enumerate(self.points)})

    def matrices(self, points: Sequence[Location], mode: str) -> tuple[np.ndarray, np.ndarray]:
        index = self._index  # type: ignore[attr-defined]
        try:
            ids = [index[(p.lat, p.lon)] for p in points]
        except KeyError as exc:
            raise InputError(f"point {exc.args[0]} is not in the travel matrix") from exc
        sub = self.minutes[np.ix_(ids, ids)].astype(np.int64)
        return sub, sub.copy()


@dataclass(frozen=True, slots=True)
class OSRMTravel:
    """Times and distances from an OSRM-compatible ``/table`` server.

    Optional: the user runs the server (e.g. ``osrm-routed`` on an England
    extract). Each mode maps to one of its profiles. Large requests are split
    into blocks of at most ``max_locations`` coordinates, the server's
    ``--max-table-size``.
    """

    url: str
    profiles: Mapping[str, str] = field(
        default_factory=lambda: {"car": "driving", "walk": "foot", "bike": "bike", "public": "driving"}
    )
    max_locations: int = 100
    timeout_s: float = 30.0
    access_min: Mapping[str, float] = field(default_factory=lambda: {"car": 3.0})

    def matrices(self, points: Sequence[Location], mode: str) -> tuple[np.ndarray, np.ndarray]:
        if mode not in self.profiles:
            raise InputError(f"no OSRM profile for travel mode {mode!r}")
        n = len(points)
        check_matrix_size(n)
        seconds = np.zeros((n, n))
        metres = np.zeros((n, n))
        half = max(1, self.max_locations // 2)
        for i0 in range(0, n, half):
            for j0 in range(0, n, half):
                rows = range(i0, min(n, i0 + half))
                cols = range(j0, min(n, j0 + half))
                dur, dist = self._table(points, list(rows), list(cols), self.profiles[mode])
                seconds[i0 : i0 + len(rows), j0 : j0 + len(cols)] = dur
                metres[i0 : i0 + len(rows), j0 : j0 + len(cols)] = dist
        access = self.access_min.get(mode, 0.0)
        minutes = np.where(metres > 0, np.maximum(1, np.rint(seconds / 60 + access)), 0)
        np.fill_diagonal(minutes, 0)
        np.fill_diagonal(metres, 0)
        return minutes.astype(np.int64), np.rint(metres).astype(np.int64)

    def _table(
        self, points: Sequence[Location], rows: list[int], cols: list[int], profile: str
    ) -> tuple[np.ndarray, np.ndarray]:
        coords = [points[i] for i in rows] + [points[j] for j in cols]
        text = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in coords)
        src = ";".join(str(i) for i in range(len(rows)))
        dst = ";".join(str(len(rows) + j) for j in range(len(cols)))
        url = (
            f"{self.url.rstrip('/')}/table/v1/{profile}/{text}"
            f"?sources={src}&destinations={dst}&annotations=duration,distance"
        )
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as resp:
                body = json.loads(resp.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise SolverError(f"OSRM server at {self.url} did not answer: {exc}") from exc
        if body.get("code") != "Ok":
            raise SolverError(f"OSRM server at {self.url} refused: {body.get('code')} {body.get('message', '')}")
        dur = np.array(body["durations"], dtype=object)
        dist = np.array(body["distances"], dtype=object)
        if (dur == None).any() or (dist == None).any():  # noqa: E711 (element-wise)
            raise SolverError("OSRM could not route between some points (null in /table)")
        return dur.astype(float), dist.astype(float)


def _mode(modes: Mapping[str, ModeParams], mode: str) -> ModeParams:
    try:
        return modes[mode]
    except KeyError:
        raise InputError(f"unknown travel mode {mode!r}; expected one of {sorted(modes)}") from None


def default_travel(settings: Mapping[str, object] | None = None) -> GeodesicTravel:
    """The offline model with a scenario's ``[travel]`` overrides applied."""
    table = (settings or {}).get("travel")
    return GeodesicTravel(TravelParams.from_settings(table))  # type: ignore[arg-type]


def km_to_miles(km: float) -> float:
    return km / 1.609344


__all__ = [
    "GeodesicTravel",
    "MatrixTravel",
    "ModeParams",
    "OSRMTravel",
    "PlanarTravel",
    "TravelModel",
    "TravelParams",
    "default_travel",
    "great_circle_m",
    "km_to_miles",
]
