"""The broker job: shortlists, joint allocation, offers, transfers and live demand."""

from patchplan.broker.brokerage import BrokerState as BrokerState
from patchplan.broker.brokerage import allocate as allocate
from patchplan.broker.brokerage import backlog as backlog
from patchplan.broker.brokerage import cascade_backlog as cascade_backlog
from patchplan.broker.brokerage import choose as choose
from patchplan.broker.brokerage import shortlist as shortlist
