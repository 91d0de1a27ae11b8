"""patchplan: plan home (domiciliary) care for a council and its providers.

Three jobs on one model: **broker** (which framework provider to offer a
package to), **rounds** (a provider's daily and weekly rounds) and
**patches** (a commissioner's what-if on neighbourhood patches).
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import patches as patches
from . import rounds as rounds
from .broker import allocate as allocate
from .broker import cascade_backlog as cascade_backlog
from .broker import shortlist as shortlist
from .check import Kpis as Kpis
from .check import Violation as Violation
from .check import check as check
from .check import check_and_score as check_and_score
from .check import score as score
from .charter import charter as charter
from .demo import DemoSettings as DemoSettings
from .demo import run_demo as run_demo
from .demand import publish as publish_demand
from .demand import read_feed as read_demand_feed
from .errors import DataQualityWarning as DataQualityWarning
from .errors import InputError as InputError
from .errors import PatchplanError as PatchplanError
from .errors import Problem as Problem
from .errors import SolverError as SolverError
from .evaluate import Design as Design
from .evaluate import Levers as Levers
from .evaluate import build_design as build_design
from .evaluate import compare_patches as compare_patches
from .evaluate import evaluate as evaluate_design
from .io import read_roster as read_roster
from .io import read_scenario as read_scenario
from .io import write_roster as write_roster
from .io import write_scenario as write_scenario
from .model import Area as Area
from .model import Branch as Branch
from .model import Carer as Carer
from .model import Client as Client
from .model import District as District
from .model import Framework as Framework
from .model import Location as Location
from .model import Lot as Lot
from .model import Package as Package
from .model import Patch as Patch
from .model import Provider as Provider
from .model import Reason as Reason
from .model import Round as Round
from .model import Roster as Roster
from .model import Scenario as Scenario
from .model import Shift as Shift
from .model import Stop as Stop
from .model import Unassigned as Unassigned
from .model import Visit as Visit
from .model import VisitLink as VisitLink
from .offers import OfferStore as OfferStore
from .params import RoundsParams as RoundsParams
from .replan import plan_from_template as plan_from_template
from .replan import replan as replan
from .rounds import plan_rounds as plan_rounds
from .scenario import essex as essex
from .scenario import facts as facts
from .transfers import find_transfers as find_transfers
from .travel import GeodesicTravel as GeodesicTravel
from .travel import OSRMTravel as OSRMTravel
from .travel import TravelModel as TravelModel
from .travel import TravelParams as TravelParams
