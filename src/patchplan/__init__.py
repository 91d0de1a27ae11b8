"""patchplan: plan home (domiciliary) care for a council and its providers.

Three jobs on one model: **broker** (which framework provider to offer a
package to), **rounds** (a provider's daily and weekly rounds) and
**patches** (a commissioner's what-if on neighbourhood patches).
"""

from __future__ import annotations

__version__ = "0.1.0"

from patchplan import patches as patches
from patchplan import rounds as rounds
from patchplan.broker.brokerage import allocate as allocate
from patchplan.broker.brokerage import cascade_backlog as cascade_backlog
from patchplan.broker.brokerage import shortlist as shortlist
from patchplan.broker.demand import publish as publish_demand  # noqa: F401 - public name
from patchplan.broker.demand import read_feed as read_demand_feed  # noqa: F401 - public name
from patchplan.broker.offers import OfferStore as OfferStore
from patchplan.broker.transfers import find_transfers as find_transfers
from patchplan.check.charter import charter as charter
from patchplan.check.checker import Kpis as Kpis
from patchplan.check.checker import Violation as Violation
from patchplan.check.checker import check as check
from patchplan.check.checker import check_and_score as check_and_score
from patchplan.check.checker import score as score
from patchplan.core.errors import DataQualityWarning as DataQualityWarning
from patchplan.core.errors import InputError as InputError
from patchplan.core.errors import PatchplanError as PatchplanError
from patchplan.core.errors import Problem as Problem
from patchplan.core.errors import SolverError as SolverError
from patchplan.core.model import Area as Area
from patchplan.core.model import Branch as Branch
from patchplan.core.model import Carer as Carer
from patchplan.core.model import Client as Client
from patchplan.core.model import District as District
from patchplan.core.model import Framework as Framework
from patchplan.core.model import Location as Location
from patchplan.core.model import Lot as Lot
from patchplan.core.model import Package as Package
from patchplan.core.model import Patch as Patch
from patchplan.core.model import Provider as Provider
from patchplan.core.model import Reason as Reason
from patchplan.core.model import Roster as Roster
from patchplan.core.model import Round as Round
from patchplan.core.model import Scenario as Scenario
from patchplan.core.model import Shift as Shift
from patchplan.core.model import Stop as Stop
from patchplan.core.model import Unassigned as Unassigned
from patchplan.core.model import Visit as Visit
from patchplan.core.model import VisitLink as VisitLink
from patchplan.core.params import RoundsParams as RoundsParams
from patchplan.core.patterns import CallPattern as CallPattern
from patchplan.core.patterns import expand as expand_patterns  # noqa: F401 - public name
from patchplan.core.patterns import scenario_for_week as scenario_for_week
from patchplan.essex.facts import facts as facts
from patchplan.essex.generator import essex as essex
from patchplan.geo.travel import GeodesicTravel as GeodesicTravel
from patchplan.geo.travel import OSRMTravel as OSRMTravel
from patchplan.geo.travel import TravelModel as TravelModel
from patchplan.geo.travel import TravelParams as TravelParams
from patchplan.io.folder import read_roster as read_roster
from patchplan.io.folder import read_scenario as read_scenario
from patchplan.io.folder import write_roster as write_roster
from patchplan.io.folder import write_scenario as write_scenario
from patchplan.patches.evaluate import Design as Design
from patchplan.patches.evaluate import Levers as Levers
from patchplan.patches.evaluate import build_design as build_design
from patchplan.patches.evaluate import compare_patches as compare_patches
from patchplan.patches.evaluate import evaluate as evaluate_design  # noqa: F401 - public name
from patchplan.report.demo import DemoSettings as DemoSettings
from patchplan.report.demo import run_demo as run_demo
from patchplan.rounds.plan import plan_rounds as plan_rounds
from patchplan.rounds.replan import plan_from_template as plan_from_template
from patchplan.rounds.replan import replan as replan
