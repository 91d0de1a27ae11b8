"""Every command-line value checked once, before any work starts: the validation table.

:data:`RULES` says what each option (by its flag) and argument (by its name)
allows; :data:`COMMAND_RULES` overrides it where one flag means different
things in different commands (``--out`` is a folder for ``rounds`` and a file
for ``patches design``). :func:`check_options` is applied by
:func:`patchplan.cli.common.job` to every command: it reports every bad value
in one pass, naming the option, the value and what is allowed, as an
:class:`~patchplan.core.errors.InputError` (exit code 2).

Checks: type and range of numbers (NaN and infinity are never allowed; every
number has a sign and a sane upper bound), the kind of each path (an existing
folder, an existing file, a folder or a file to write), choices, dates,
``--now`` times (no time-zone offset: scenario times are local clock times),
and scheduler addresses. A test walks the typer app and fails when a numeric
or path parameter has no rule here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchplan.core.errors import InputError, Problem

#: Largest seed: OR-Tools and numpy both take a 32-bit seed.
MAX_SEED = 2**31 - 1
#: Longest time budget anything may be given: a day.
MAX_SECONDS = 86_400.0


@dataclass(frozen=True, slots=True)
class Number:
    """A finite number in ``[low, high]`` (``(low, high]`` when ``low_open``)."""

    low: float
    high: float
    low_open: bool = False
    whole: bool = False
    unit: str = ""

    def problem(self, value: object) -> str | None:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and self.whole and not isinstance(value, int):
            ok = isinstance(value, float) and math.isfinite(value) and value.is_integer()
        if ok:
            number = float(value)  # type: ignore[arg-type]
            ok = math.isfinite(number) and (number > self.low if self.low_open else number >= self.low)
            ok = ok and number <= self.high
        return None if ok else f"expected {self.allowed()}"

    def allowed(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        low = f"> {_number(self.low)}" if self.low_open else f">= {_number(self.low)}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{kind}{unit} {low} and <= {_number(self.high)}"


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True, slots=True)
class PathKind:
    """What a path must be: ``folder``/``file``/``existing`` are read (they
    must exist); ``out_folder``/``out_file`` are written (they may be new, but
    must not be a file where a folder is wanted, or the other way round);
    ``scenario`` is a scenario folder or its ``scenario.toml``."""

    kind: str

    def problem(self, value: object) -> str | None:
        text = str(value)
        if self.kind == "source" and re.match(r"^https?://", text, re.IGNORECASE):
            return None
        path = Path(text)
        exists, is_dir = path.exists(), path.is_dir()
        if self.kind in ("folder", "file", "existing", "scenario", "source") and not exists:
            return f"no such {'file' if self.kind == 'file' else 'file or folder'}; expected {self.allowed()}"
        if self.kind == "folder" and not is_dir:
            return f"is a file; expected {self.allowed()}"
        if self.kind == "scenario" and not is_dir and path.name != "scenario.toml":
            return f"is a file; expected {self.allowed()}"
        if self.kind == "file" and is_dir:
            return f"is a folder; expected {self.allowed()}"
        if self.kind == "out_folder" and exists and not is_dir:
            return f"is an existing file; expected {self.allowed()}"
        if self.kind == "out_file":
            if is_dir:
                return f"is a folder; expected {self.allowed()}"
            if path.parent.exists() and not path.parent.is_dir():
                return f"its folder {path.parent} is a file; expected {self.allowed()}"
        return None

    def allowed(self) -> str:
        return {
            "folder": "an existing folder",
            "file": "an existing file",
            "existing": "an existing file or folder",
            "scenario": "a scenario folder (or its scenario.toml)",
            "source": "an existing file or folder, or an http(s) URL",
            "out_folder": "a folder to write to (new or existing), not a file",
            "out_file": "a file to write (new or existing), not a folder",
        }[self.kind]


@dataclass(frozen=True, slots=True)
class Text:
    """A text value checked by a function returning what is wrong (or None)."""

    check: Callable[[str], str | None]
    #: What is allowed, in words (docs/input-format.md).
    doc: str = ""

    def problem(self, value: object) -> str | None:
        return self.check(str(value))

    def allowed(self) -> str:
        return self.doc


def choice(*allowed: str) -> Text:
    return Text(lambda v: None if v in allowed else f"expected one of {', '.join(allowed)}", " or ".join(allowed))


def _date(text: str) -> str | None:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return "expected a date YYYY-MM-DD"
    return None if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else "expected a date YYYY-MM-DD"


def _moment(text: str) -> str | None:
    """YYYY-MM-DDTHH:MM, local clock time: an offset would silently shift every time by hours."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return "expected YYYY-MM-DDTHH:MM"
    if when.tzinfo is not None:
        return "has a time-zone offset; give the local clock time YYYY-MM-DDTHH:MM without one"
    if "T" not in text and " " not in text:
        return "has no time of day; expected YYYY-MM-DDTHH:MM"
    return None


