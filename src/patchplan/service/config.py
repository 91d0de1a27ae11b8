"""What a running service is configured with (one frozen object, built by the CLI or a test)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Login throttling: this many failures for one user name within the window lock it out for the window.
MAX_LOGIN_FAILURES = 5
LOGIN_WINDOW_S = 15 * 60
#: A session lasts this long without a new login.
SESSION_HOURS = 12.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Settings of one service instance.

    Attributes
    ----------
    db_url
        SQLAlchemy URL of the database the offers store and the service share.
    data_dir
        Folder for files too big for the database: patch comparison reports.
    secure_cookies
        True: cookies are marked Secure (behind TLS); None: Secure when the
        request came over https.
    k
        Published demand: smallest number of clients a cell may describe.
    level
        Published demand: the unit locations are coarsened to (msoa, sector, district).
    allocation_time_limit_s
        CP-SAT time limit of a joint allocation job.
    expire_every_s
        How often offers past their response deadline are expired (0: never, tests).
    demand_refresh_s
        The published demand is recomputed at most this often (0: whenever it changed).
    """

    db_url: str
    data_dir: Path
    secure_cookies: bool | None = None
    k: int = 5
    level: str = "msoa"
    allocation_time_limit_s: float = 10.0
    expire_every_s: float = 60.0
    demand_refresh_s: float = 10.0
    max_login_failures: int = MAX_LOGIN_FAILURES
    login_window_s: int = LOGIN_WINDOW_S
    session_hours: float = SESSION_HOURS
