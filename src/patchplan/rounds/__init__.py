"""The rounds job: a provider's days and weeks, re-planning, templates, and the status-quo coordinator."""

from patchplan.rounds.plan import largest_provider as largest_provider
from patchplan.rounds.plan import plan_rounds as plan_rounds