def _utc_moment(text: str) -> str | None:
    """YYYY-MM-DDTHH:MM in UTC, or with an offset (converted to UTC by the command)."""
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return "expected YYYY-MM-DDTHH:MM (UTC, or with an offset such as +01:00)"
    return None if ("T" in text or " " in text) else "has no time of day; expected YYYY-MM-DDTHH:MM"


def _scheduler(text: str) -> str | None:
    """A Dask scheduler address: tcp://host:port (or tls://, ws://, wss://, inproc://), or host:port."""
    match = re.fullmatch(r"(?:(tcp|tls|ws|wss|ucx)://)?([A-Za-z0-9._-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})", text)
    if text.startswith("inproc://") or (match and 0 < int(match.group(3)) <= 65535):
        return None
    return "expected a scheduler address such as tcp://10.0.0.5:8786 or host:8786 (port 1-65535)"


def _floor(text: str) -> str | None:
    names = ("national_living_wage", "real_living_wage", "london_living_wage")
    if text in names:
        return None
    try:
        value = float(text.lstrip("£"))
    except ValueError:
        return f"unknown pay floor; expected one of {', '.join(names)} or pounds an hour (e.g. 12.60)"
    return None if math.isfinite(value) and 0 < value <= 1000 else "expected pounds an hour > 0 and <= 1,000"


def _database(text: str) -> str | None:
    """An SQLAlchemy URL; for SQLite, a file that is not a folder."""
    match = re.fullmatch(r"([a-z][a-z0-9+]*)://(.*)", text, re.DOTALL)
    if not match:
        return "is not a database URL; expected one such as sqlite:///offers.db or postgresql://host/db"
    if match.group(1) == "sqlite" and match.group(2).startswith("/"):
        path = Path(match.group(2)[1:])
        if path.is_dir():
            return "names a folder; expected a database file, e.g. sqlite:///offers.db"
        if str(path) not in ("", ":memory:") and not path.parent.is_dir():
            return f"folder {path.parent} does not exist"
    return None


SEED = Number(0, MAX_SEED, whole=True)
SECONDS = Number(0, MAX_SECONDS, low_open=True, unit="of seconds")
SHARE = Number(0, 1)

