"""Request bodies and query filters, validated with pydantic at the edge: a
bad field gets a 422 naming it (``loc``) and why, before any job runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from patchplan.broker.brokerage import POLICIES
from patchplan.core.model import BAND_NAMES, COHORTS, SERVICE_TYPES

Policy = Literal[POLICIES]  # type: ignore[valid-type]
ServiceType = Literal[SERVICE_TYPES]  # type: ignore[valid-type]
Cohort = Literal[COHORTS]  # type: ignore[valid-type]
Band = Literal[(*BAND_NAMES, "week")]  # type: ignore[valid-type]
Role = Literal["broker", "provider", "commissioner", "admin"]
Ident = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
#: Ids in paths (offers, jobs, proposals) are the database's integers: anything
#: outside them is a 422 naming the parameter, never an overflow in the driver.
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
#: A suggested transfer's position in the list (from 0).
IndexPath = Annotated[int, Path(ge=0, le=MAX_ID)]


class _Body(BaseModel):
    # Unknown fields are refused (a typo in a field name must not be ignored);
    # a form's csrf field is checked by the Csrf dependency, not here.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Form(_Body):
    csrf: str | None = None


def _blank_to_none(value: object) -> object:
    return None if value == "" else value


class OfferRequest(_Body):
    """Offer a package: to one provider, or to the policy's pick when none is named."""

    provider_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    policy: Policy = "cascade"
    #: Default: the response deadline of the package's urgency.
    ttl_hours: float | None = Field(default=None, gt=0, le=24 * 14)

    _blank = field_validator("provider_id", "ttl_hours", mode="before")(_blank_to_none)


class OfferForm(OfferRequest, _Form):
    pass


class ReasonRequest(_Body):
    """A decline (or a withdrawal) and why."""

    reason: str = Field(min_length=3, max_length=500)


class ReasonForm(ReasonRequest, _Form):
    pass


class AllocationRequest(_Body):
    """Start a joint allocation of the backlog."""

    policy: Policy = "cascade"
    time_limit_s: float = Field(default=10.0, gt=0, le=300)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class AllocationForm(AllocationRequest, _Form):
    pass


class RoundsPlanRequest(_Body):
    """Plan the provider's rounds for a week (seven days from ``week``, the
    scenario's first day when not given) with care teams of at most
    ``team_cap`` carers per client, within ``time_limit_s`` seconds."""

    week: dt.date | None = None
    team_cap: int = Field(default=3, ge=1, le=6)
    #: The CLI's default for a week (rounds.job.default_time_limit(7)).
    time_limit_s: float = Field(default=300.0, ge=5, le=900)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    _blank = field_validator("week", mode="before")(_blank_to_none)


class RoundsPlanForm(RoundsPlanRequest, _Form):
    pass


def _designs(value: list[str]) -> list[str]:
    from patchplan.core.errors import InputError
    from patchplan.service.jobs import check_designs

    try:
        return check_designs(value)
    except InputError as exc:
        raise ValueError(str(exc).removeprefix("designs: ")) from None


class ComparisonRequest(_Body):
    """Start a patch comparison: designs as the CLI takes them (today, districts, prime, k=N, hours=N)."""

    designs: list[str] = Field(min_length=1, max_length=6)
    mode: Literal["fast", "full"] = "fast"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    _check = field_validator("designs")(_designs)


class ComparisonForm(_Form):
    #: Comma-separated in the form.
    designs: str = Field(min_length=1, max_length=200)
    mode: Literal["fast", "full"] = "fast"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("designs")
    @classmethod
    def _check(cls, value: str) -> str:
        return ",".join(_designs(value.split(",")))


class UserRequest(_Body):
    """A new account."""

    username: str = Field(min_length=2, max_length=64)
    role: Role
    provider_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    password: str = Field(min_length=12, max_length=200)

    _blank = field_validator("provider_id", mode="before")(_blank_to_none)


class UserForm(UserRequest, _Form):
    pass


class LoginRequest(_Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginForm(LoginRequest):
    csrf: str | None = None


class AnswerRequest(_Body):
    """A provider's answer to a transfer proposal."""

    agree: bool


class AnswerForm(AnswerRequest, _Form):
    pass


class CsrfForm(_Form):
    """A form with nothing but its CSRF token (a button)."""


class BoardFilter(BaseModel):
    """The broker's board filters (query parameters)."""

    model_config = ConfigDict(extra="forbid")

    district: str | None = Field(default=None, max_length=64)
    service_type: ServiceType | None = None
    cohort: Cohort | None = None
    band: Band | None = None

    _blank = field_validator("district", "service_type", "cohort", "band", mode="before")(_blank_to_none)