#: Options by flag and arguments by name.
RULES: dict[str, Any] = {
    "--seed": SEED,
    "--time-limit": SECONDS,
    "--rounds-time": SECONDS,
    "--seconds-per-visit": Number(0, 600, low_open=True, unit="of seconds"),
    "--scale": Number(0, 5, low_open=True),
    "--backlog": Number(0, 100_000, whole=True),
    "--weeks": Number(1, 52, whole=True),  # 52 weeks fit the 366-day horizon
    "--team-cap": Number(0, 100, whole=True),  # 0: no continuity rule, as in RoundsParams
    "--k": Number(1, 1_000, whole=True),
    "--hours": Number(0, 1_000_000, low_open=True, unit="of hours"),
    "--tolerance": SHARE,
    "--reablement": SHARE,
    "--subcontract": SHARE,
    "--ttl-hours": Number(0, 24 * 366, low_open=True, unit="of hours"),
    "--max": Number(1, 100_000, whole=True),
    "--format": choice("csv", "parquet"),
    "--mode": choice("full", "fast"),
    "--level": choice("msoa", "sector", "district"),
    "--policy": choice("cascade", "tiered", "weighted"),
    "--scheduler": Text(
        _scheduler, "a Dask scheduler address: tcp://host:port (tls://, ws://, inproc:// too) or host:port"
    ),
    "--floor": Text(
        _floor, "national_living_wage, real_living_wage, london_living_wage or pounds an hour (> 0, <= 1,000)"
    ),
    "--day": Text(_date, "a date YYYY-MM-DD in the scenario's horizon"),
    "--week": Text(_date, "a date YYYY-MM-DD in the horizon (fewer than 7 days left: the output says so)"),
    "--today": Text(_date, "a date YYYY-MM-DD"),
    "--now": Text(_moment, "YYYY-MM-DDTHH:MM, local clock time, no time-zone offset"),
    "--out": PathKind("out_folder"),
    "--params": PathKind("file"),
    "--events": PathKind("file"),
    "--template": PathKind("existing"),
    "--template-scenario": PathKind("scenario"),
    "--scenario": PathKind("scenario"),
    "--db": Text(_database, "a database URL (sqlite:///file.db, postgresql://...); for SQLite a file, not a folder"),
    "--data": PathKind("out_folder"),
    "--port": Number(1, 65_535, whole=True),
    "scenario": PathKind("scenario"),
    "folder": PathKind("scenario"),
    "roster": PathKind("existing"),
    "file": PathKind("file"),
    "source": PathKind("source"),
    "offer_id": Number(1, 2**63 - 1, whole=True),
}

#: Where a flag means something else in one command (by the command function's name).
COMMAND_RULES: dict[str, dict[str, Any]] = {
    "patches_design": {"--out": PathKind("out_file")},
    # Offer deadlines are instants: an offset is legitimate there, and converted to UTC.
    "offers_expire": {"--now": Text(_utc_moment, "YYYY-MM-DDTHH:MM in UTC, or with an offset (converted to UTC)")},
}


def rule_for(command: str, name: str) -> Any:
    """The rule for an option flag or argument name of a command, or None."""
    return COMMAND_RULES.get(command, {}).get(name) or RULES.get(name)


def _context() -> Any:
    """The running command's context (typer may vendor click as ``typer._click``)."""
    for module in ("typer._click.globals", "click"):
        try:
            ctx = importlib.import_module(module).get_current_context(silent=True)
        except (ImportError, AttributeError):
            continue
        if ctx is not None:
            return ctx
    return None


def names_of(ctx: Any) -> dict[str, str]:
    """Parameter name -> how a user writes it (``--scale``, or the argument's name)."""
    out = {}
    for p in getattr(ctx.command, "params", ()):
        opts = [o for o in (getattr(p, "opts", None) or ()) if o.startswith("--")]
        out[p.name] = opts[0] if opts else p.name
    return out


def check_options(command: str, values: Mapping[str, Any], names: Mapping[str, str] | None = None) -> None:
    """Check a command's values against the table; raise one InputError listing every bad one.

    ``names`` maps parameter names to flags (from the running command when omitted).
    """
    if names is None:
        ctx = _context()
        if ctx is None:  # called as a function, not from the command line
            return
        names = names_of(ctx)
    found: list[Problem] = []
    for param, value in values.items():
        flag = names.get(param, param)
        rule = rule_for(command, flag)
        if rule is None or value is None or isinstance(value, bool):
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            message = rule.problem(item)
            if message is not None:
                what = f"option {flag}" if flag.startswith("--") else f"argument {flag.upper()}"
                found.append(Problem(message=f"{what} {_shown(item)}: {message}"))
    if found:
        raise InputError(found)


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else "..." + text[-57:])  # a path's end says most
